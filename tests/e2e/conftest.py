"""End-to-end fixtures: a real Celery worker and beat, as separate processes, on the test database."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Processes:
    env: dict
    logs: Path
    procs: dict

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def start(self, name: str, args: list[str]) -> subprocess.Popen:
        out = (self.logs / f"{name}.log").open("a")
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "oms", *args],
            cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.procs[name] = proc
        return proc

    def start_worker(self, name: str = "worker", concurrency: int = 4) -> subprocess.Popen:
        return self.start(
            name,
            ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--pool=threads",
             f"--hostname={name}@%h", "--without-mingle", "--without-gossip"],
        )  # fmt: skip

    def start_beat(self) -> subprocess.Popen:
        return self.start("beat", ["beat", "--loglevel=INFO", f"--pidfile={self.logs / 'beat.pid'}",
                                   f"--schedule={self.logs / 'beat-schedule'}"])  # fmt: skip

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        proc = self.procs[name]
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def celery_processes(tmp_path, on_postgres):
    """Start nothing yet; gives a handle to start worker(s) and beat against the test database and Redis."""
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG"}}
    env.update(
        DATABASE_URL=_database_url(),
        REDIS_URL=redis_url,
        OMS_VAR_DIR=str(tmp_path),
        OMS_SYNC_TRIGGERS="1",
        PYTHONUNBUFFERED="1",
        CONN_MAX_AGE="0",
    )
    handle = Processes(env=env, logs=tmp_path, procs={})
    yield handle
    handle.stop_all()


def wait_until(predicate, timeout: float, interval: float = 0.25, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s: {message}")
