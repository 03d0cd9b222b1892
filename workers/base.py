"""The one job decorator: every background job runs through it.

A job takes ids (never ORM objects), runs inside the app context in one transaction
(commit on success, rollback on error) and must be safe to run twice.
"""
from __future__ import annotations

import functools
import os

from flask import current_app, has_app_context
from redis.exceptions import RedisError

_engine_pid = os.getpid()


class QueueUnavailable(RuntimeError):
    """Redis does not answer: the work cannot be queued now."""


def _require_app_context() -> None:
    # Workers push the app context themselves (`python -m workers`, `flask worker`); a
    # bare `rq worker` would not, and building the app here would make workers import the
    # factory that imports the views that start jobs (an import circle).
    if not has_app_context():
        raise RuntimeError("jobs run inside the app context: start the worker with "
                           "`python -m workers` or `flask --app run worker`")


def _fresh_connections_after_fork(db) -> None:
    # RQ forks a work horse per job; pooled connections must not cross a fork.
    global _engine_pid
    if os.getpid() != _engine_pid:
        db.engine.dispose(close=False)
        _engine_pid = os.getpid()


def job(queue: str = "default", timeout: int = 1800):
    """Declare a background job on a named queue; ``fn.delay(*ids)`` enqueues it."""

    def decorator(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            from app.extensions import db

            _require_app_context()
            _fresh_connections_after_fork(db)
            try:
                result = fn(*args, **kwargs)
                db.session.commit()
                return result
            except Exception:
                db.session.rollback()
                raise
            finally:
                db.session.remove()

        def delay(*args, **kwargs):
            return enqueue(run, queue, timeout, *args, **kwargs)

        run.delay = delay
        run.queue_name = queue
        return run

    return decorator


def enqueue(func, queue_name: str, timeout: int, *args, **kwargs):
    from .queues import queue

    try:
        return queue(queue_name).enqueue(func, *args, job_timeout=timeout, **kwargs)
    except (RedisError, OSError) as exc:
        raise QueueUnavailable(str(exc)) from exc


def redis_available() -> bool:
    from .queues import redis_connection

    try:
        return bool(redis_connection().ping())
    except (RedisError, OSError):
        return False


__all__ = ["job", "enqueue", "QueueUnavailable", "redis_available", "current_app"]
