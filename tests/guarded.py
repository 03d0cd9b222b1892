"""``python -m tests.guarded <module> [args]``: run a module as ``python -m`` would, with
the Redis guard on, so a real worker in a subprocess may use the tests' Redis database
(``REDIS_URL`` as the test passes it down, else ``TEST_REDIS_URL``) and no other."""
from __future__ import annotations

import os
import runpy
import sys

from tests.redis_guard import RedisGuard

if __name__ == "__main__":
    RedisGuard(os.environ.get("REDIS_URL") or os.environ["TEST_REDIS_URL"]).install()
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
