"""Celery worker and beat run as separate processes and move a scheduled task, on both brokers."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _redis_url() -> str | None:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return None
    return url


def _env(tmp_path, broker_url):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env.update(OMS_VAR_DIR=str(tmp_path), OMS_RECONCILE_SECONDS="1", PYTHONUNBUFFERED="1")
    if broker_url:
        env["REDIS_URL"] = broker_url
    return env


def _wait_for(path: Path, text: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return True
        time.sleep(0.5)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["filesystem", "redis"])
def test_beat_schedules_and_a_separate_worker_runs_the_task(tmp_path, broker):
    broker_url = None
    if broker == "redis":
        broker_url = _redis_url()
        if broker_url is None:
            pytest.skip("Redis is not running on 127.0.0.1:6379")
    env = _env(tmp_path, broker_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180
    )
    if broker_url:
        import redis

        redis.Redis.from_url(broker_url).flushdb()
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    celery = [sys.executable, "-m", "celery", "-A", "oms"]
    with worker_log.open("w") as wout, beat_log.open("w") as bout:
        worker = subprocess.Popen(
            [*celery, "worker", "--loglevel=INFO", "--pool=solo", "--without-mingle", "--without-gossip"],
            cwd=ROOT,
            env=env,
            stdout=wout,
            stderr=subprocess.STDOUT,
        )
        beat = subprocess.Popen(
            [*celery, "beat", "--loglevel=INFO", f"--pidfile={tmp_path / 'beat.pid'}"],
            cwd=ROOT,
            env=env,
            stdout=bout,
            stderr=subprocess.STDOUT,
        )
        try:
            ran = _wait_for(worker_log, "stock reconciliation: 0 drift(s)", timeout=60)
        finally:
            for process in (beat, worker):
                process.terminate()
            for process in (beat, worker):
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
    assert worker.pid != beat.pid
    assert ran, f"worker log:\n{worker_log.read_text()}\nbeat log:\n{beat_log.read_text()}"
    assert "Sending due task stock-reconcile" in beat_log.read_text()
