"""An uploaded file kept in the session between its preview and the person's "apply" (one per kind).

The preview shows what the file would do; applying reads the same bytes again, so what is applied is exactly
what was previewed, without a second upload. A token ties the apply button to the preview it was shown on.
"""

import base64
import secrets

SESSION_KEY = "dashboard_uploads"


def upload_keep(request, *, kind: str, content: bytes, **meta) -> str:
    """Keep `content` (and `meta`) for `kind`, replacing an earlier upload of that kind; returns its token."""
    token = secrets.token_urlsafe(12)
    uploads = request.session.get(SESSION_KEY, {})
    uploads[kind] = {"token": token, "content": base64.b64encode(content).decode("ascii"), **meta}
    request.session[SESSION_KEY] = uploads
    return token


def upload_get(request, *, kind: str, token: str) -> tuple[bytes, dict] | None:
    """(content, meta) of the kept upload of `kind` if `token` is its token, else None."""
    kept = request.session.get(SESSION_KEY, {}).get(kind)
    if not kept or not token or not secrets.compare_digest(kept["token"], token):
        return None
    meta = {key: value for key, value in kept.items() if key not in {"token", "content"}}
    return base64.b64decode(kept["content"]), meta


def upload_forget(request, *, kind: str) -> None:
    uploads = request.session.get(SESSION_KEY, {})
    if uploads.pop(kind, None) is not None:
        request.session[SESSION_KEY] = uploads
