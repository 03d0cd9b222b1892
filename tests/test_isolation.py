"""The test suite's own promises: each test starts from the known state whoever wrote to
the database, and Redis is used only through TEST_REDIS_URL."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import create_engine, func, select, text

from app.extensions import db
from app.models import Project, Region

from . import factories as f
from .conftest import GIVEN_REDIS_URL
from .redis_guard import ForeignRedisDatabase, target

TESTS = Path(__file__).resolve().parent


def _project_names(app) -> dict[int, str]:
    with app.app_context():
        return dict(db.session.execute(select(Project.id, Project.name)).all())


def test_rows_any_connection_commits_are_gone_after_the_test(app, world, known_state):
    before = _project_names(app)
    assert before == {world.a.project.id: "甲县重点项目", world.b.project.id: "乙县重点项目"}
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        f.project(region, f.applicant(region), name="测试后应消失的项目")
        db.session.get(Project, world.b.project.id).name = "改过的名字"
        db.session.commit()
    # Another process's connection: not this app's engine or session.
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with other.begin() as conn:
        conn.execute(text("UPDATE project SET name = '另一个进程改的' WHERE id = :id"),
                     {"id": world.a.project.id})
    other.dispose()
    assert len(_project_names(app)) == 3

    restored = known_state.restore()  # what the autouse fixture does after every test
    assert {"project", "approval_item", "applicant"} <= restored
    assert _project_names(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Project)) == 2


def test_a_rolled_back_write_marks_nothing(app, world, known_state):
    with app.app_context():
        db.session.get(Project, world.a.project.id).name = "不会提交"
        db.session.flush()
        db.session.rollback()
    assert not known_state.restore_needed()


def test_a_command_to_another_redis_database_is_refused(_redis_guard):
    host, port, given = target(GIVEN_REDIS_URL)
    other = Redis(host=host, port=port, db=(given + 1) % 16, socket_connect_timeout=1)
    try:
        assert other.ping()  # a handshake is harmless
        with pytest.raises(ForeignRedisDatabase):
            other.set("tests:must-not-be-written", 1)
        with pytest.raises(ForeignRedisDatabase):
            other.pipeline().set("tests:must-not-be-written", 1).execute()
        with pytest.raises(ForeignRedisDatabase):
            Redis(host=host, port=port, db=given).flushall()
        assert len(_redis_guard.take_violations()) == 3  # seen, and not left to fail later
    finally:
        other.close()
    ours = Redis.from_url(GIVEN_REDIS_URL)
    ours.set("tests:ours", 1)  # the database the tests were given is theirs
    assert ours.get("tests:ours") == b"1"
    ours.close()


def test_a_worker_process_the_tests_start_is_guarded_too():
    """Real workers run under ``tests.guarded``: another database is refused there too."""
    root = TESTS.parent
    _, _, given = target(GIVEN_REDIS_URL)
    env = {**os.environ, "PYTHONPATH": str(root), "TEST_REDIS_URL": GIVEN_REDIS_URL}
    env.pop("REDIS_URL", None)

    def probe(db_number: int) -> int:
        return subprocess.run([sys.executable, "-m", "tests.guarded", "tests.redis_probe",
                               str(db_number)], cwd=root, env=env, timeout=60).returncode

    assert probe(given) == 0
    assert probe((given + 1) % 16) == 3


def test_no_test_names_a_redis_database_of_its_own():
    """Redis URLs in tests point at TEST_REDIS_URL (through the app's settings), or at a port
    where nothing listens; never at another database of the shared server."""
    shared = re.compile(r"redis://(?:127\.0\.0\.1|localhost):6379/\d+")
    found = [f"{path.name}:{n}" for path in sorted(TESTS.glob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if shared.search(line) and path.name != "test_isolation.py"]
    assert found == []
