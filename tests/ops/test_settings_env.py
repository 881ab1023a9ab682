"""Settings a seller sets in the environment (README's configuration table) reach the code that uses them."""

import json
import os
import subprocess  # nosec B404 # a fresh interpreter reads the settings from the environment given
import sys
from pathlib import Path

from django.conf import settings

from shipping.labels import DEFAULT_SENDER

ROOT = Path(__file__).resolve().parents[2]


def _settings_with(env: dict[str, str], expression: str):
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({expression}, ensure_ascii=False))"
    )
    done = subprocess.run(  # nosec B603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "oms.settings", "LOG_LEVEL": "WARNING", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_label_sender_comes_from_oms_sender_variables():
    sender = _settings_with(
        {
            "OMS_SENDER_ADDRESS": "静岡県静岡市葵区伝馬町1-2-3",
            "OMS_SENDER_YAMATO_BILLING_CODE": "054123456701",
        },
        "settings.OMS_SENDER",
    )

    # only what is set: the rest keeps shipping.labels.DEFAULT_SENDER's values
    assert sender == {"address": "静岡県静岡市葵区伝馬町1-2-3", "yamato_billing_code": "054123456701"}


def test_every_sender_key_has_its_variable():
    assert set(settings.OMS_SENDER_KEYS) == set(DEFAULT_SENDER)
