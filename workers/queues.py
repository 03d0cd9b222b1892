"""Redis connection and named queues, built from the app's settings."""
from __future__ import annotations

from flask import current_app
from redis import Redis
from rq import Queue

# Short timeouts: with Redis down, starting a job must fail fast with a friendly message
# rather than hang the request.
_CONNECT_TIMEOUT = 1.0


def redis_connection() -> Redis:
    return Redis.from_url(current_app.config["REDIS_URL"] or "redis://127.0.0.1:6379/0",
                          socket_connect_timeout=_CONNECT_TIMEOUT,
                          socket_timeout=_CONNECT_TIMEOUT * 5)


def queue(name: str = "default") -> Queue:
    if name not in current_app.config["RQ_QUEUES"]:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=redis_connection())
