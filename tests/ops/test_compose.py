"""docker-compose.yml, read statically (no Docker engine needed): every part of a production install is
there with a healthcheck, one worker per queue group can be scaled, and every command it runs exists."""

import ast
import importlib
import importlib.util
import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands
from django.urls import resolve

from oms.queues import QUEUES, TIME_LIMITS

ROOT = Path(__file__).resolve().parents[2]
SIMULATOR_PORTS = {"rakuten": 8101, "yahoo": 8102, "amazon": 8103}
ONE_SHOT = {"setup"}  # migrates and seeds, then exits: the others wait for it to complete


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _app_services(services) -> dict:
    """The services that run our source (the Python image with the checkout mounted)."""
    return {name: s for name, s in services.items() if s.get("working_dir") == "/app"}


def _commands(command) -> list[list[str]]:
    """The argument lists a compose `command` runs; `sh -c "a && b"` gives one per step."""
    args = command if isinstance(command, list) else shlex.split(command)
    if args[:2] == ["sh", "-c"]:
        return [shlex.split(step) for step in re.split(r"&&|;", args[2]) if step.strip()]
    return [args]


def _queues(args: list[str]) -> list[str]:
    return args[args.index("-Q") + 1].split(",") if "-Q" in args else []


def _workers(services) -> dict:
    return {
        name: _commands(s["command"])[0]
        for name, s in services.items()
        if s.get("command") and _commands(s["command"])[0][:4] == ["celery", "-A", "oms", "worker"]
    }


def test_every_part_of_a_production_install_is_a_service(services):
    commands = {name: _commands(s["command"]) for name, s in _app_services(services).items()}

    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "mailpit" in services["mailpit"]["image"]  # the local mail catcher
    assert commands["web"][0][:2] == ["gunicorn", "oms.wsgi:application"]
    assert commands["beat"][0][:4] == ["celery", "-A", "oms", "beat"]
    for kind, port in SIMULATOR_PORTS.items():
        assert commands[kind][0][:4] == ["python", "-m", "channels.simulators", kind]
        assert commands[kind][0][commands[kind][0].index("--port") + 1] == str(port)


def test_one_worker_per_queue_group_covers_every_queue_once(services):
    consumed = [queue for args in _workers(services).values() for queue in _queues(args)]

    assert all(_queues(args) for args in _workers(services).values()), "a worker without -Q takes every queue"
    assert sorted(consumed) == sorted(QUEUES)


def test_workers_can_be_scaled_out(services):
    """`docker compose up --scale worker-stock=2` needs services without a fixed name, host port or hostname;
    each copy then gets its own container hostname and so its own Celery node name."""
    for name in _workers(services):
        service = services[name]
        assert not {"container_name", "ports", "hostname"} & set(service), name
        assert "--hostname" not in " ".join(_workers(services)[name]), name


def test_a_stopped_worker_gets_the_time_to_finish_a_stock_push(services):
    """docker stop sends SIGTERM, then SIGKILL after the grace period (10 s by default); a warm shutdown
    finishes the running tasks, so give it longer than a stock push may take."""
    for name in _workers(services):
        grace = services[name].get("stop_grace_period", "10s")
        seconds = sum(int(n) * {"s": 1, "m": 60}[unit] for n, unit in re.findall(r"(\d+)([sm])", grace))
        assert seconds > TIME_LIMITS["stock"][1], name


def test_every_long_running_service_has_a_healthcheck(services):
    for name, service in services.items():
        if name in ONE_SHOT:
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in {"CMD", "CMD-SHELL"}, name


def test_healthchecks_ask_the_right_things(services):
    web = services["web"]["healthcheck"]["test"]
    assert resolve("/readyz").url_name is not None and "/readyz" in " ".join(web)
    for name in _workers(services):
        check = " ".join(services[name]["healthcheck"]["test"])
        assert "celery -A oms inspect ping" in check, name
    for kind, port in SIMULATOR_PORTS.items():
        test = services[kind]["healthcheck"]["test"]
        assert "/_sim/credentials" in " ".join(test) and test[-1] == str(port), kind
    for service in _app_services(services).values():
        test = service.get("healthcheck", {}).get("test", [])
        if test[:3] == ["CMD", "python", "-c"]:
            ast.parse(test[3])  # the inline Python at least compiles


def test_every_command_it_runs_exists(services):
    management = get_commands()
    checked = 0
    for name, service in _app_services(services).items():
        for args in _commands(service["command"]):
            program = args[0]
            if args[:2] == ["python", "manage.py"]:
                assert args[2] in management, (name, args)
            elif args[:2] == ["python", "-m"]:
                assert importlib.util.find_spec(args[2]) is not None, (name, args)
            elif program == "celery":
                assert args[1:3] == ["-A", "oms"] and args[3] in {"worker", "beat"}, (name, args)
                importlib.import_module("oms.celery")
                assert set(_queues(args)) <= set(QUEUES), (name, args)
            elif program == "gunicorn":
                module, attribute = args[1].split(":")
                assert callable(getattr(importlib.import_module(module), attribute)), (name, args)
            elif program == "pip":
                assert (ROOT / args[args.index("-r") + 1]).is_file(), (name, args)
            else:
                pytest.fail(f"{name} runs {program}, which this test does not know how to check")
            checked += 1
    assert checked >= 12


def test_the_app_reaches_the_other_services_by_name(compose, services):
    env = compose["x-app"]["environment"]

    assert "@postgres:5432/" in env["DATABASE_URL"] and env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["EMAIL_HOST"] in services
    for kind, port in SIMULATOR_PORTS.items():
        assert env[f"OMS_SIM_{kind.upper()}_URL"] == f"http://{kind}:{port}"
    setup = services["setup"]["depends_on"]
    assert setup == {"postgres": {"condition": "service_healthy"}, "redis": {"condition": "service_healthy"}}
    for name, service in _app_services(services).items():
        if name != "setup":
            assert service["depends_on"]["setup"] == {"condition": "service_completed_successfully"}, name


def test_the_database_and_broker_stop_after_everything_that_uses_them(services):
    """Compose stops services in reverse dependency order: a worker whose broker went first hung in its warm
    shutdown until SIGKILL (seen running it with docker-compose 1.29)."""
    for name, service in _app_services(services).items():
        for needed in ("postgres", "redis"):
            assert service["depends_on"][needed] == {"condition": "service_healthy"}, (name, needed)


def test_the_simulators_have_shoppers_and_amazon_mail_reaches_the_oms(services):
    """Without shoppers no order ever arrives; Amazon's buyer messages must land in the Maildir the OMS reads
    (on the shared var volume), and replies go to the relay port the demo channel is given."""
    from oms.demo_endpoints import AMAZON_SIM_SMTP_PORT

    shared = {volume.split(":")[1] for volume in services["worker-default"]["volumes"]}
    for kind in SIMULATOR_PORTS:
        args = _commands(services[kind]["command"])[0]
        assert float(args[args.index("--shoppers") + 1]) > 0, kind
    amazon = _commands(services["amazon"]["command"])[0]
    maildir = amazon[amazon.index("--maildir") + 1]
    assert maildir == "/app/var/amazon-maildir" and "/app/var" in shared
    assert int(amazon[amazon.index("--smtp-port") + 1]) == AMAZON_SIM_SMTP_PORT
