"""`python -m bench [NAME ...]`: run the benchmarks on PostgreSQL and print one line per measurement.

Uses DATABASE_URL / REDIS_URL when set, else a database `oms_bench` on 127.0.0.1:5432 (created if missing)
and Redis db 13. Results are also written to bench/results/latest.json.
"""

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path

BENCHES = ["checks", "intake", "scaleout", "sync_latency", "oversell", "order_list", "fulfilment"]
ROOT = Path(__file__).resolve().parent.parent


def _prepare_environment() -> None:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
    os.environ.setdefault("OMS_VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    os.environ["OMS_SYNC_TRIGGERS"] = os.environ.get("OMS_SYNC_TRIGGERS", "0")
    from bench.common import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHES)} (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    _prepare_environment()
    from bench.common import Report

    report = Report()
    for name in args.names or BENCHES:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}: {module.__doc__.splitlines()[0]}", flush=True)
        started = time.monotonic()
        module.run(report, quick=args.quick)
        print(f"   ({time.monotonic() - started:.0f} s)", flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report.rows, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
