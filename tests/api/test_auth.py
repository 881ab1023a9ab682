"""Authentication and scopes: Token and Bearer keys, revoked and wrong keys, staff sessions, per-scope refusals."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from oms.api.keys import api_key_revoke
from oms.models import ApiKey
from tests.api.conftest import ALL_SCOPES, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoints(shop):
    """Every endpoint of the core API: (method, url, body, the scope it needs)."""
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"], holds=["remarks"], status="on_hold")
    to_cancel = make_order(channel, skus["TSHIRT-BLK-M"])
    to_pay = make_order(channel, skus["TSHIRT-BLK-M"], holds=["payment_pending"], status="awaiting_payment")
    return [
        ("get", "/api/v1/orders/", None, "orders:read"),
        ("get", f"/api/v1/orders/{order.pk}/", None, "orders:read"),
        ("post", f"/api/v1/orders/{order.pk}/holds/remarks/release/", None, "orders:write"),
        ("post", f"/api/v1/orders/{order.pk}/status/", {"status": "ready"}, "orders:write"),
        ("post", f"/api/v1/orders/{to_cancel.pk}/cancel/", {}, "orders:write"),
        ("post", f"/api/v1/orders/{to_pay.pk}/mark-paid/", None, "orders:write"),
        ("get", "/api/v1/stock/", None, "stock:read"),
        ("get", "/api/v1/stock/TSHIRT-BLK-M/", None, "stock:read"),
        ("post", "/api/v1/stock/TSHIRT-BLK-M/adjust/", {"delta": 1, "note": "found"}, "stock:write"),
        ("post", "/api/v1/stock/counts/", [{"sku": "HONEY-300G", "on_hand": 9}], "stock:write"),
        ("get", "/api/v1/products/", None, "products:read"),
        ("get", f"/api/v1/products/{skus['TSHIRT-BLK-M'].product.code}/", None, "products:read"),
        ("get", "/api/v1/skus/", None, "products:read"),
        ("get", "/api/v1/skus/TSHIRT-BLK-M/", None, "products:read"),
        ("get", "/api/v1/channels/", None, "channels:read"),
        ("get", "/api/v1/channels/rakuten/", None, "channels:read"),
    ]


def _call(client, method, url, body):
    return (
        getattr(client, method)(url, body, format="json")
        if body is not None
        else getattr(client, method)(url)
    )


def test_every_endpoint_refuses_a_key_without_its_scope_and_serves_one_with_it(make_client, endpoints):
    for method, url, body, scope in endpoints:
        without = make_client(*[s for s in ALL_SCOPES if s != scope], name=f"no-{scope}")
        refused = _call(without, method, url, body)
        assert refused.status_code == 403, url
        assert refused.json()["error"]["code"] == "missing_scope", url
        assert scope in refused.json()["error"]["message"]

        with_scope = make_client(scope, name=f"only-{scope}")
        assert _call(with_scope, method, url, body).status_code == 200, url


def test_every_endpoint_answers_401_without_credentials(endpoints):
    client = APIClient()
    for method, url, body, _scope in endpoints:
        response = _call(client, method, url, body)
        assert response.status_code == 401, url
        assert response.json()["error"]["code"] == "not_authenticated"
        assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_a_bearer_key_works_like_a_token_key(make_client, shop):
    client = make_client("stock:read")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {client.raw_key}")

    assert client.get("/api/v1/stock/").status_code == 200


def test_a_wrong_key_is_refused_even_with_a_known_prefix(make_client, shop):
    client = make_client("stock:read")
    client.credentials(HTTP_AUTHORIZATION=f"Token {client.raw_key[:-4]}AAAA")

    response = client.get("/api/v1/stock/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token nonsense", "Bearer oms__x"])
def test_malformed_authorization_headers_are_refused(shop, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/stock/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"invalid_api_key", "invalid_authorization_header"}


def test_a_revoked_key_is_refused(make_client, shop):
    client = make_client("stock:read")
    api_key_revoke(api_key=client.api_key)

    response = client.get("/api/v1/stock/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_revoked"


def test_using_a_key_records_when_it_was_last_used(make_client, shop):
    client = make_client("stock:read")
    assert client.api_key.last_used_at is None

    client.get("/api/v1/stock/")

    assert ApiKey.objects.get(pk=client.api_key.pk).last_used_at is not None


def test_a_staff_session_has_every_scope(shop):
    staff = get_user_model().objects.create_user("tanaka", password="pw-12345678", is_staff=True)
    client = APIClient()
    client.force_login(staff)

    assert client.get("/api/v1/orders/").status_code == 200
    assert client.get("/api/v1/stock/").status_code == 200


def test_a_session_of_a_user_who_is_not_staff_is_refused(shop):
    user = get_user_model().objects.create_user("buyer", password="pw-12345678")
    client = APIClient()
    client.force_login(user)

    response = client.get("/api/v1/orders/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "staff_only"


def test_a_session_write_needs_the_csrf_token(shop):
    staff = get_user_model().objects.create_user("tanaka", password="pw-12345678", is_staff=True)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post("/api/v1/stock/TSHIRT-BLK-M/adjust/", {"delta": 1, "note": "x"}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_a_staff_session_write_is_recorded_with_the_users_name(shop):
    staff = get_user_model().objects.create_user("tanaka", password="pw-12345678", is_staff=True)
    client = APIClient()
    client.force_login(staff)

    client.post("/api/v1/stock/TSHIRT-BLK-M/adjust/", {"delta": 1, "note": "found"}, format="json")

    from inventory.models import StockMovement

    assert StockMovement.objects.order_by("-pk").first().actor == "user:tanaka"
