"""Notifications: in-app rows first, then e-mail (SMTP) and a JSON webhook when configured.

``notify`` writes one in-app notification per user and event key (the unique key makes a
rerun send nothing twice) and one ``Delivery`` row per configured outside channel.
``deliver_due`` is a separate job that sends the deliveries whose time has come; a failed
send is retried with exponential backoff and given up after ``NOTIFY_MAX_ATTEMPTS``. It
never raises, so nothing upstream (the warning scan, a work-order action) waits on SMTP.

Settings (read with ``current_app.config.get`` so they work before config.py names them):
``SMTP_HOST`` (empty: no e-mail), ``SMTP_PORT`` (25), ``SMTP_USER``, ``SMTP_PASSWORD``,
``SMTP_STARTTLS`` (False), ``SMTP_FROM``, ``NOTIFY_WEBHOOK_URL`` (empty: no webhook),
``NOTIFY_MAX_ATTEMPTS`` (8), ``NOTIFY_TIMEOUT`` (10 s), ``APP_BASE_URL`` (prefix that makes
the in-app links absolute in e-mails and webhooks).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import smtplib
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from email.message import EmailMessage
from typing import TYPE_CHECKING

from flask import current_app, has_app_context
from sqlalchemy import Table, func, literal, select, update
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.models import AppUser, Delivery, DeliveryStatus, Notification

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PgInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

log = logging.getLogger(__name__)

EMAIL = "email"
WEBHOOK = "webhook"
# Minutes to wait before attempt n+1 after n failures: 1, 2, 4, … capped.
BACKOFF_CAP_MINUTES = 60
DEFAULT_MAX_ATTEMPTS = 8
_CHUNK = 5000


def _config(key: str, default=None):
    if not has_app_context():
        return default
    value = current_app.config.get(key, default)
    return default if value in (None, "") else value


def dialect_insert(session: Session, table: Table) -> PgInsert | SqliteInsert:
    """INSERT with ON CONFLICT support for the session's database (PostgreSQL or SQLite)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the product runs on these two only
        raise RuntimeError(f"unsupported database {name}")
    return insert(table)


def chunks(ids: Sequence[int], size: int = _CHUNK) -> Iterable[list[int]]:
    ids = list(ids)
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def channels() -> list[str]:
    """The outside channels configured now (in-app is always on)."""
    out = []
    if _config("SMTP_HOST"):
        out.append(EMAIL)
    if _config("NOTIFY_WEBHOOK_URL"):
        out.append(WEBHOOK)
    return out


