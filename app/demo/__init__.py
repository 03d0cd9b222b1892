"""Demo data: the city of 南通 with two counties, users per role, projects and running
measures (``load_demo``), and the bulk generator for benchmarks (``generate_bulk``). Seed
data, not business rules: it writes through the same services as the screens."""
from .data import generate_bulk, load_demo

__all__ = ["generate_bulk", "load_demo"]
