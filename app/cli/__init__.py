"""Flask CLI commands (``flask --app run …``), one module per group.

``register_cli(app)`` adds them all: ``setup`` (init, demo), ``jobs`` (worker, cron),
``warnings`` (scan, escalate, deliver), ``ledgers`` (export), ``calendar``
(calendar-seed, calendar-status) and ``plugins``.
"""
from __future__ import annotations

from flask import Flask

from . import calendar, jobs, ledgers, plugins, setup, warnings


def register_cli(app: Flask) -> None:
    for group in (setup, jobs, warnings, ledgers, calendar, plugins):
        group.register(app)
