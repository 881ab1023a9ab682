"""One error shape for every refusal, and messages in the caller's language (Accept-Language ja or en)."""

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import make_order

pytestmark = pytest.mark.django_db


def _japanese(text: str) -> bool:
    """Kana or kanji in it: the exact wording belongs to locale/ja, the tests only check the language."""
    return any("\u3040" <= char <= "\u30ff" or "\u4e00" <= char <= "\u9fff" for char in text)


def _assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "field", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    return error


def test_400_401_403_404_405_409_share_one_shape(make_client, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"], holds=["remarks"], status="on_hold")
    writer = make_client("orders:read", "orders:write", "stock:write")

    _assert_error_shape(
        writer.post("/api/v1/stock/TSHIRT-BLK-M/adjust/", {}, format="json"), 400, "validation_error"
    )
    _assert_error_shape(APIClient().get("/api/v1/orders/"), 401, "not_authenticated")
    _assert_error_shape(writer.get("/api/v1/stock/"), 403, "missing_scope")
    _assert_error_shape(writer.get("/api/v1/orders/999999/"), 404, "not_found")
    _assert_error_shape(writer.get("/api/v1/no-such-thing/"), 404, "not_found")
    error = _assert_error_shape(writer.delete(f"/api/v1/orders/{order.pk}/"), 405, "method_not_allowed")
    assert error["field"] is None
    _assert_error_shape(
        writer.post(f"/api/v1/orders/{order.pk}/status/", {"status": "printed"}, format="json"),
        409,
        "illegal_transition",
    )


def test_a_405_names_the_allowed_methods(api, shop):
    response = api.delete("/api/v1/stock/")

    assert response.status_code == 405
    assert "GET" in response["Allow"]


def test_malformed_json_is_a_400_parse_error(api, shop):
    response = api.post("/api/v1/stock/counts/", "[{", content_type="application/json")

    _assert_error_shape(response, 400, "parse_error")
    error = response.json()["error"]
    assert error["message"] == "The request body could not be read as JSON."
    assert error["details"][0]["message"].startswith("JSON parse error")  # the parser's own words


def test_a_parse_error_is_explained_in_japanese(make_client, shop):
    client = make_client("stock:write", language="ja")

    error = client.post("/api/v1/stock/counts/", "[{", content_type="application/json").json()["error"]

    assert error["message"] == "リクエスト本文を JSON として読めません。"


def test_a_validation_error_lists_every_field_with_its_own_code(api, shop):
    response = api.post("/api/v1/stock/TSHIRT-BLK-M/adjust/", {"delta": "x"}, format="json")

    error = _assert_error_shape(response, 400, "validation_error")
    assert {(d["field"], d["code"]) for d in error["details"]} == {("delta", "invalid"), ("note", "required")}
    assert error["field"] == error["details"][0]["field"]


def test_validation_messages_follow_accept_language(make_client, shop):
    english = make_client("stock:write", language="en")
    japanese = make_client("stock:write", language="ja")

    en = english.post("/api/v1/stock/TSHIRT-BLK-M/adjust/", {"delta": 1}, format="json").json()["error"]
    ja = japanese.post("/api/v1/stock/TSHIRT-BLK-M/adjust/", {"delta": 1}, format="json").json()["error"]

    assert en["code"] == ja["code"] == "validation_error"
    assert en["message"] == "This field is required."
    assert ja["message"] == "この項目は必須です。"  # DRF's own Japanese catalogue


def test_the_apis_own_messages_are_translated(make_client, shop):
    english = make_client("orders:read", language="en").get("/api/v1/stock/").json()["error"]
    japanese = make_client("orders:read", language="ja").get("/api/v1/stock/").json()["error"]

    assert english["message"] == "This API key does not have the scope stock:read."
    assert _japanese(japanese["message"]) and "stock:read" in japanese["message"]
    assert english["code"] == japanese["code"] == "missing_scope"


def test_a_wrong_key_is_explained_in_japanese_by_default(shop):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token oms_00000000_nothing")

    error = client.get("/api/v1/orders/").json()["error"]

    assert (error["code"], error["field"], error["details"]) == ("invalid_api_key", None, [])
    assert _japanese(error["message"])


def test_count_rows_are_explained_per_row_in_japanese(make_client, shop):
    client = make_client("stock:write", language="ja")

    error = client.post("/api/v1/stock/counts/", [{"sku": "NOPE", "on_hand": 1}], format="json").json()[
        "error"
    ]

    [detail] = error["details"]
    assert (detail["field"], detail["code"]) == ("0.sku", "invalid")
    assert _japanese(detail["message"]) and "NOPE" in detail["message"]


def test_options_is_not_a_self_description_but_a_405(api, shop):
    response = api.options("/api/v1/orders/")

    _assert_error_shape(response, 405, "method_not_allowed")


def test_a_refusal_from_a_service_speaks_the_callers_language(make_client, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"], holds=["remarks"], status="on_hold")
    url = f"/api/v1/orders/{order.pk}/status/"

    en = make_client("orders:write", language="en").post(url, {"status": "printed"}, format="json").json()
    ja = make_client("orders:write", language="ja").post(url, {"status": "printed"}, format="json").json()

    assert en["error"]["code"] == ja["error"]["code"] == "illegal_transition"
    assert en["error"]["message"].startswith(f"Order {order.external_id} cannot change from")
    assert _japanese(ja["error"]["message"]) and order.external_id in ja["error"]["message"]
