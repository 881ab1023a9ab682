"""The order slip's hold buttons after the new-user walkthrough: 確認済み・解除 on 「SKU 未登録」 does not ship
unreserved goods, 修正案で直す corrects a mistyped postal code instead of inventing an address, and a hold's
message follows the order's edits."""

from dataclasses import replace
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.adapters.base import CanonicalLine
from inventory.models import StockLevel
from inventory.services import stock_adjust
from orders.models import Order, OrderStatus
from tests.dashboard.conftest import import_order
from tests.factories import ListingFactory, SKUFactory
from tests.orders.test_intake import buyer

pytestmark = pytest.mark.django_db
S = OrderStatus
MUG = CanonicalLine("1", "mug", "MUG-RED", "マグカップ 赤", 1, 1200)
TSHIRTS = CanonicalLine("2", "tshirt", "TSHIRT-BLK-M", "Tシャツ ブラック M", 2, 2980)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def release(client, order, code: str):
    hold = order.holds.get(code=code, resolved_at__isnull=True)
    return client.post(reverse("dashboard:hold_release", args=[order.pk, hold.pk]), follow=True)


@pytest.fixture
def unknown_item_order(shop):
    return import_order(shop, external_id="R-UNKNOWN", lines=[MUG, TSHIRTS], **buyer(7))


def test_releasing_unknown_sku_on_an_unlinked_line_is_refused_with_a_message(login, unknown_item_order):
    response = release(login("operator"), unknown_item_order, "unknown_sku")

    order = Order.objects.get(pk=unknown_item_order.pk)
    assert order.status == S.ON_HOLD
    assert order.holds.filter(code="unknown_sku", resolved_at__isnull=True).exists()
    assert list(order.lines.values_list("allocated_quantity", flat=True)) == [0, 0]
    assert StockLevel.objects.get(sku__code="TSHIRT-BLK-M").allocated == 0
    [message] = messages_of(response)
    assert "「マグカップ 赤」(mug:MUG-RED)" in message  # the line to link, in either language


def test_releasing_unknown_sku_once_listed_allocates_and_moves_the_order_to_ready(
    login, shop, unknown_item_order
):
    mug = SKUFactory(code="MUG-RED")
    ListingFactory(channel=shop, sku=mug, external_item_id="mug", external_variant_id="MUG-RED")
    stock_adjust(sku=mug, delta=1, actor="test")

    response = release(login("operator"), unknown_item_order, "unknown_sku")

    order = Order.objects.get(pk=unknown_item_order.pk)
    assert order.status == S.READY
    assert list(order.lines.order_by("pk").values_list("allocated_quantity", flat=True)) == [1, 2]
    assert StockLevel.objects.get(sku=mug).allocated == 1
    assert "保留を解除しました。" in messages_of(response)


def test_the_one_click_fix_corrects_a_mistyped_postal_code_not_the_address(login, shop):
    address = replace(
        buyer(8)["ship_tos"][0],
        postal_code="530-0001",
        prefecture="東京都",
        city="渋谷区",
        address1="神宮前1-2-3",
    )
    order = import_order(shop, external_id="R-TYPO", buyer_name="顧客 8号", ship_tos=[address])
    hold = order.holds.get(code="postcode_address_mismatch")
    assert hold.suggestion == {"postal_code": "150-0001", "ship_to": order.ship_tos.get().pk}

    login("operator").post(reverse("dashboard:hold_fix", args=[order.pk, hold.pk]))

    ship_to = order.ship_tos.get()
    assert (ship_to.postal_code, ship_to.prefecture, ship_to.city, ship_to.address1) == (
        "150-0001",
        "東京都",
        "渋谷区",
        "神宮前1-2-3",
    )
    assert Order.objects.get(pk=order.pk).status == S.READY


def test_the_slip_shows_the_hold_message_of_the_edited_delivery_date(login, shop):
    today = timezone.localdate()
    order = import_order(shop, external_id="R-DATE", delivery_date=today, **buyer(9))
    client = login("operator")

    client.post(
        reverse("dashboard:wishes_edit", args=[order.pk]),
        {"delivery_date": date(2020, 1, 1).isoformat(), "delivery_time": order.delivery_time},
    )

    page = client.get(reverse("dashboard:order_slip", args=[order.pk])).content.decode()
    holds = page.split('id="holds"')[1].split("</section>")[0]  # the history below keeps the old message
    message = order.holds.get(code="delivery_date_invalid", resolved_at__isnull=True).message
    assert "お届け希望日 2020/01/01" in message and "過去の日付" in message
    assert message in holds and f"お届け希望日 {today:%Y/%m/%d}" not in holds


def test_bulk_confirm_and_status_change_leave_an_unlinked_order_on_hold(users, unknown_item_order):
    from oms.dashboard.bulk import bulk_job_run
    from oms.models import BulkJob

    order = unknown_item_order
    for kind, params in [(BulkJob.Kind.CONFIRM, {}), (BulkJob.Kind.STATUS, {"status": S.READY})]:
        job = BulkJob.objects.create(
            kind=kind, order_ids=[order.pk], total=1, params=params, created_by=users["operator"]
        )
        bulk_job_run(job_id=job.pk)

    order = Order.objects.get(pk=order.pk)
    assert order.status == S.ON_HOLD
    assert order.holds.filter(code="unknown_sku", resolved_at__isnull=True).exists()
    assert StockLevel.objects.get(sku__code="TSHIRT-BLK-M").allocated == 0
