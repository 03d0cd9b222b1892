"""Demo data (placeholder until written)."""


def load_demo(session, password):
    return "demo: nothing yet"


def generate_bulk(session, projects, items_per_project):
    return 0
