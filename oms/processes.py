"""Celery worker and beat as child processes, for the end-to-end tests and the benchmarks."""

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from oms.paths import BASE_DIR


@dataclass
class CeleryProcesses:
    env: dict
    logs: Path
    procs: dict = field(default_factory=dict)

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, name: str, args: list[str]) -> subprocess.Popen:
        out = (self.logs / f"{name}.log").open("a")
        proc = subprocess.Popen(  # noqa: S603  # nosec B603 # our interpreter, fixed arguments
            [sys.executable, "-m", "celery", "-A", "oms", *args],
            cwd=BASE_DIR,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def start_worker(self, name: str = "worker", concurrency: int = 4) -> subprocess.Popen:
        return self.start(
            name,
            [
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "--pool=threads",
                f"--hostname={name}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
        )

    def start_beat(self) -> subprocess.Popen:
        return self.start(
            "beat",
            [
                "beat",
                "--loglevel=INFO",
                f"--pidfile={self.logs / 'beat.pid'}",
                f"--schedule={self.logs / 'beat-schedule'}",
            ],
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
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
