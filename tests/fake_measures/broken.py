"""A third-party plugin that cannot be imported (a dependency is missing)."""
import hbdb_dependency_that_is_not_installed  # noqa: F401
