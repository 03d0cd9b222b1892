"""User jobs: queued on real Redis, run by real RQ workers, watched, retried, downloaded."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq import SimpleWorker
from sqlalchemy import select

import tests.jobkinds  # noqa: F401
from app.extensions import db
from app.models import JobRecord, JobStatus, Project
from app.services import jobs
from workers import user_jobs
from workers.base import QueueUnavailable
from workers.queues import queue, redis_connection

from .waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def clean_queues(app):
    with app.app_context():
        redis_connection().flushdb()
    yield


def _burst(app):
    with app.app_context():
        queues = [queue(n) for n in app.config["RQ_QUEUES"]]
        SimpleWorker(queues, connection=redis_connection()).work(burst=True)


def _start(app, user_id, **params):
    with app.app_context():
        record = user_jobs.start(db.session, user_id, "test_slow_file", "测试任务", params)
        return record.id


def _row(app, job_id):
    with app.app_context():
        return db.session.get(JobRecord, job_id)


def test_a_job_runs_on_a_real_worker_and_its_file_downloads(app, world, clean_queues, login):
    job_id = _start(app, world.a.users["clerk"].id, steps=3)
    assert _row(app, job_id).status == JobStatus.QUEUED
    _burst(app)
    row = _row(app, job_id)
    assert row.status == JobStatus.FINISHED and row.progress == 100
    assert Path(row.result_path).read_text().count("line") == 3
    client = login("a_clerk")
    html = client.get("/jobrecordview/list/").get_data(as_text=True)
    assert "测试任务" in html and f"/jobrecordview/file/{job_id}" in html
    resp = client.get(f"/jobrecordview/file/{job_id}")
    assert resp.status_code == 200 and b"line 2" in resp.data
    # Somebody else's file is not there for you, even in your own county.
    assert login("a_assistant").get(f"/jobrecordview/file/{job_id}").status_code == 404


def test_a_failed_job_says_why_and_can_be_retried(app, world, clean_queues, login):
    job_id = _start(app, world.a.users["clerk"].id, steps=3, fail=True)
    _burst(app)
    row = _row(app, job_id)
    assert row.status == JobStatus.FAILED and "deliberate failure" in row.error
    assert not list(Path(app.config["FILES_DIR"]).rglob(f"job{job_id}-*"))  # no half file
    with app.app_context():
        record = db.session.get(JobRecord, job_id)
        record.params = {"steps": 2}
        db.session.commit()
    resp = login("a_clerk").post(f"/jobrecordview/retry/{job_id}")
    assert resp.status_code == 302
    _burst(app)
    assert _row(app, job_id).status == JobStatus.FINISHED


def _start_kind(app, user_id, kind, **params):
    with app.app_context():
        return user_jobs.start(db.session, user_id, kind, "测试", params).id


def _kill_mid_job(app, job_id, monkeypatch, tmp_dir: Path, while_writing=lambda: None):
    """Run ``job_id`` on a real worker process, SIGKILL it mid-job (``while_writing`` is
    called just before), and wait for the reaper to mark the row failed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JOB_HEARTBEAT_TIMEOUT": "1",
           "TMPDIR": str(tmp_dir)}
    worker = subprocess.Popen([sys.executable, "-m", "tests.run_worker"], cwd=ROOT, env=env,
                              start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        def writing():
            row = _row(app, job_id)
            return row.status == JobStatus.STARTED and row.progress >= 5

        wait_until(writing, timeout=60, interval=0.2, what="the worker to start the job")
        while_writing()
    finally:
        # RQ runs each job in a forked "work horse" in a session of its own: kill it
        # too, as a machine crash or the OOM killer would.
        horses = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True,
                                text=True).stdout.split()
        for pid in horses:
            os.kill(int(pid), signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    monkeypatch.setitem(app.config, "JOB_HEARTBEAT_TIMEOUT", 1)

    def reaped():
        with app.app_context():
            found = jobs.reap_stalled(db.session)
            db.session.commit()
        return job_id in found

    # Reaped once its last heartbeat is more than a second old.
    wait_until(reaped, timeout=15, interval=0.2, what="the killed job to be reaped")
    row = _row(app, job_id)
    assert row.status == JobStatus.FAILED and row.result_path is None
    assert "重试" in row.error


def test_a_killed_worker_leaves_a_failed_row_and_no_file(app, world, clean_queues,
                                                         monkeypatch, tmp_path):
    job_id = _start(app, world.a.users["clerk"].id, steps=200, pause=0.05)

    def has_part():
        parts = list(Path(app.config["FILES_DIR"]).rglob(f"job{job_id}-*.part"))
        assert parts, "the job should be writing its temporary file"

    _kill_mid_job(app, job_id, monkeypatch, tmp_path, has_part)
    assert not list(Path(app.config["FILES_DIR"]).rglob(f"job{job_id}-*"))


def test_a_killed_export_leaves_no_rows_in_tmp_or_in_the_files_folder(app, world, clean_queues,
                                                                     monkeypatch, tmp_path):
    """XlsxWriter streams rows to temporary files: they go to a folder the app owns beside
    the half file (not the system's /tmp), and the reaper removes it with the half file."""
    system_tmp = tmp_path / "tmp"
    system_tmp.mkdir()
    job_id = _start_kind(app, world.a.users["clerk"].id, "test_slow_workbook", rows=4000,
                         pause=0.05)

    def streaming_to_the_apps_folder():
        scratch = list(Path(app.config["FILES_DIR"]).rglob(f"job{job_id}-*.rows"))
        assert scratch and any(p.iterdir() for p in scratch), "rows streamed to the scratch"
        assert not list(system_tmp.iterdir()), "nothing of the export in the system's /tmp"

    _kill_mid_job(app, job_id, monkeypatch, system_tmp, streaming_to_the_apps_folder)
    assert not list(Path(app.config["FILES_DIR"]).rglob(f"job{job_id}-*"))
    assert not list(system_tmp.iterdir())


def test_with_redis_down_starting_a_job_fails_fast_and_saves_still_work(app, world, login):
    with app.app_context():
        good = app.config["REDIS_URL"]
        app.config["REDIS_URL"] = "redis://127.0.0.1:6399/0"  # nothing listens there
    try:
        began = time.monotonic()
        with pytest.raises(QueueUnavailable):
            _start(app, world.a.users["clerk"].id)
        assert time.monotonic() - began < 2
        with app.app_context():
            row = db.session.scalars(select(JobRecord).order_by(JobRecord.id.desc())).first()
            assert row.status == JobStatus.FAILED and "不可用" in row.error
        client = login("a_clerk")
        resp = client.post("/projectview/add", data={
            "code": "REDIS-DOWN-1", "name": "Redis停机时保存的项目",
            "region": str(world.a.region.id), "applicant": str(world.a.applicant.id),
            "investment_wan": "10", "list_level": "COUNTY", "list_year": "2026",
            "status": "ACTIVE"})
        assert resp.status_code == 302
        with app.app_context():
            assert db.session.scalar(select(Project).where(Project.code == "REDIS-DOWN-1"))
    finally:
        with app.app_context():
            app.config["REDIS_URL"] = good


def test_the_download_centre_shows_only_my_jobs(app, world, clean_queues, login):
    mine = _start(app, world.a.users["assistant"].id, steps=1)
    theirs = _start(app, world.b.users["assistant"].id, steps=1)
    html = login("a_assistant").get("/jobrecordview/list/").get_data(as_text=True)
    assert f'data-job-id="{mine}"' in html and f'data-job-id="{theirs}"' not in html
    assert login("a_assistant").get(f"/jobrecordview/show/{theirs}").status_code == 404


def test_every_periodic_job_resolves_to_a_job(app):
    """The cron table names real jobs on real queues (a typo would only show at 08:00)."""
    import importlib

    from croniter import croniter

    from workers.cron import PERIODIC_JOBS

    names = set()
    for queue_name, dotted, cron in PERIODIC_JOBS:
        module, _, name = dotted.rpartition(".")
        func = getattr(importlib.import_module(module), name)
        assert callable(func.delay) and func.queue_name == queue_name, dotted
        assert queue_name in app.config["RQ_QUEUES"]
        assert croniter.is_valid(cron), cron
        names.add(name)
    assert {"scan_warnings", "reap_stalled_jobs"} <= names