def max_attempts() -> int:
    return int(_config("NOTIFY_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def backoff(attempts: int) -> dt.timedelta:
    """The wait after ``attempts`` failed attempts: 1, 2, 4, … minutes, capped."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), BACKOFF_CAP_MINUTES))


# -- creating ---------------------------------------------------------------------------
def notify(session: Session, user_ids: Iterable[int], event_key: str, title: str,
           body: str | None = None, link: str | None = None) -> list[int]:
    """Notify each user once per ``event_key``; returns the ids of the new notifications."""
    users = sorted({int(u) for u in user_ids if u is not None})
    if not users:
        return []
    now = utcnow()
    table = Notification.__table__
    stmt = (dialect_insert(session, table)
            .values([dict(user_id=u, event_key=event_key[:128], title=str(title)[:255],
                          body=None if body is None else str(body),
                          link=None if link is None else str(link)[:255], created_at=now)
                     for u in users])
            .on_conflict_do_nothing(index_elements=["user_id", "event_key"])
            .returning(table.c.id))
    new_ids = list(session.execute(stmt).scalars())
    add_deliveries(session, new_ids, now)
    return new_ids


def add_deliveries(session: Session, notification_ids: Sequence[int],
                   now: dt.datetime | None = None) -> int:
    """One pending delivery per new notification and configured channel (set-based)."""
    wanted = channels()
    if not wanted or not notification_ids:
        return 0
    now = now or utcnow()
    n, u, d = Notification.__table__, AppUser.__table__, Delivery.__table__
    created = 0
    for channel in wanted:
        for chunk in chunks(notification_ids):
            source = (select(n.c.id, literal(channel).label("channel"),
                             literal(DeliveryStatus.PENDING.name).label("status"),
                             literal(0).label("attempts"), literal(now).label("next_attempt_at"))
                      .select_from(n.join(u, u.c.id == n.c.user_id))
                      .where(n.c.id.in_(chunk), u.c.active.is_(True)))
            if channel == EMAIL:
                source = source.where(u.c.email.isnot(None), u.c.email != "")
            stmt = (dialect_insert(session, d)
                    .from_select(["notification_id", "channel", "status", "attempts",
                                  "next_attempt_at"], source)
                    .on_conflict_do_nothing(index_elements=["notification_id", "channel"]))
            created += session.execute(
                stmt.execution_options(preserve_rowcount=True)).rowcount or 0
    return created


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, user_id: int, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when ``ids`` is None)."""
    stmt = (update(Notification).where(Notification.user_id == user_id,
                                       Notification.read_at.is_(None))
            .values(read_at=utcnow()).execution_options(synchronize_session=False))
    if ids is not None:
        ids = [int(i) for i in ids]
        if not ids:
            return 0
        stmt = stmt.where(Notification.id.in_(ids))
    return session.execute(stmt).rowcount or 0


# -- sending ----------------------------------------------------------------------------
class DeliveryError(Exception):
    """A channel refused or could not take a message; the delivery will be retried."""


def _absolute(link: str | None) -> str:
    if not link:
        return ""
    base = str(_config("APP_BASE_URL", "") or "")
    return base.rstrip("/") + link if base and link.startswith("/") else link


def send_email(notification: Notification, user: AppUser) -> None:
    host = _config("SMTP_HOST")
    if not host:
        raise DeliveryError("SMTP_HOST is not configured")
    if not user.email:
        raise DeliveryError("the user has no e-mail address")
    msg = EmailMessage()
    msg["Subject"] = notification.title
    msg["From"] = _config("SMTP_FROM") or _config("SMTP_USER") or f"noreply@{host}"
    msg["To"] = user.email
    text = notification.body or ""
    link = _absolute(notification.link)
    if link:
        text = f"{text}\n\n{link}" if text else link
    msg.set_content(text or notification.title)
    timeout = float(_config("NOTIFY_TIMEOUT", 10))
    try:
        with smtplib.SMTP(host, int(_config("SMTP_PORT", 25)), timeout=timeout) as smtp:
            if _config("SMTP_STARTTLS", False) in (True, "1", "true", "yes", "on"):
                smtp.starttls()
            if _config("SMTP_USER"):
                smtp.login(_config("SMTP_USER"), _config("SMTP_PASSWORD", ""))
            smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {exc}") from exc


def send_webhook(notification: Notification, user: AppUser) -> None:
    url = _config("NOTIFY_WEBHOOK_URL")
    if not url:
        raise DeliveryError("NOTIFY_WEBHOOK_URL is not configured")
    payload = {
        "event": notification.event_key,
        "title": notification.title,
        "body": notification.body,
        "link": _absolute(notification.link),
        "created_at": notification.created_at.isoformat() + "Z",
        "user": {"id": user.id, "username": user.username, "email": user.email,
                 "phone": getattr(user, "phone", None)},
    }
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=float(_config("NOTIFY_TIMEOUT", 10))) as resp:
            if not 200 <= resp.status < 300:
                raise DeliveryError(f"webhook answered HTTP {resp.status}")
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DeliveryError(f"webhook: {exc}") from exc


SENDERS = {EMAIL: send_email, WEBHOOK: send_webhook}


def _claim(session: Session, delivery_id: int, now: dt.datetime) -> Delivery | None:
    """Lock one due delivery (skipping one another worker holds)."""
    stmt = (select(Delivery).where(Delivery.id == delivery_id,
                                   Delivery.status == DeliveryStatus.PENDING,
                                   Delivery.next_attempt_at <= now)
            .with_for_update(skip_locked=True))
    return session.scalars(stmt).first()


def deliver_due(session: Session, now: dt.datetime | None = None,
                limit: int = 500) -> dict[str, int]:
    """Send the pending deliveries whose time has come; one short transaction each.

    Returns counts {"sent", "retry", "failed"}. Never raises for a channel's failure.
    """
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    due_ids = list(session.scalars(
        select(Delivery.id).where(Delivery.status == DeliveryStatus.PENDING,
                                  Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)))
    session.commit()
    top = max_attempts()
    for delivery_id in due_ids:
        try:
            delivery = _claim(session, delivery_id, now)
            if delivery is None:
                session.rollback()
                continue
            notification = delivery.notification
            user = session.get(AppUser, notification.user_id)
            sender = SENDERS.get(delivery.channel)
            delivery.attempts += 1
            try:
                if sender is None:
                    raise DeliveryError(f"unknown channel {delivery.channel!r}")
                sender(notification, user)
            except DeliveryError as exc:
                delivery.last_error = str(exc)[:2000]
                if delivery.attempts >= top:
                    delivery.status = DeliveryStatus.FAILED
                    delivery.next_attempt_at = None
                    counts["failed"] += 1
                else:
                    delivery.next_attempt_at = now + backoff(delivery.attempts)
                    counts["retry"] += 1
                log.warning("delivery %s (%s) failed, attempt %s: %s", delivery.id,
                            delivery.channel, delivery.attempts, exc)
            else:
                delivery.status = DeliveryStatus.SENT
                delivery.next_attempt_at = None
                delivery.last_error = None
                counts["sent"] += 1
            session.commit()
        except Exception:  # a database hiccup on one row must not stop the others
            log.exception("delivery %s could not be processed", delivery_id)
            session.rollback()
    return counts
