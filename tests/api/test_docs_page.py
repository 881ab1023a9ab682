"""The API documentation pages work without reaching the internet (no CDN)."""

import pytest


@pytest.mark.django_db
def test_swagger_ui_is_served_from_our_own_static_files(admin_client):
    page = admin_client.get("/api/docs/").content.decode()

    assert "swagger-ui" in page
    assert "cdn.jsdelivr" not in page and "unpkg.com" not in page
