"""Command line that starts one local marketplace on 127.0.0.1.

python -m channels.simulators rakuten|yahoo|amazon --port PORT [--seed N] [--rate-limits real|off]
    amazon only: [--maildir DIR] [--smtp-port PORT]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import sys
from types import FrameType

from channels.simulators.base import Simulator

SIMULATORS = {
    "rakuten": ("channels.simulators.rakuten", "RakutenSimulator"),
    "yahoo": ("channels.simulators.yahoo", "YahooSimulator"),
    "amazon": ("channels.simulators.amazon", "AmazonSimulator"),
}
DEFAULT_PORTS = {"rakuten": 8101, "yahoo": 8102, "amazon": 8103}


def build(kind: str, *, seed: int, rate_limits: bool, **options: object) -> Simulator:
    """Import only the requested marketplace, so one broken module cannot stop the others. `options` are
    the marketplace's own (amazon: maildir, smtp_port)."""
    module_name, class_name = SIMULATORS[kind]
    simulator_class = getattr(importlib.import_module(module_name), class_name)
    return simulator_class(seed=seed, rate_limits=rate_limits, **options)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m channels.simulators", description=__doc__.splitlines()[0]
    )
    parser.add_argument("kind", choices=sorted(SIMULATORS))
    parser.add_argument("--port", type=int, help="default: 8101 rakuten, 8102 yahoo, 8103 amazon")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default: loopback only)")
    parser.add_argument("--seed", type=int, default=1, help="makes generated data reproducible")
    parser.add_argument("--rate-limits", choices=("real", "off"), default="real")
    parser.add_argument(
        "--shoppers",
        type=float,
        default=0.0,
        metavar="RATE_PER_MIN",
        help="start simulated shoppers at once (same as POST /_sim/shoppers); default 0 = none",
    )
    parser.add_argument(
        "--defect-rate", type=float, default=0.0, help="share of defective shopper orders (0..1)"
    )
    parser.add_argument(
        "--maildir",
        help="amazon: the seller's Maildir that buyer messages go to (default: a new temporary directory)",
    )
    parser.add_argument(
        "--smtp-port",
        type=int,
        help="amazon: also take replies to relay addresses by SMTP on this port (0 = any free port)",
    )
    args = parser.parse_args(argv)
    if args.shoppers < 0 or not 0 <= args.defect_rate <= 1:
        parser.error("--shoppers must be >= 0 and --defect-rate between 0 and 1")
    if args.kind != "amazon" and (args.maildir is not None or args.smtp_port is not None):
        parser.error("--maildir and --smtp-port belong to the amazon simulator")
    if args.smtp_port is not None and not 0 <= args.smtp_port <= 65535:
        parser.error("--smtp-port must be a port number (0 = any free port)")
    return args


def marketplace_options(args: argparse.Namespace) -> dict:
    if args.kind == "amazon":
        return {"maildir": args.maildir, "smtp_port": args.smtp_port}
    return {}


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    simulator = build(
        args.kind, seed=args.seed, rate_limits=args.rate_limits == "real", **marketplace_options(args)
    )
    if args.shoppers > 0:
        simulator.set_shoppers(args.shoppers, args.defect_rate)
    signal.signal(signal.SIGTERM, _stop)
    with contextlib.suppress(KeyboardInterrupt):
        simulator.serve(args.port if args.port is not None else DEFAULT_PORTS[args.kind], host=args.bind)
    sys.exit(0)


if __name__ == "__main__":
    main()
