"""Where the demo's simulators listen (no Django import: `make run`'s supervisor reads it before Django starts)."""

import os

from oms.paths import VAR_DIR

SIMULATOR_HOST = "127.0.0.1"
SIMULATOR_PORTS = {"rakuten": 8101, "yahoo": 8102, "amazon": 8103}
# Amazon buyer messages arrive as e-mail: the simulator delivers them into this Maildir and takes the
# seller's replies by SMTP on this port, as Amazon's relay does.
AMAZON_SIM_SMTP_PORT = 8125


def amazon_maildir() -> str:
    return os.environ.get("OMS_SIM_AMAZON_MAILDIR") or str(VAR_DIR / "amazon-maildir")
