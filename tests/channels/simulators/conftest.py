"""Fixture `start_simulator`: runs a marketplace simulator as a subprocess on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_SECONDS = 15.0


@dataclass
class SimHandle:
    kind: str
    port: int
    process: subprocess.Popen = field(repr=False)
    log: Any = field(repr=False)
    credentials: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def control(self, method: str, path: str, json: Any = None, timeout: float = 10.0) -> requests.Response:
        """Call the control API; `path` may be "/_sim/stats" or just "stats"."""
        if not path.startswith("/_sim/"):
            path = "/_sim/" + path.lstrip("/")
        return requests.request(method, self.url + path, json=json, timeout=timeout)

    def output(self) -> str:
        """What the simulator wrote to stdout/stderr so far (for failure messages)."""
        self.log.flush()
        return Path(self.log.name).read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_ready(handle: SimHandle) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if handle.process.poll() is not None:
            raise RuntimeError(f"{handle.kind} simulator exited early:\n{handle.output()}")
        try:
            answer = requests.get(handle.url + "/_sim/credentials", timeout=1)
            if answer.status_code == 200:
                handle.credentials = answer.json()
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise RuntimeError(
        f"{handle.kind} simulator not ready after {START_TIMEOUT_SECONDS}s:\n{handle.output()}"
    )


@pytest.fixture
def start_simulator() -> Iterator[Callable[..., SimHandle]]:
    """Factory: start_simulator(kind, *, seed=1, rate_limits="off", extra_args=()) -> SimHandle.

    Each simulator is stopped at teardown.
    """
    started: list[SimHandle] = []

    def start(
        kind: str, *, seed: int = 1, rate_limits: str = "off", extra_args: tuple[str, ...] = ()
    ) -> SimHandle:
        port = _free_port()
        log = tempfile.NamedTemporaryFile(prefix=f"sim-{kind}-", suffix=".log", delete=False)  # noqa: SIM115
        command = [
            sys.executable,
            "-m",
            "channels.simulators",
            kind,
            "--port",
            str(port),
            "--seed",
            str(seed),
            "--rate-limits",
            rate_limits,
            *extra_args,
        ]
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
        handle = SimHandle(kind=kind, port=port, process=process, log=log)
        started.append(handle)
        _wait_until_ready(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()
        Path(handle.log.name).unlink(missing_ok=True)
