"""Hardening: a Content-Security-Policy on every page (the API docs page aside), and upload limits."""

import pytest
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def test_dashboard_pages_carry_a_self_only_content_security_policy(client):
    page = client.get("/login/")

    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy and "http" not in policy  # no CDN, no inline script


def test_the_admin_carries_it_too(admin_client):
    assert "default-src 'self'" in admin_client.get("/admin/")["Content-Security-Policy"]


def test_the_api_docs_page_is_left_out_as_swagger_ui_runs_an_inline_script(admin_client):
    assert "Content-Security-Policy" not in admin_client.get("/api/docs/")


def test_an_upload_over_the_limit_is_refused_as_it_streams_in(settings):
    settings.OMS_MAX_UPLOAD_BYTES = 1000
    big = SimpleUploadedFile("tracking.csv", b"x" * 5000, content_type="text/csv")
    request = RequestFactory().post("/upload/", {"file": big})

    with pytest.raises(RequestDataTooBig):
        request.FILES  # noqa: B018 - reading it parses the upload


def test_an_upload_within_the_limit_is_read_whole(settings):
    settings.OMS_MAX_UPLOAD_BYTES = 10_000
    small = SimpleUploadedFile("tracking.csv", b"x" * 5000, content_type="text/csv")
    request = RequestFactory().post("/upload/", {"file": small})

    assert request.FILES["file"].read() == b"x" * 5000
