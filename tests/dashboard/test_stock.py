"""The stock page: numbers per SKU and shop, adjustments with a reason, the stock count CSV with a preview."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from channels.models import ChannelAlert, Listing
from inventory.models import StockLevel, StockMovement
from tests.dashboard.test_queries import queries_for
from tests.factories import ChannelFactory, ListingFactory, SetComponentFactory, SKUFactory

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def level(code="TSHIRT-BLK-M") -> StockLevel:
    return StockLevel.objects.get(sku__code=code)


def row_of(response, code="TSHIRT-BLK-M"):
    return next(row for row in response.context["rows"] if row.sku.code == code)


def test_each_sku_shows_on_hand_allocated_free_and_what_each_shop_was_told(login, shop, clean_order):
    Listing.objects.filter(sku__code="TSHIRT-BLK-M").update(
        last_pushed_quantity=20, last_pushed_at=timezone.now(), needs_push=False
    )

    response = login("customer_service").get(reverse("dashboard:stock"), {"q": "TSHIRT"})

    row = row_of(response)
    assert (row.on_hand, row.allocated, row.free) == (20, 2, 18)
    (rakuten,) = row.shops
    assert (rakuten.last_pushed, rakuten.target, rakuten.pending) == (20, 18, True)  # 2 allocated since
    assert "→ 18" in response.content.decode()


def test_a_drift_alert_is_shown_on_its_shop_and_sku(login, shop):
    ChannelAlert.objects.create(
        channel=shop, kind="stock_drift", message="TSHIRT-BLK-M: ショップの在庫数 7（OMS が送った値 20）"
    )

    response = login("operator").get(reverse("dashboard:stock"))

    row = row_of(response)
    assert row.drifted and row.shops[0].alert.message.startswith("TSHIRT-BLK-M:")
    assert "ショップの在庫数 7（OMS が送った値 20）" in response.content.decode()


def test_a_set_shows_its_free_stock_from_its_components(login, shop):
    gift = SKUFactory(code="SET-TEE-2", is_set=True)
    SetComponentFactory(set_sku=gift, component=level().sku, quantity=2)

    row = row_of(login("warehouse").get(reverse("dashboard:stock")), "SET-TEE-2")

    assert (row.on_hand, row.allocated, row.free) == (None, None, 10)


def test_an_adjustment_is_written_with_its_reason(login, shop):
    response = login("warehouse").post(
        reverse("dashboard:stock_adjust"),
        {"sku": "tshirt-blk-m", "delta": "5", "reason": "receive", "note": "入荷 11/27"},
        follow=True,
    )

    assert level().on_hand == 25
    movement = StockMovement.objects.order_by("-pk").first()
    assert (movement.reason, movement.note, movement.actor) == (
        "receive",
        "入荷 11/27",
        "user:warehouse-user",
    )
    assert "TSHIRT-BLK-M: +5。実在庫は 25 になりました。" in messages_of(response)


def test_an_adjustment_takes_a_sku_code_typed_in_full_width(login, shop):
    response = login("warehouse").post(
        reverse("dashboard:stock_adjust"),
        {"sku": "ＴＳＨＩＲＴ－ＢＬＫ－Ｍ", "delta": "２", "reason": "receive", "note": "入荷"},
        follow=True,
    )

    assert level().on_hand == 22
    assert "TSHIRT-BLK-M: +2。実在庫は 22 になりました。" in messages_of(response)


def test_the_stock_search_finds_a_code_typed_in_full_width(shop):
    from oms.dashboard.selectors_stock import stock_skus

    assert [sku.code for sku in stock_skus(q="ＴＳＨＩＲＴ－ＢＬＫ")] == ["TSHIRT-BLK-M"]
    assert [sku.code for sku in stock_skus(q="Ｔシャツ")] == ["TSHIRT-BLK-M"]  # the name says Tシャツ


def test_an_adjustment_below_what_is_allocated_shows_the_services_refusal(login, shop, clean_order):
    response = login("warehouse").post(
        reverse("dashboard:stock_adjust"),
        {"sku": "TSHIRT-BLK-M", "delta": "-19", "reason": "adjust", "note": "破損"},
        follow=True,
    )

    assert level().on_hand == 20
    (message,) = messages_of(response)
    assert "TSHIRT-BLK-M" in message and "-19" in message


def test_an_adjustment_needs_a_reason_and_a_known_sku(login, shop):
    response = login("warehouse").post(
        reverse("dashboard:stock_adjust"),
        {"sku": "NOPE", "delta": "0", "reason": "adjust", "note": ""},
        follow=True,
    )

    assert level().on_hand == 20
    assert "SKU コード NOPE の SKU はありません。" in messages_of(response)
    assert "0 以外の増減数を入力してください。" in messages_of(response)
    assert len(messages_of(response)) == 3  # and the reason is required


def test_only_the_warehouse_sees_the_adjust_form(login, shop):
    assert 'id="adjust-form"' in login("warehouse").get(reverse("dashboard:stock")).content.decode()
    assert 'id="adjust-form"' not in login("operator").get(reverse("dashboard:stock")).content.decode()


# --- stock count CSV --------------------------------------------------------------------------------


def upload(text: str, encoding="utf-8"):
    return SimpleUploadedFile("count.csv", text.encode(encoding), content_type="text/csv")


@pytest.fixture
def socks(shop):
    sku = SKUFactory(code="SOCKS-BLK-M", name="和紙ソックス")
    from inventory.services import stock_adjust

    stock_adjust(sku=sku, delta=3, actor="test")
    return sku


def test_a_count_file_is_previewed_then_applied_in_one_go(login, shop, socks):
    client = login("warehouse")

    preview = client.post(
        reverse("dashboard:stock_import"), {"file": upload("sku,on_hand\nTSHIRT-BLK-M,18\nSOCKS-BLK-M,3\n")}
    )

    rows = preview.context["preview"].rows
    assert [(row.line, row.sku.code, row.on_hand, row.counted, row.difference) for row in rows] == [
        (2, "TSHIRT-BLK-M", 20, 18, -2),
        (3, "SOCKS-BLK-M", 3, 3, 0),
    ]
    assert level().on_hand == 20  # nothing applied yet

    applied = client.post(
        reverse("dashboard:stock_import"), {"apply": "1", "token": preview.context["token"]}, follow=True
    )

    assert level().on_hand == 18 and level("SOCKS-BLK-M").on_hand == 3
    assert StockMovement.objects.filter(reason="count", reference="棚卸ファイル count.csv").count() == 1
    assert "棚卸を反映しました: 2 SKU 中 1 SKU の在庫が変わりました。" in messages_of(applied)


def test_every_bad_line_is_listed_by_number_and_nothing_can_be_applied(login, shop, clean_order):
    SKUFactory(code="SET-X", is_set=True)
    text = "SKU,在庫数\nTSHIRT-BLK-M,1\nNOPE,3\nSET-X,1\nTSHIRT-BLK-M,x\n\n,4\nSOCKS\n"

    response = login("warehouse").post(reverse("dashboard:stock_import"), {"file": upload(text, "cp932")})

    errors = [str(error) for error in response.context["preview"].errors]
    assert errors == [
        "2行目: TSHIRT-BLK-M: 1 は注文に引当済みの 2 個より少なくなります。",
        "3行目: SKU コード NOPE の SKU はありません。",
        "4行目: SET-X はセット商品です。構成品を棚卸してください。",
        "5行目: TSHIRT-BLK-M: 数量「x」が 0 以上の整数ではありません。",
        "7行目: SKU コードが空です。",
        "8行目: SKU コードと数量の2列が必要です。",
    ]
    page = response.content.decode()
    assert 'name="apply"' not in page
    assert '<li data-line="3">' in page


def test_a_repeated_sku_is_an_error_on_its_second_line(login, shop):
    response = login("warehouse").post(
        reverse("dashboard:stock_import"), {"file": upload("TSHIRT-BLK-M,5\nTSHIRT-BLK-M,6\n")}
    )

    assert [str(e) for e in response.context["preview"].errors] == [
        "2行目: TSHIRT-BLK-M は 1行目にもあります。"
    ]


def test_counts_that_became_invalid_since_the_preview_apply_nothing(login, shop, socks):
    client = login("warehouse")
    preview = client.post(
        reverse("dashboard:stock_import"), {"file": upload("TSHIRT-BLK-M,1\nSOCKS-BLK-M,9\n")}
    )
    from tests.dashboard.conftest import import_order

    import_order(shop, external_id="R-LATE")  # allocates 2 T-shirts after the preview

    response = client.post(
        reverse("dashboard:stock_import"), {"apply": "1", "token": preview.context["token"]}
    )

    assert level().on_hand == 20 and level("SOCKS-BLK-M").on_hand == 3
    assert [str(e) for e in response.context["preview"].errors] == [
        "1行目: TSHIRT-BLK-M: 1 は注文に引当済みの 2 個より少なくなります。"
    ]


def test_a_file_that_is_not_text_is_refused(login, shop):
    response = login("warehouse").post(
        reverse("dashboard:stock_import"), {"file": SimpleUploadedFile("x.csv", b"\x82\xa0\xff\xfe\x00\x81")}
    )

    assert [str(e) for e in response.context["preview"].errors] == [
        "ファイルが UTF-8 でも Shift_JIS でもありません。"
    ]


# --- query counts -----------------------------------------------------------------------------------


def make_skus(count: int, channels, start: int = 0) -> None:
    for n in range(start, start + count):
        sku = SKUFactory(code=f"Q-{n:04d}")
        from inventory.services import stock_adjust

        stock_adjust(sku=sku, delta=5, actor="test")
        for channel in channels:
            ListingFactory(channel=channel, sku=sku, external_item_id=f"q{n}", external_variant_id=f"Q-{n}")
            ChannelAlert.objects.create(
                channel=channel, kind="stock_drift", message=f"Q-{n:04d}: ショップの在庫数 1"
            )


def test_the_stock_page_costs_the_same_number_of_queries_for_5_and_25_skus(login, warehouse):
    channels = [ChannelFactory(name="rakuten"), ChannelFactory(name="yahoo", kind="yahoo")]
    client = login("warehouse")
    make_skus(5, channels)
    few = queries_for(client, reverse("dashboard:stock"))

    make_skus(20, channels, start=5)

    assert queries_for(client, reverse("dashboard:stock")) == few
