"""Settings, read once from environment variables with strict parsing.

With nothing set the product runs embedded: SQLite and a generated secret under
``instance/``, demo data, a local or embedded Redis. ``APP_ENV=production`` turns the
safety checks on: a missing or default secret stops the start.
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))

DEFAULT_SECRET_PLACEHOLDER = "change-me"


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and why."""


def parse_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true/false, got {raw!r}")


def parse_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def parse_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def parse_extensions(name: str, default: str) -> tuple[str, ...]:
    """A comma-separated list of file extensions ("pdf, .JPG" -> ("pdf", "jpg"))."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        raw = default
    out = []
    for part in raw.split(","):
        ext = part.strip().lower().lstrip(".")
        if not re.fullmatch(r"[a-z0-9]{1,10}", ext):
            raise ConfigError(f"{name} must be comma-separated file extensions "
                              f"such as pdf,jpg; got {part.strip()!r} in {raw!r}")
        if ext not in out:
            out.append(ext)
    return tuple(out)


def _instance_secret() -> str:
    """A secret generated once and kept in instance/ so sessions survive restarts."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url(env: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants "postgresql".
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        return url
    if env == "production":
        raise ConfigError("DATABASE_URL must be set in production (a PostgreSQL URL)")
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'app.db'}"


class Config:
    """Built from the environment when instantiated, so tests can set variables first."""

    def __init__(self) -> None:
        self.APP_ENV = parse_choice("APP_ENV", "embedded", ("embedded", "production", "test"))
        secret = os.environ.get("SECRET_KEY", "")
        if self.APP_ENV == "production":
            if not secret or secret == DEFAULT_SECRET_PLACEHOLDER or len(secret) < 32:
                raise ConfigError(
                    "SECRET_KEY must be set to a random string of at least 32 characters "
                    "in production (e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
                )
        self.SECRET_KEY = secret or _instance_secret()
        self.SQLALCHEMY_DATABASE_URI = _database_url(self.APP_ENV)
        self.SQLALCHEMY_TRACK_MODIFICATIONS = False
        # No ping before every checkout (a round trip per request): connections idle longer
        # than DATABASE_POOL_RECYCLE seconds are replaced instead, and a connection the
        # server dropped fails one request and leaves the pool. DATABASE_POOL_PRE_PING=true
        # brings the ping back (e.g. behind a proxy that cuts idle connections early).
        self.SQLALCHEMY_ENGINE_OPTIONS = {
            "pool_pre_ping": parse_bool("DATABASE_POOL_PRE_PING", False),
            "pool_recycle": parse_int("DATABASE_POOL_RECYCLE", 1800, minimum=1),
        }
        # Empty REDIS_URL means "find a local Redis or start an embedded one" (run.py).
        self.REDIS_URL = os.environ.get("REDIS_URL", "")
        self.DEMO_MODE = parse_bool("DEMO_MODE", self.APP_ENV == "embedded")
        self.DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "DemoPass@2026")
        self.FILES_DIR = os.environ.get("FILES_DIR", str(INSTANCE_DIR / "files"))
        self.WTF_CSRF_ENABLED = parse_bool("WTF_CSRF_ENABLED", True)
        self.SESSION_COOKIE_SECURE = parse_bool("SESSION_COOKIE_SECURE", self.APP_ENV == "production")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.PASSWORD_MIN_LENGTH = parse_int("PASSWORD_MIN_LENGTH", 10, minimum=8)

        # Flask-AppBuilder
        self.APP_NAME = os.environ.get("APP_NAME", "重大项目政务服务平台")
        self.APP_THEME = ""
        self.FAB_SECURITY_MANAGER_CLASS = "app.views.security_manager.AppSecurityManager"
        self.FAB_INDEX_VIEW = "app.views.home.HomeView"
        self.FAB_API_SWAGGER_UI = True
        self.FAB_ADD_SECURITY_API = False
        # Alembic migrations own the schema; FAB must not create tables on its own.
        self.FAB_CREATE_DB = False
        self.FAB_UPDATE_PERMS = parse_bool("FAB_UPDATE_PERMS", True)
        self.AUTH_TYPE = 1  # AUTH_DB
        self.AUTH_ROLE_ADMIN = "系统管理员"
        self.AUTH_ROLE_PUBLIC = "Public"
        self.AUTH_USER_REGISTRATION = False
        self.FAB_PASSWORD_COMPLEXITY_ENABLED = True
        # Largest page of a list: screens refuse a bigger psize_<View> with a 400
        # (app/security/input.py), the API caps page_size at its own limit.
        self.LIST_MAX_PAGE_SIZE = parse_int("LIST_MAX_PAGE_SIZE", 100, minimum=1)
        self.FAB_API_MAX_PAGE_SIZE = parse_int("API_MAX_PAGE_SIZE", 100, minimum=1)
        self.JWT_ACCESS_TOKEN_EXPIRES = parse_int("JWT_ACCESS_TOKEN_EXPIRES", 3600, minimum=60)
        # Refresh tokens carry the user's session version: logout, a password change or
        # disabling the user revokes them (app/security/sessions.py).
        self.JWT_REFRESH_TOKEN_EXPIRES = parse_int("JWT_REFRESH_TOKEN_EXPIRES", 8 * 3600,
                                                   minimum=60)

        # Accounts and sessions (等保 2.0 8.1.4.1 identification, ASVS V2/V3; README).
        self.LOGIN_LOCK_THRESHOLD = parse_int("LOGIN_LOCK_THRESHOLD", 5, minimum=1)
        self.LOGIN_LOCK_MINUTES = parse_int("LOGIN_LOCK_MINUTES", 15, minimum=1)
        self.SESSION_IDLE_MINUTES = parse_int("SESSION_IDLE_MINUTES", 30, minimum=1)
        self.SESSION_MAX_HOURS = parse_int("SESSION_MAX_HOURS", 12, minimum=1)
        self.PASSWORD_MAX_AGE_DAYS = parse_int("PASSWORD_MAX_AGE_DAYS", 90, minimum=1)
        self.PASSWORD_HISTORY = parse_int("PASSWORD_HISTORY", 5, minimum=1)
        # Flask's session cookie lives no longer than the absolute session lifetime.
        import datetime as _dt

        self.PERMANENT_SESSION_LIFETIME = _dt.timedelta(hours=self.SESSION_MAX_HOURS)
        # Login attempts per client address, counted in Redis so every web process shares
        # the count; when Redis is down the limiter lets logins through (the lockout, in
        # the database, still holds).
        self.AUTH_RATE_LIMITED = parse_bool("AUTH_RATE_LIMITED", True)
        # FAB switches Flask-Limiter off unless told otherwise.
        self.RATELIMIT_ENABLED = self.AUTH_RATE_LIMITED
        self.AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per minute")
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_STORAGE_URI = (os.environ.get("RATELIMIT_STORAGE_URI") or self.REDIS_URL
                                      or "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        # Hosts a redirect after login may go to, and the Host headers the app answers
        # (comma-separated; empty = any Host, redirects only to relative paths).
        self.TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",")
                              if h.strip()] or None
        # ".invalid" never resolves (RFC 2606): with no list, only relative targets pass.
        self.FAB_SAFE_REDIRECT_HOSTS = self.TRUSTED_HOSTS or ["redirect.invalid"]

        # Languages: Simplified Chinese first, English switchable.
        self.BABEL_DEFAULT_LOCALE = "zh"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
        self.LANGUAGES = {
            "zh": {"flag": "cn", "name": "简体中文"},
            "en": {"flag": "gb", "name": "English"},
        }
        self.BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

        # Notifications: in-app always; e-mail when SMTP_HOST is set; a JSON webhook (for
        # 政务微信/钉钉 bridges) when NOTIFY_WEBHOOK_URL is set.
        self.SMTP_HOST = os.environ.get("SMTP_HOST", "")
        self.SMTP_PORT = parse_int("SMTP_PORT", 25, minimum=1)
        self.SMTP_USER = os.environ.get("SMTP_USER", "")
        self.SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = parse_bool("SMTP_STARTTLS", False)
        self.SMTP_FROM = os.environ.get("SMTP_FROM", "")
        self.NOTIFY_WEBHOOK_URL = os.environ.get("NOTIFY_WEBHOOK_URL", "")
        self.NOTIFY_MAX_ATTEMPTS = parse_int("NOTIFY_MAX_ATTEMPTS", 8, minimum=1)
        self.NOTIFY_TIMEOUT = parse_int("NOTIFY_TIMEOUT", 10, minimum=1)
        self.APP_BASE_URL = os.environ.get("APP_BASE_URL", "")
        self.WORK_ORDER_REPLY_DAYS = parse_int("WORK_ORDER_REPLY_DAYS", 3, minimum=1)
        # Measure plugins switched off for the whole installation (comma-separated keys).
        self.DISABLED_PLUGINS = tuple(k.strip() for k in os.environ.get("DISABLED_PLUGINS", "")
                                      .split(",") if k.strip())
        self.RQ_QUEUES = ("default", "reminders", "exports")
        # A started job that has not reported for this long is taken as killed.
        self.JOB_HEARTBEAT_TIMEOUT = parse_int("JOB_HEARTBEAT_TIMEOUT", 120, minimum=1)
        # Audit records stay in the database at least 184 days (等保 2.0 8.1.4.3: six
        # months); the nightly archive job then moves older ones to gzip JSON-lines files.
        self.AUDIT_RETENTION_DAYS = parse_int("AUDIT_RETENTION_DAYS", 184, minimum=184)
        self.AUDIT_ARCHIVE_DIR = os.environ.get("AUDIT_ARCHIVE_DIR",
                                                str(INSTANCE_DIR / "audit_archive"))
        # Attachments of workflow steps (screen and API): size of one file, allowed types.
        self.WORKFLOW_ATTACHMENT_MAX_MB = parse_int("WORKFLOW_ATTACHMENT_MAX_MB", 20, minimum=1)
        self.WORKFLOW_ATTACHMENT_TYPES = parse_extensions(
            "WORKFLOW_ATTACHMENT_TYPES", "pdf,ofd,jpg,jpeg,png,doc,docx,xls,xlsx,zip")
        # An uploaded image's header may not claim more pixels (decompression bombs).
        self.UPLOAD_MAX_IMAGE_PIXELS = parse_int("UPLOAD_MAX_IMAGE_PIXELS", 40_000_000,
                                                 minimum=1)
        # A work log's site photo: largest upload in MB (re-encoded when stored).
        self.WORK_LOG_PHOTO_MAX_MB = parse_int("WORK_LOG_PHOTO_MAX_MB", 15, minimum=1)
        # The largest request body in MB: refused with a 413 from its Content-Length,
        # before anything is read or spooled to disk.
        self.MAX_CONTENT_LENGTH = parse_int("MAX_REQUEST_MB", 100, minimum=1) * 1024 * 1024


class TestConfig(Config):
    def __init__(self) -> None:
        super().__init__()
        self.TESTING = True
        self.WTF_CSRF_ENABLED = False
        self.FAB_PASSWORD_COMPLEXITY_ENABLED = True
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
        )
        self.DEMO_MODE = False
        self.REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL
        # The suite signs in hundreds of times from one address; the limit itself is
        # tested against two gunicorn processes with a low AUTH_RATE_LIMIT.
        self.AUTH_RATE_LIMIT = os.environ.get("TEST_AUTH_RATE_LIMIT", "100000 per minute")
        # One folder per test database, so parallel runs never see each other's files.
        db_name = self.SQLALCHEMY_DATABASE_URI.rsplit("/", 1)[-1]
        self.FILES_DIR = os.environ.get("TEST_FILES_DIR", f"{self.FILES_DIR}-{db_name}")
        self.AUDIT_ARCHIVE_DIR = f"{self.AUDIT_ARCHIVE_DIR}-{db_name}"
