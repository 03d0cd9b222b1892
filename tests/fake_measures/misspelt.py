"""A plugin whose hook name is misspelt: check_pending must catch it."""
import pluggy

hookimpl = pluggy.HookimplMarker("hbdb")


@hookimpl
def provide_measure():  # should be provide_measures
    return []
