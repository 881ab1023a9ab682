"""Per-key rate limit: over OMS_API_RATE a key gets 429 with Retry-After; other keys keep their budget."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_a_minute(settings):
    settings.OMS_API_RATE = "3/min"
    # A cache of this process alone: the shared file cache may be cleared by another test run meanwhile.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_the_call_over_the_rate_is_a_429_with_retry_after(make_client, shop, three_a_minute):
    client = make_client("stock:read")

    answers = [client.get("/api/v1/stock/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    response = client.get("/api/v1/stock/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["error"]["code"] == "rate_limited"


def test_each_key_has_its_own_budget(make_client, shop, three_a_minute):
    busy = make_client("stock:read", name="busy")
    quiet = make_client("stock:read", name="quiet")
    for _ in range(3):
        busy.get("/api/v1/stock/")

    assert busy.get("/api/v1/stock/").status_code == 429
    assert quiet.get("/api/v1/stock/").status_code == 200


def test_the_default_rate_is_600_a_minute():
    from oms.api.throttling import ApiKeyRateThrottle

    assert ApiKeyRateThrottle().get_rate() == "600/min"
