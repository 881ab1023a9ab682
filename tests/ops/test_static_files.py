"""The collected static files are served by the app itself (WhiteNoise), so gunicorn, as docker-compose runs it,
gives the dashboard its CSS and the API docs their scripts: nothing else in the install serves them."""

import os
import socket
import subprocess  # nosec B404 # runs collectstatic and gunicorn as docker-compose does
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SWAGGER = "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_serves_the_collected_static_files(tmp_path):
    env = {
        **os.environ,
        "STATIC_ROOT": str(tmp_path / "static"),
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback, as make run
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(  # nosec B603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    port = _free_port()
    server = subprocess.Popen(  # nosec B603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "oms.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/static/{SWAGGER}", timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert "javascript" in response.headers["Content-Type"]
        assert (
            requests.get(f"http://127.0.0.1:{port}/static/admin/css/base.css", timeout=5).status_code == 200
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
