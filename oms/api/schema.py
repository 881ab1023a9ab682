"""OpenAPI documentation helpers: the API key security schemes, scopes in every operation, error responses."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from oms.api.errors import ErrorSerializer


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "oms.api.authentication.ApiKeyAuthentication"
    name = ["tokenAuth", "bearerAuth"]

    def get_security_requirement(self, auto_schema):
        return [{"tokenAuth": []}, {"bearerAuth": []}]  # either header form works

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "An API key as `Authorization: Token oms_<prefix>_<secret>`. Keys are made with "
                "`manage.py create_api_key --name NAME --scopes orders:read,...` or in the admin.",
            },
            {
                "type": "http",
                "scheme": "bearer",
                "description": "The same API key as `Authorization: Bearer oms_<prefix>_<secret>`.",
            },
        ]


class ScopedAutoSchema(AutoSchema):
    """Adds the scope a view requires to its description and as `x-required-scope`."""

    def _scope(self) -> str | None:
        return getattr(self.view, "required_scope", None)

    def get_description(self) -> str:
        description = super().get_description() or ""
        scope = self._scope()
        if scope:
            description = f"{description}\n\n**Required scope:** `{scope}` (staff sessions have every scope)."
        return description.strip()

    def get_extensions(self) -> dict:
        extensions = dict(super().get_extensions() or {})
        if self._scope():
            extensions["x-required-scope"] = self._scope()
        return extensions


def _error(code: str, message: str, field=None, details=None) -> dict:
    return {"error": {"code": code, "message": message, "field": field, "details": details or []}}


ERROR_EXAMPLES: dict[int, tuple[str, list[OpenApiExample]]] = {
    400: (
        "Invalid input: every problem is listed in `details`.",
        [
            OpenApiExample(
                "validation_error",
                value=_error(
                    "validation_error",
                    "This field is required.",
                    "note",
                    [{"field": "note", "code": "required", "message": "This field is required."}],
                ),
            )
        ],
    ),
    401: (
        "No credentials, or a wrong or revoked API key.",
        [
            OpenApiExample(
                "not_authenticated", value=_error("not_authenticated", "認証情報が含まれていません。")
            ),
            OpenApiExample("invalid_api_key", value=_error("invalid_api_key", "Invalid API key.")),
            OpenApiExample(
                "api_key_revoked", value=_error("api_key_revoked", "This API key has been revoked.")
            ),
        ],
    ),
    403: (
        "The API key lacks the scope (or the session user is not staff).",
        [
            OpenApiExample(
                "missing_scope",
                value=_error("missing_scope", "This API key does not have the scope orders:write."),
            )
        ],
    ),
    404: ("No such object.", [OpenApiExample("not_found", value=_error("not_found", "Not found."))]),
    409: (
        "The request is valid but the object's state does not allow it.",
        [
            OpenApiExample(
                "illegal_transition",
                value=_error(
                    "illegal_transition",
                    "Order 100001-20261126-00000001 cannot change from 出荷済み to 印刷待ち.",
                    details=[{"from": "shipped", "to": "ready"}],
                ),
            )
        ],
    ),
    429: (
        "Rate limit of the API key spent; retry after the `Retry-After` header's seconds.",
        [
            OpenApiExample(
                "rate_limited",
                value=_error("rate_limited", "Request was throttled. Expected available in 12 seconds."),
            )
        ],
    ),
}


def api_responses(
    ok: dict,
    *errors: int,
    conflict_examples: list[OpenApiExample] | None = None,
    invalid_examples: list[OpenApiExample] | None = None,
) -> dict:
    """`ok` ({200: Serializer}) plus the error responses: 401, 403 and 429 always, and the given ones.
    `invalid_examples` replace the shared 400 example, whose `note` field only stock adjustments have."""
    responses = dict(ok)
    for status_code in sorted({401, 403, 429, *errors}):
        description, examples = ERROR_EXAMPLES[status_code]
        if status_code == 409 and conflict_examples:
            examples = conflict_examples
        if status_code == 400 and invalid_examples:
            examples = invalid_examples
        responses[status_code] = OpenApiResponse(ErrorSerializer, description=description, examples=examples)
    return responses
