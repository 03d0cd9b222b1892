"""Redis connection and named queues, built from the app's settings."""
from __future__ import annotations

from flask import current_app
from redis import Redis
from rq import Queue


def redis_connection() -> Redis:
    return Redis.from_url(current_app.config["REDIS_URL"])


def queue(name: str = "default") -> Queue:
    if name not in current_app.config["RQ_QUEUES"]:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=redis_connection())
