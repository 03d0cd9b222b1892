"""`python -m workers [--burst]`: an RQ worker on every named queue, in the lean app.

This is the production and embedded worker; `flask --app run worker` does the same with
the full web app loaded (handy in development, ~25 MB heavier per process).
"""
from __future__ import annotations

import sys


def main(argv: list[str]) -> None:
    from rq import Worker

    from app import create_app

    from .queues import queue, redis_connection

    app = create_app(web=False)
    with app.app_context():
        queues = [queue(name) for name in app.config["RQ_QUEUES"]]
        Worker(queues, connection=redis_connection()).work(burst="--burst" in argv)


if __name__ == "__main__":
    main(sys.argv[1:])
