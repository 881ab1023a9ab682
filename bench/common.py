"""What the benchmarks share: the database, simulator processes, the demo shop, timing and the report."""

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import requests

ROOT = Path(__file__).resolve().parent.parent


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist yet."""
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = psycopg2.connect(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password or None,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


@dataclass
class Report:
    rows: list[dict] = field(default_factory=list)

    def add(
        self, name: str, value: float, unit: str, *, baseline: float | None = None, note: str = ""
    ) -> None:
        """Print one measurement; with a baseline, also how many times slower (or faster) it is."""
        row = {"name": name, "value": round(value, 3), "unit": unit, "note": note}
        line = (
            f"   {name}: {value:,.1f} {unit}"
            if abs(value) >= 1 or not value
            else f"   {name}: {value:.3f} {unit}"
        )
        if baseline:
            row["baseline"] = round(baseline, 3)
            row["ratio"] = round(value / baseline, 3)
            line += f"  (baseline {baseline:,.1f} {unit}; ratio {value / baseline:.2f})"
        if note:
            line += f"  [{note}]"
        print(line, flush=True)
        self.rows.append(row)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Simulator:
    kind: str
    url: str
    process: subprocess.Popen

    def control(self, method: str, path: str, json=None, timeout: float = 10) -> requests.Response:
        return requests.request(method, f"{self.url}{path}", json=json, timeout=timeout)


@contextlib.contextmanager
def simulators(kinds, *, rate_limits: str = "off", seed: int = 1, env_extra: dict | None = None):
    """Start one simulator process per kind on free loopback ports; stop them afterwards."""
    sims = {}
    env = {**os.environ, **(env_extra or {})}
    try:
        for kind in kinds:
            port = free_port()
            process = subprocess.Popen(
                [
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
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            sims[kind] = Simulator(kind, f"http://127.0.0.1:{port}", process)
        for sim in sims.values():
            deadline = time.monotonic() + 15
            while True:
                try:
                    sim.control("GET", "/_sim/credentials", timeout=1)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
        yield sims
    finally:
        for sim in sims.values():
            sim.process.terminate()
        for sim in sims.values():
            sim.process.wait(timeout=10)


def reset_shop(sims: dict, *, stock: int | None = None, poll_interval: int = 2) -> None:
    """Empty the OMS tables, seed the demo shop and point its channels at these simulators."""
    from django.db import connection

    from channels.models import Channel
    from inventory.models import SKU
    from inventory.services import stock_set_count
    from oms.demo import demo_seed

    tables = [
        m._meta.db_table
        for app in ("orders", "inventory", "channels", "shipping", "notifications")
        for m in __import__("django.apps", fromlist=["apps"]).apps.get_app_config(app).get_models()
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    demo_seed()
    for kind, sim in sims.items():
        Channel.objects.filter(kind=kind).update(
            base_url=sim.url, poll_interval_seconds=poll_interval, stock_buffer=0
        )
    Channel.objects.exclude(kind__in=list(sims)).update(enabled=False)
    if stock is not None:
        for sku in SKU.objects.filter(is_set=False):
            stock_set_count(sku=sku, counted=stock, actor="bench")
