"""API keys: the create_api_key command prints the key once, only its hash is stored, the admin shows and revokes."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from oms.models import ApiKey

pytestmark = pytest.mark.django_db


def _create(*args) -> str:
    out = StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_a_working_key_as_its_last_word(shop):
    output = _create("--name", "acme-3pl", "--scopes", "orders:read,stock:read")

    key = output.split()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/stock/").status_code == 200
    assert client.get("/api/v1/orders/").status_code == 200
    assert client.get("/api/v1/products/").status_code == 403


def test_only_the_hash_of_the_key_is_stored(db):
    key = _create("--name", "acme-3pl", "--scopes", "stock:read").split()[-1]

    api_key = ApiKey.objects.get()
    assert api_key.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = " ".join(str(value) for value in ApiKey.objects.values_list().get())
    assert key not in stored
    assert key.split("_")[-1] not in stored
    assert (api_key.name, api_key.scopes) == ("acme-3pl", ["stock:read"])


def test_every_key_is_different(db):
    keys = {_create("--name", "same", "--scopes", "stock:read").split()[-1] for _ in range(5)}

    assert len(keys) == 5
    assert all(len(key) > 40 for key in keys)


@pytest.mark.parametrize("scopes", ["orders:read,orders:delete", "", " , "])
def test_unknown_or_no_scopes_are_refused(db, scopes):
    with pytest.raises(CommandError):
        _create("--name", "x", "--scopes", scopes)

    assert not ApiKey.objects.exists()


def test_the_admin_shows_a_new_key_once_and_stores_its_hash(admin_client, shop):
    response = admin_client.post(
        reverse("admin:oms_apikey_add"), {"name": "cs-agency", "scopes": ["orders:read", "inquiries:read"]}
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    api_key = ApiKey.objects.get()
    key = response.context["raw_key"]
    assert key in response.content.decode()
    assert api_key.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert api_key.scopes == ["orders:read", "inquiries:read"]
    assert api_key.created_by == "user:admin"
    change_page = admin_client.get(reverse("admin:oms_apikey_change", args=[api_key.pk])).content.decode()
    assert key not in change_page


def test_the_admin_revoke_action_shuts_the_key_out(admin_client, make_client, shop):
    client = make_client("stock:read")

    admin_client.post(
        reverse("admin:oms_apikey_changelist"), {"action": "revoke", "_selected_action": [client.api_key.pk]}
    )

    assert ApiKey.objects.get(pk=client.api_key.pk).revoked_at is not None
    assert client.get("/api/v1/stock/").json()["error"]["code"] == "api_key_revoked"


def test_the_admin_add_page_offers_every_scope(admin_client):
    page = admin_client.get(reverse("admin:oms_apikey_add")).content.decode()

    for scope in ("orders:read", "orders:write", "shipments:write", "stock:write", "inquiries:write"):
        assert f'value="{scope}"' in page
