"""A real RQ worker for the tests, on the test database and Redis (run as a subprocess)."""
import sys

import tests.jobkinds  # noqa: F401  (registers the test job kinds)
from app import create_app
from config import TestConfig
from tests.redis_guard import RedisGuard

if __name__ == "__main__":
    config = TestConfig()
    RedisGuard(config.REDIS_URL).install()  # the tests' Redis database and no other
    app = create_app(config, web=False)  # the lean app, as `python -m workers` runs
    with app.app_context():
        from rq import Worker

        from workers.queues import queue, redis_connection

        queues = [queue(name) for name in app.config["RQ_QUEUES"]]
        Worker(queues, connection=redis_connection()).work(burst="--burst" in sys.argv)
