"""A worker and beat for benchmarks that need the OMS running in the background."""

import contextlib
import os
import tempfile
from pathlib import Path

from oms.processes import CeleryProcesses


@contextlib.contextmanager
def running_oms(**env_extra):
    """Worker (4 threads) and beat against the benchmark database, with extra settings in the environment."""
    from django.db import connection

    connection.close()  # children open their own connections; ours reopens on next use
    with tempfile.TemporaryDirectory() as logs:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMS_SYNC_TRIGGERS": "1", "CONN_MAX_AGE": "0"}
        env.update({k: str(v) for k, v in env_extra.items()})
        env["OMS_VAR_DIR"] = logs
        from django.conf import settings

        # Same keys as this process, or the worker could not read the channel credentials.
        env["OMS_ENCRYPTION_KEYS"] = ",".join(settings.OMS_ENCRYPTION_KEYS)
        env["SECRET_KEY"] = settings.SECRET_KEY
        processes = CeleryProcesses(env=env, logs=Path(logs))
        processes.start_worker(concurrency=6)
        processes.start_beat()
        try:
            yield processes
        finally:
            processes.stop_all()
