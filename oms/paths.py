"""Where the project keeps its local state (var/) and how local secrets are created there."""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# OMS_VAR_DIR moves all local state (SQLite file, queue folders, generated keys), e.g. for an isolated test run.
VAR_DIR = Path(os.environ.get("OMS_VAR_DIR") or BASE_DIR / "var")


def local_secret(name: str, *, factory=lambda: secrets.token_urlsafe(50)) -> str:
    """Read a secret kept in var/, creating it on first use (mode 0600). Never committed: var/ is ignored."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        value = factory()
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = path.open("x", encoding="ascii")
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
        with fd:
            path.chmod(0o600)
            fd.write(value)
        return value
    return path.read_text(encoding="ascii").strip()
