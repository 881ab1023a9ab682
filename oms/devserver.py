"""`make run`'s supervisor: starts the simulators, a Celery worker, Celery beat and the web server, and
stops them all together (Ctrl-C, SIGTERM, or any one of them dying).

Run as `python -m oms.devserver [--no-simulators] [--port 8000]`. Each child is a separate OS process;
their output is interleaved here with a name prefix.
"""

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from oms.demo_endpoints import SIMULATOR_PORTS
from oms.paths import BASE_DIR, VAR_DIR
from oms.queues import QUEUES


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # Plain HTTP on loopback: the production HTTPS-only defaults would lock the browser out.
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        env.setdefault(name, "0")
    env.setdefault("SECURE_HSTS_SECONDS", "0")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _amazon_mail_args(kind: str) -> list[str]:
    """Amazon buyer messages go to a Maildir the OMS reads; replies come back by SMTP (see oms/demo.py)."""
    if kind != "amazon":
        return []
    from oms.demo_endpoints import AMAZON_SIM_SMTP_PORT, amazon_maildir

    return ["--maildir", amazon_maildir(), "--smtp-port", str(AMAZON_SIM_SMTP_PORT)]


def _commands(port: int, simulators: bool, shoppers: float) -> list[tuple[str, list[str]]]:
    py = sys.executable
    commands = []
    if simulators and importlib.util.find_spec("channels.simulators") is not None:
        for seed, (kind, sim_port) in enumerate(SIMULATOR_PORTS.items(), start=1):
            commands.append(
                (
                    kind,
                    [
                        py,
                        "-m",
                        "channels.simulators",
                        kind,
                        "--port",
                        str(sim_port),
                        "--seed",  # each shop its own buyers: one seed made the same person buy on all three
                        str(seed),
                        "--shoppers",
                        str(shoppers),
                        *_amazon_mail_args(kind),
                    ],
                )
            )
    # A local mail catcher on EMAIL_HOST/EMAIL_PORT's defaults: customer mails are printed here, not sent.
    if not os.environ.get("EMAIL_HOST") and not os.environ.get("EMAIL_BACKEND"):
        commands.append(("mail", [py, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:1025"]))
    commands += [
        (
            "worker",
            [
                py,
                "-m",
                "celery",
                "-A",
                "oms",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--hostname=worker@%h",
                # One worker for every queue (oms.queues); production runs one per queue group.
                "-Q",
                ",".join(QUEUES),
            ],
        ),
        (
            "beat",
            [
                py,
                "-m",
                "celery",
                "-A",
                "oms",
                "beat",
                "--loglevel=INFO",
                f"--pidfile={VAR_DIR / 'celerybeat.pid'}",
                f"--schedule={VAR_DIR / 'celerybeat-schedule'}",
            ],
        ),
        ("web", [py, "manage.py", "runserver", f"127.0.0.1:{port}", "--insecure", "--noreload"]),
    ]
    return commands


def _pump(name: str, stream, out) -> None:
    for line in iter(stream.readline, ""):
        out.write(f"{name:>8} | {line}")
        out.flush()


def _login_hint(port: int) -> str:
    login = Path(VAR_DIR / "demo-login.txt")
    lines = [f"\n  OMS is starting on http://127.0.0.1:{port}/  (admin: http://127.0.0.1:{port}/admin/)"]
    if login.exists():
        for entry in login.read_text(encoding="utf-8").splitlines():
            user, password, *role = entry.split()
            lines.append(f"  Log in as '{user}' with password '{password}' ({' '.join(role) or 'staff'})")
        lines.append("  (passwords are kept in var/demo-login.txt)")
    lines.append(
        "  Simulators: " + ", ".join(f"{k} http://127.0.0.1:{p}" for k, p in SIMULATOR_PORTS.items())
    )
    lines.append("  Stop everything with Ctrl-C.\n")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-simulators", action="store_true")
    parser.add_argument(
        "--shoppers", type=float, default=2.0, help="simulated orders per minute on each shop"
    )
    args = parser.parse_args(argv)

    children: list[tuple[str, subprocess.Popen]] = []
    stopping = threading.Event()

    def stop(*_args) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    # Stale pid file from a killed run would stop beat from starting.
    (VAR_DIR / "celerybeat.pid").unlink(missing_ok=True)
    for name, command in _commands(args.port, not args.no_simulators, args.shoppers):
        process = subprocess.Popen(  # noqa: S603  # nosec B603 # our own interpreter and fixed arguments
            command,
            cwd=BASE_DIR,
            env=_child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=_pump, args=(name, process.stdout, sys.stdout), daemon=True).start()
        children.append((name, process))
    print(_login_hint(args.port), flush=True)

    exit_code = 0
    while not stopping.is_set():
        for name, process in children:
            if process.poll() is not None:
                print(f"{name} exited with code {process.returncode}; stopping the others.", flush=True)
                exit_code = process.returncode or 1
                stopping.set()
        time.sleep(0.5)
    for _name, process in children:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for _name, process in children:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
