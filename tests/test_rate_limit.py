"""The login rate limit is shared by every web process (counted in Redis), answers 429 in
Chinese, and fails open when Redis is down (issue 10). Real gunicorn processes."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from . import factories as f
from .waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post_login(base: str, username: str, password: str) -> tuple[int, str, str]:
    """(status, body, Location) of a form login."""
    data = urllib.parse.urlencode({"username": username, "password": password}).encode()
    try:
        with _opener.open(f"{base}/login/", data=data, timeout=10) as resp:
            return resp.status, resp.read().decode(), resp.headers.get("Location", "")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers.get("Location", "")


def _up(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/login/", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.fixture()
def serve(app, world):
    """serve(**env) starts a gunicorn on the test database and Redis; yields its URL."""
    procs = []

    def _serve(**extra: str) -> str:
        port = _free_port()
        env = {**os.environ, "APP_ENV": "embedded", "DEMO_MODE": "false",
               "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "REDIS_URL": app.config["REDIS_URL"], "SECRET_KEY": app.config["SECRET_KEY"],
               "FAB_UPDATE_PERMS": "false", "WTF_CSRF_ENABLED": "false",
               "AUTH_RATE_LIMIT": "5 per minute", **extra}
        proc = subprocess.Popen([str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{port}",
                                 "run:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _up(base), timeout=60)
        return base

    yield _serve
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=20)


def test_the_limit_is_shared_by_two_processes_and_answers_429_in_chinese(serve):
    first, second = serve(), serve()
    answers = [_post_login((first, second)[i % 2], "nobody", "wrong") for i in range(10)]
    codes = [code for code, _, _ in answers]
    # Five attempts a minute from one address in all, whichever process answers: with a
    # per-process count, ten would pass.
    assert codes == [302] * 5 + [429] * 5
    assert "登录尝试过于频繁" in answers[-1][1]


def test_with_redis_down_login_still_works(serve):
    base = serve(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    for _ in range(7):  # beyond the limit: nothing counts while Redis is away
        code, _, location = _post_login(base, "a_clerk", f.PASSWORD)
        # Signed in: the redirect goes to the home page, not back to the login form.
        assert code == 302 and "/login/" not in location


def test_the_jwt_login_is_limited_too(serve):
    import json

    base = serve()
    codes = []
    for _ in range(7):
        req = urllib.request.Request(
            f"{base}/api/v1/security/login", method="POST",
            data=json.dumps({"username": "nobody", "password": "x", "provider": "db"}).encode(),
            headers={"Content-Type": "application/json"})
        try:
            with _opener.open(req, timeout=10) as resp:
                codes.append(resp.status)
        except urllib.error.HTTPError as err:
            codes.append(err.code)
    assert codes == [401] * 5 + [429] * 2


def test_gunicorn_names_no_server_software(serve):
    """No `Server: gunicorn` banner (gunicorn.conf.py): the response does not say what runs."""
    base = serve()
    with urllib.request.urlopen(f"{base}/login/", timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers.get("Server") is None
        assert resp.headers.get("X-Content-Type-Options") == "nosniff"
