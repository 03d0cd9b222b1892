#!/usr/bin/env bash
# The test command (README): a venv with the pinned requirements, then pytest against
# the PostgreSQL database `test` on 127.0.0.1 (override with TEST_DATABASE_URL) and Redis
# database 1 on 127.0.0.1 (override with TEST_REDIS_URL; the only Redis database the tests
# write to, emptied before the run and after each test).
#
# Tests run in a random order (pytest-random-order, modules shuffled and tests shuffled
# within them); the seed is printed first. Reproduce an order with
#   TEST_SEED=<seed> ./scripts/test.sh      (or pass --random-order-seed=<seed>)
# and run in file order with TEST_SEED=none.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d .venv ] || python3 -m venv .venv
. .venv/bin/activate
pip install -q --disable-pip-version-check -r requirements.txt
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/1}"
order=()
seed="${TEST_SEED:-$(python -c 'import random; print(random.randrange(10**6))')}"
if [ "$seed" != "none" ]; then
    order=(--random-order-bucket=module "--random-order-seed=$seed")
    echo "test order: random, seed $seed (again: TEST_SEED=$seed ./scripts/test.sh)"
fi
exec python -m pytest -q -p no:cacheprovider "${order[@]}" "$@"
