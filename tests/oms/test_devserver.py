"""`make run`'s supervisor plans its processes before Django is set up."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_process_list_is_built_without_django_being_set_up():
    code = "from oms.devserver import _commands; print([name for name, _ in _commands(8000, True, 2.0)])"

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['rakuten', 'yahoo', 'amazon', 'mail', 'worker', 'beat', 'web']"


def test_each_simulator_gets_its_own_seed():
    """One seed made the same buyer buy the same item in the same minute on all three shops."""
    code = (
        "from oms.devserver import _commands; "
        "print([args[args.index('--seed') + 1] for name, args in _commands(8000, True, 2.0) if '--seed' in args])"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['1', '2', '3']"
