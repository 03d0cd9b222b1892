"""Notifications: in-app once per event, e-mail over a real (local) SMTP server, a JSON
webhook retried with exponential backoff, the bell and the list."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import socketserver
import threading
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.models import CardLevel, CardSubject, Delivery, DeliveryStatus, Notification
from app.services import notifications as notices

from .test_warnings import card, new_item, new_project, scan


# -- a tiny SMTP server (enough of RFC 5321 for smtplib) ------------------------------------------
class _SMTPHandler(socketserver.StreamRequestHandler):
    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        self._say("220 test SMTP ready")
        mail_from, rcpt, data = None, [], None
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 test")
            elif verb == "MAIL":
                mail_from, rcpt = cmd, []
                self._say("250 OK")
            elif verb == "RCPT":
                rcpt.append(cmd.split(":", 1)[1].strip(" <>"))
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 end with .")
                lines = []
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b".\n", b""):
                        break
                    lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                data = b"".join(lines)
                self.server.messages.append((mail_from, rcpt, message_from_bytes(data)))
                self._say("250 queued")
            elif verb == "RSET":
                self._say("250 OK")
            elif verb == "NOOP":
                self._say("250 OK")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not implemented")


class _SMTPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.messages = []


@contextlib.contextmanager
def _serve(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.calls.append(json.loads(body.decode("utf-8")))
        self.send_response(self.server.status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _config(app, **values):
    old = {k: app.config.get(k) for k in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(old)


def _deliveries(notification_ids):
    return list(db.session.scalars(select(Delivery).where(
        Delivery.notification_id.in_(notification_ids)).order_by(Delivery.id)))


# -- in-app ------------------------------------------------------------------------------------------
def test_in_app_notifications_are_created_once_per_user_and_event(app, world):
    with app.app_context():
        users = [world.a.users["assistant"].id, world.a.users["dispatcher"].id]
        first = notices.notify(db.session, users, "test:once", "测试通知", "正文", "/")
        second = notices.notify(db.session, users + users, "test:once", "测试通知", "正文", "/")
        db.session.commit()
        assert len(first) == 2 and second == []
        rows = db.session.scalars(select(Notification).where(
            Notification.event_key == "test:once")).all()
        assert sorted(r.user_id for r in rows) == sorted(users)
        assert _deliveries([r.id for r in rows]) == []  # no outside channel configured


# -- e-mail ----------------------------------------------------------------------------------------
def test_email_goes_over_smtp(app, world):
    with _serve(_SMTPServer()) as smtp, app.app_context():
        port = smtp.server_address[1]
        with _config(app, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_FROM="noreply@test.gov.cn",
                     APP_BASE_URL="https://zwfw.example.gov.cn"):
            ids = notices.notify(db.session, [world.a.users["assistant"].id], "test:mail",
                                 "【红牌】测试邮件", "审批事项期限：2026-11-02，已超期。",
                                 "/warningcardview/show/1")
            db.session.commit()
            (delivery,) = _deliveries(ids)
            assert delivery.channel == "email" and delivery.status == DeliveryStatus.PENDING
            counts = notices.deliver_due(db.session, utcnow())
            db.session.commit()
        assert counts["sent"] == 1
        db.session.refresh(delivery)
        assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
        sent = [m for m in smtp.messages if "a_assistant@test.gov.cn" in m[1]]
        assert sent, smtp.messages
        msg = sent[-1][2]
        assert str(make_header(decode_header(msg["Subject"]))) == "【红牌】测试邮件"
        text = msg.get_payload(decode=True).decode(msg.get_content_charset() or "utf-8")
        assert "已超期" in text and "https://zwfw.example.gov.cn/warningcardview/show/1" in text


# -- webhook with backoff ----------------------------------------------------------------------
def test_webhook_failures_back_off_then_succeed(app, world):
    hook = HTTPServer(("127.0.0.1", 0), _Hook)
    hook.calls, hook.status = [], 500
    with _serve(hook), app.app_context():
        url = f"http://127.0.0.1:{hook.server_address[1]}/hook"
        with _config(app, NOTIFY_WEBHOOK_URL=url, NOTIFY_MAX_ATTEMPTS=5):
            ids = notices.notify(db.session, [world.a.users["dispatcher"].id], "test:hook",
                                 "【黄牌】测试回调", "即将到期", "/warningcardview/show/2")
            db.session.commit()
            (delivery,) = _deliveries(ids)
            t0 = utcnow()

            notices.deliver_due(db.session, t0)
            db.session.refresh(delivery)
            assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
            assert delivery.next_attempt_at == t0 + dt.timedelta(minutes=1)
            assert "500" in delivery.last_error
            # Not due yet: nothing is sent before the backoff has passed.
            notices.deliver_due(db.session, t0 + dt.timedelta(seconds=30))
            db.session.refresh(delivery)
            assert delivery.attempts == 1 and len(hook.calls) == 1

            t1 = t0 + dt.timedelta(minutes=1)
            notices.deliver_due(db.session, t1)
            db.session.refresh(delivery)
            assert delivery.attempts == 2 and delivery.next_attempt_at == t1 + dt.timedelta(minutes=2)

            hook.status = 200  # the bridge is back
            notices.deliver_due(db.session, t1 + dt.timedelta(minutes=2))
            db.session.refresh(delivery)
            assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 3
            assert delivery.next_attempt_at is None and delivery.last_error is None
        payload = hook.calls[-1]
        assert payload["event"] == "test:hook" and payload["title"] == "【黄牌】测试回调"
        assert payload["user"]["username"] == "a_dispatcher"
        assert len(hook.calls) == 3


def test_a_delivery_gives_up_after_the_last_attempt(app, world):
    with app.app_context():
        with _config(app, NOTIFY_WEBHOOK_URL="http://127.0.0.1:9/nothing-listens",
                     NOTIFY_MAX_ATTEMPTS=2, NOTIFY_TIMEOUT=2):
            ids = notices.notify(db.session, [world.a.users["clerk"].id], "test:give-up",
                                 "放弃测试", None, None)
            db.session.commit()
            (delivery,) = _deliveries(ids)
            t0 = utcnow()
            notices.deliver_due(db.session, t0)
            counts = notices.deliver_due(db.session, t0 + dt.timedelta(minutes=1))
        db.session.refresh(delivery)
        assert counts["failed"] == 1
        assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2
        assert delivery.next_attempt_at is None and delivery.last_error


def test_a_dead_channel_never_blocks_the_scan(app, world):
    """The scan only writes delivery rows; sending is the separate delivery job."""
    with app.app_context():
        with _config(app, NOTIFY_WEBHOOK_URL="http://127.0.0.1:9/down", SMTP_HOST="127.0.0.1",
                     SMTP_PORT=9):
            pid = new_project(world, name="通道故障项目")
            item_id = new_item(world, pid, due_on=dt.date(2026, 11, 2), name="通道故障事项")
            result = scan()
            red = card(CardSubject.ITEM, item_id, CardLevel.RED)
            assert red is not None and result.notifications == 2
            rows = db.session.scalars(select(Notification.id).where(
                Notification.event_key.like(f"card:{red.id}:%"))).all()
            channels = sorted(d.channel for d in _deliveries(rows))
            assert channels == ["email", "email", "webhook", "webhook"]
            assert all(d.status == DeliveryStatus.PENDING for d in _deliveries(rows))


def test_delivery_job_runs_in_the_worker_wrapper(app, world):
    """workers.scan.deliver_notifications runs through the job decorator (app context)."""
    from workers.scan import deliver_notifications

    with app.app_context():
        counts = deliver_notifications()
    assert set(counts) == {"sent", "retry", "failed"}


# -- the bell and the list --------------------------------------------------------------------
def test_bell_list_open_and_mark_read(app, world, login):
    with app.app_context():
        me, other = world.a.users["clerk"].id, world.b.users["clerk"].id
        mine = notices.notify(db.session, [me], "test:bell:1", "铃铛通知一", "内容一",
                              "/projectview/list/")
        notices.notify(db.session, [me], "test:bell:2", "铃铛通知二", "内容二", None)
        notices.notify(db.session, [me], "test:bell:evil", "外链通知", None,
                       "//evil.example.com/")
        theirs = notices.notify(db.session, [other], "test:bell:3", "别人的通知", None, None)
        db.session.commit()
        unread = notices.unread_count(db.session, me)
    client = login("a_clerk")
    home = client.get("/").get_data(as_text=True)
    assert 'id="notification-bell"' in home and f">{unread}</span>" in home
    assert client.get("/notificationview/unread").json == {"count": unread}
    html = client.get("/notificationview/list/").get_data(as_text=True)
    assert "铃铛通知一" in html and "别人的通知" not in html
    assert client.get(f"/notificationview/show/{theirs[0]}").status_code == 404
    assert client.get(f"/notificationview/open/{theirs[0]}").status_code == 404
    resp = client.get(f"/notificationview/open/{mine[0]}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/projectview/list/")
    assert client.get("/notificationview/unread").json == {"count": unread - 1}
    with app.app_context():
        evil = db.session.scalar(select(Notification.id).where(
            Notification.event_key == "test:bell:evil"))
    resp = client.get(f"/notificationview/open/{evil}")
    assert "evil.example.com" not in resp.headers["Location"]
    assert client.post("/notificationview/read_all").status_code == 302
    assert client.get("/notificationview/unread").json == {"count": 0}
    page = client.get("/").get_data(as_text=True)
    assert 'id="notification-count" style="display:none"' in page
    # The auditor has no notifications screen: no bell.
    assert 'id="notification-bell"' not in login("auditor").get("/").get_data(as_text=True)


def test_notification_action_marks_selected_rows_read(app, world, login):
    with app.app_context():
        me = world.a.users["assistant"].id
        ids = notices.notify(db.session, [me], "test:action:1", "批量已读", None, None)
        db.session.commit()
    client = login("a_assistant")
    resp = client.post("/notificationview/action_post",
                       data={"action": "mark_read", "rowid": [str(ids[0])]})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(Notification, ids[0]).read_at is not None


@pytest.mark.parametrize("attempts,minutes", [(1, 1), (2, 2), (3, 4), (4, 8), (7, 60), (12, 60)])
def test_backoff_doubles_and_is_capped(attempts, minutes):
    assert notices.backoff(attempts) == dt.timedelta(minutes=minutes)
