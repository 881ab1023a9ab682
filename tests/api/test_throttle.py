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
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    wait = int(response["Retry-After"])
    assert error["message"] == f"Too many requests; try again in {wait} second{'s' if wait > 1 else ''}."


def test_the_429_message_is_japanese_for_a_japanese_caller(make_client, shop, three_a_minute):
    client = make_client("stock:read", language="ja")
    for _ in range(3):
        client.get("/api/v1/stock/")

    response = client.get("/api/v1/stock/")

    assert response.json()["error"]["message"] == (
        f"リクエストが多すぎます。{int(response['Retry-After'])} 秒後にもう一度お試しください。"
    )


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


def test_parallel_calls_of_one_key_never_pass_the_budget(settings):
    """Eight threads call at once with one key: exactly the budget gets through, on the project's cache
    (Redis when REDIS_URL is set, as in CI). DRF's read-change-write throttle let 782 of 600 through."""
    import secrets
    import threading
    import time
    from types import SimpleNamespace

    from oms.api.throttling import ApiKeyRateThrottle
    from oms.models import ApiKey

    settings.OMS_API_RATE = "40/min"
    request = SimpleNamespace(auth=ApiKey(pk=10**9 + secrets.randbelow(10**9)), user=None, META={})
    if time.time() % 60 > 50:  # not across two windows: the previous one would weigh in
        time.sleep(61 - time.time() % 60)
    passed = []
    start = threading.Barrier(8)

    def call_many():
        start.wait()
        passed.extend(ApiKeyRateThrottle().allow_request(request, None) for _ in range(15))

    threads = [threading.Thread(target=call_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert passed.count(True) == 40
    assert passed.count(False) == 80
