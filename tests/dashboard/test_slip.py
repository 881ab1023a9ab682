"""The order slip: one-click fix, hold release, inline edits with Japanese messages, payment, merge, split,
and buttons shown only to the roles that may use them."""

import pytest
from django.urls import reverse

from orders.models import Order, OrderStatus
from shipping.labels import labels_export
from tests.dashboard.conftest import import_order
from tests.orders.test_intake import buyer

pytestmark = pytest.mark.django_db
S = OrderStatus
HTMX = {"HX-Request": "true"}


def slip(order) -> str:
    return reverse("dashboard:order_slip", args=[order.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_slip_shows_lines_ship_to_hold_suggestion_and_history(login, mismatched_order):
    response = login("operator").get(slip(mismatched_order))

    page = response.content.decode()
    assert "TSHIRT-BLK-M" in page
    assert "大阪府大阪市北区梅田1-1" in page
    assert "郵便番号・住所不一致" in page
    assert "修正案で直す" in page
    assert "千代田区" in page  # the suggested city
    assert "履歴" in page and "取込" in page
    assert "orderNumber" in page  # the shop's raw data


def test_the_one_click_fix_writes_the_suggestion_and_releases_the_hold(login, mismatched_order):
    hold = mismatched_order.holds.get(code="postcode_address_mismatch")

    response = login("operator").post(
        reverse("dashboard:hold_fix", args=[mismatched_order.pk, hold.pk]), follow=True
    )

    ship_to = mismatched_order.ship_tos.get()  # 梅田 is in 大阪市北区: the postal code was the typo
    assert (ship_to.postal_code, ship_to.prefecture, ship_to.city) == ("530-0001", "大阪府", "大阪市北区")
    hold.refresh_from_db()
    assert hold.resolved_at is not None
    assert Order.objects.get(pk=mismatched_order.pk).status == S.READY
    assert "提案の値で修正し、受注チェックをやり直しました。" in messages_of(response)
    assert mismatched_order.events.filter(kind="address_edited", actor="user:operator-user").exists()


def test_releasing_a_hold_moves_the_order_on(login, remarks_order, users):
    assert remarks_order.status == S.ON_HOLD
    hold = remarks_order.holds.get(code="remarks")

    response = login("operator").post(
        reverse("dashboard:hold_release", args=[remarks_order.pk, hold.pk]), follow=True
    )

    hold.refresh_from_db()
    assert hold.resolved_at is not None and hold.released_by_person
    assert hold.resolved_by == users["operator"]
    assert Order.objects.get(pk=remarks_order.pk).status == S.READY
    assert "保留を解除しました。" in messages_of(response)


def test_a_refused_edit_is_shown_as_a_message(login, clean_order):
    Order.objects.filter(pk=clean_order.pk).update(status=S.SHIPPED)
    url = reverse("dashboard:split_unallocated", args=[clean_order.pk])

    response = login("operator").post(url, follow=True)

    assert any("すべて引当済み" in message for message in messages_of(response))


def test_an_invalid_ship_to_is_answered_in_japanese_in_the_htmx_fragment(login, mismatched_order):
    ship_to = mismatched_order.ship_tos.get()
    url = reverse("dashboard:ship_to_edit", args=[mismatched_order.pk, ship_to.pk])
    data = {
        "name": ship_to.name,
        "kana": ship_to.kana,
        "postal_code": "12-34",
        "prefecture": "トウキョウ",
        "city": ship_to.city,
        "address1": ship_to.address1,
        "address2": "",
        "phone": "123",
    }

    response = login("operator").post(url, data, headers=HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page  # a fragment, swapped in place of the address
    assert "郵便番号は 7 桁の数字で入力してください" in page
    assert "都道府県名を入力してください" in page
    assert "日本の電話番号を入力してください" in page
    ship_to.refresh_from_db()
    assert ship_to.postal_code == "100-0001"


def test_a_valid_ship_to_edit_saves_rechecks_and_reloads_the_slip(login, mismatched_order):
    ship_to = mismatched_order.ship_tos.get()
    url = reverse("dashboard:ship_to_edit", args=[mismatched_order.pk, ship_to.pk])
    data = {
        "name": ship_to.name,
        "kana": ship_to.kana,
        "postal_code": "５３０－０００１",  # full-width is accepted and normalised
        "prefecture": "大阪府",
        "city": "大阪市北区",
        "address1": ship_to.address1,
        "address2": "",
        "phone": ship_to.phone,
    }

    response = login("operator").post(url, data, headers=HTMX)

    assert response.status_code == 204
    assert response["HX-Redirect"] == slip(mismatched_order)
    ship_to.refresh_from_db()
    assert ship_to.postal_code == "530-0001"
    assert not mismatched_order.holds.filter(resolved_at__isnull=True).exists()


def test_the_edit_form_is_a_whole_page_without_htmx(login, clean_order):
    response = login("operator").get(reverse("dashboard:wishes_edit", args=[clean_order.pk]))

    page = response.content.decode()
    assert "<html" in page and "お届け希望を編集" in page


def test_editing_a_shipped_order_is_refused_with_the_services_reason(login, clean_order):
    Order.objects.filter(pk=clean_order.pk).update(status=S.SHIPPED)
    url = reverse("dashboard:wishes_edit", args=[clean_order.pk])

    response = login("operator").post(url, {"delivery_date": "", "delivery_time": "08-12"}, headers=HTMX)

    assert "もう編集できません" in response.content.decode()


def test_marking_a_bank_transfer_paid_moves_it_on(login, shop):
    order = import_order(shop, external_id="R-BANK", payment_method="bank_transfer", paid=False, **buyer(5))
    assert order.status == S.AWAITING_PAYMENT

    login("operator").post(reverse("dashboard:mark_paid", args=[order.pk]))

    order.refresh_from_db()
    assert order.paid_at is not None
    assert order.status == S.READY


def test_merge_candidates_are_offered_and_merged(login, shop):
    first = import_order(shop, external_id="R-M1")
    second = import_order(shop, external_id="R-M2")
    client = login("operator")
    assert "R-M2" in client.get(slip(first)).content.decode()

    client.post(reverse("dashboard:merge", args=[first.pk]), {"others": [second.pk]})

    second.refresh_from_db()
    assert second.status == S.CANCELLED
    assert second.merged_into_id == first.pk


def test_split_moves_units_to_a_new_order(login, clean_order):
    line = clean_order.lines.get()
    assert line.quantity == 2

    response = login("operator").post(
        reverse("dashboard:split", args=[clean_order.pk]), {f"line_{line.pk}": "1"}, follow=True
    )

    new = Order.objects.get(split_from=clean_order)
    assert new.lines.get().quantity == 1
    assert any(new.external_id in message for message in messages_of(response))


def test_a_split_of_nothing_is_refused_with_a_message(login, clean_order):
    line = clean_order.lines.get()

    response = login("operator").post(
        reverse("dashboard:split", args=[clean_order.pk]), {f"line_{line.pk}": "0"}, follow=True
    )

    assert "新しい受注に移す数量を入力してください。" in messages_of(response)
    assert not Order.objects.filter(split_from=clean_order).exists()


@pytest.mark.parametrize("role", ["warehouse", "customer_service"])
def test_roles_that_may_not_edit_see_no_edit_or_release_buttons(login, mismatched_order, role):
    hold = mismatched_order.holds.get()

    page = login(role).get(slip(mismatched_order)).content.decode()

    assert reverse("dashboard:hold_release", args=[mismatched_order.pk, hold.pk]) not in page
    assert reverse("dashboard:hold_fix", args=[mismatched_order.pk, hold.pk]) not in page
    assert reverse("dashboard:wishes_edit", args=[mismatched_order.pk]) not in page


def test_the_warehouse_does_not_see_customer_mails(login, clean_order):
    assert 'id="mails"' not in login("warehouse").get(slip(clean_order)).content.decode()
    assert 'id="mails"' in login("customer_service").get(slip(clean_order)).content.decode()


def test_only_administrators_see_the_settings_link(login, clean_order):
    admin_url = reverse("admin:index")
    assert admin_url in login("administrator").get(reverse("dashboard:home")).content.decode()
    for role in ("operator", "warehouse", "customer_service"):
        assert admin_url not in login(role).get(reverse("dashboard:home")).content.decode()


def test_the_slip_history_shows_the_label_exports(login, shop):
    order = import_order(shop, external_id="R-LABEL")
    export = labels_export(carrier="yamato", actor="user:warehouse", order_ids=[order.pk])
    assert [report.order_id for report in export.exported] == [order.pk]

    page = login("operator").get(slip(order)).content.decode()

    assert "送り状データ出力" in page
    assert "ヤマト運輸 B2クラウド 送り状データ 1件（お客様管理番号 R-LABEL）" in page
