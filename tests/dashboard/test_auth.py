"""Login, logout, throttling (django-axes), CSRF, password change, the language switch and roles_ensure."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from oms.roles import ADMINISTRATOR, ROLES, roles_ensure

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password"


@pytest.fixture
def staff(django_user_model):
    roles_ensure()
    user = django_user_model.objects.create_user(username="hanako", password=PASSWORD)
    user.groups.add(Group.objects.get(name="operator"))
    return user


def test_logging_in_leads_to_the_page_asked_for(client, staff):
    response = client.post(
        reverse("dashboard:login") + "?next=/orders/",
        {"username": "hanako", "password": PASSWORD, "next": "/orders/"},
    )

    assert response.status_code == 302 and response.url == "/orders/"


def test_a_wrong_password_is_refused_in_japanese(client, staff):
    response = client.post(reverse("dashboard:login"), {"username": "hanako", "password": "wrong"})

    assert response.status_code == 200
    assert "正しいユーザー名とパスワードを入力してください" in response.content.decode()


def test_logins_are_locked_after_five_failures(client, staff):
    for _attempt in range(5):
        client.post(reverse("dashboard:login"), {"username": "hanako", "password": "wrong"})

    response = client.post(reverse("dashboard:login"), {"username": "hanako", "password": PASSWORD})

    assert response.status_code == 429
    assert "ログインの失敗が多すぎます" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(client, staff):
    client.force_login(staff)

    assert client.get(reverse("dashboard:logout")).status_code == 405
    response = client.post(reverse("dashboard:logout"))

    assert response.status_code == 302 and response.url == reverse("dashboard:login")
    assert "_auth_user_id" not in client.session


def test_posts_without_a_csrf_token_are_refused(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post(reverse("dashboard:logout"))

    assert response.status_code == 403


def test_every_page_carries_the_csrf_token_for_htmx(client, staff):
    client.force_login(staff)

    page = client.get(reverse("dashboard:home")).content.decode()

    assert 'hx-headers=\'{"X-CSRFToken": "' in page


def test_password_change(client, staff):
    client.force_login(staff)
    new = "another-long-password-2"

    response = client.post(
        reverse("dashboard:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.url == reverse("dashboard:password_change_done")
    staff.refresh_from_db()
    assert staff.check_password(new)


def test_the_language_switch_shows_english(client, staff):
    client.force_login(staff)

    client.post(reverse("dashboard:set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("dashboard:home")).content.decode()

    assert "Shop connections" in page
    assert "店舗連携" not in page


def test_japanese_is_the_default(client, staff):
    client.force_login(staff)

    assert "店舗連携" in client.get(reverse("dashboard:home")).content.decode()


def test_roles_ensure_is_idempotent_and_gives_the_administrator_every_permission():
    first = roles_ensure()
    second = roles_ensure()

    assert all(first.values()) and not any(second.values())
    assert set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == set(ROLES)
    administrator = Group.objects.get(name=ADMINISTRATOR)
    assert administrator.permissions.filter(codename="change_channel").exists()
    assert not Group.objects.get(name="warehouse").permissions.exists()
