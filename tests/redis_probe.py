"""``python -m tests.redis_probe <db>``: write one key to Redis database ``<db>`` of the
tests' server and exit 0, or exit 3 if the Redis guard refused it (for test_isolation)."""
from __future__ import annotations

import os
import sys

from redis import Redis

from tests.redis_guard import ForeignRedisDatabase, target

if __name__ == "__main__":
    host, port, _ = target(os.environ["TEST_REDIS_URL"])
    conn = Redis(host=host, port=port, db=int(sys.argv[1]), socket_connect_timeout=1)
    try:
        conn.set("tests:probe", 1, ex=60)
    except ForeignRedisDatabase:
        sys.exit(3)
    conn.delete("tests:probe")
