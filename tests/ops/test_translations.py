"""Every message the code marks for translation has its Japanese text: the dashboard and the API speak Japanese
first, and a message added without one reaches Japanese users in English (as the 3PL API's did)."""

import shutil
import subprocess  # nosec B404 # runs Django's makemessages and gettext's msgattrib on a copy of the sources
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not (shutil.which("xgettext") and shutil.which("msgattrib")), reason="gettext tools are not installed"
)


def _entries(po: Path, *flags: str) -> list[str]:
    out = subprocess.run(  # nosec B603 B607
        ["msgattrib", *flags, "--no-location", str(po)], check=True, capture_output=True, text=True
    ).stdout
    return [block for block in out.split("\n\n") if "msgid" in block and 'msgid ""\nmsgstr ""' not in block]


def test_every_marked_message_has_a_japanese_translation(tmp_path):
    tracked = subprocess.run(  # nosec B603 B607
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        source = ROOT / name.decode()
        if source.is_file():
            (tmp_path / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tmp_path / name.decode())

    subprocess.run(  # nosec B603
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "ja",
            "--ignore=tests",
            "--ignore=bench",
            "-v",
            "0",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )

    po = tmp_path / "locale/ja/LC_MESSAGES/django.po"
    missing = _entries(po, "--untranslated") + _entries(po, "--only-fuzzy")
    assert not missing, "messages without a Japanese translation:\n\n" + "\n\n".join(missing)
