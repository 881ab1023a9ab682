"""Tracking import (steps G/H): issued-data files back in, check digits, matching, all-or-nothing, idempotence."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory.services import order_allocate, stock_adjust
from notifications.models import MailTemplate, OutboundMail
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import order_status_change
from shipping.labels import japanpost, labels_export, sagawa, yamato
from shipping.models import Carrier, Shipment
from shipping.tracking import tracking_import, tracking_number_valid
from tests.factories import (
    ChannelFactory,
    OrderFactory,
    OrderLineFactory,
    ShipToFactory,
    SKUFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db
S = OrderStatus
# Published samples (reference §4.4): Yamato, Yamato, Japan Post, Sagawa.
SAMPLES = ["444413758703", "490714955706", "405548424886", "512547514334"]
CARRIERS = [("yamato", "ヤマト運輸"), ("sagawa", "佐川急便"), ("japanpost", "日本郵便")]


def printed_order(*, carrier="yamato", lines=1, **fields) -> Order:
    """An order of a shop shipping with `carrier`, its stock allocated, moved to 印刷済み (picked)."""
    WarehouseFactory(code="MAIN")
    for code, name in CARRIERS:
        Carrier.objects.get_or_create(code=code, defaults={"name": name})
    order = OrderFactory(channel=ChannelFactory(default_carrier=carrier), status=S.READY, **fields)
    ShipToFactory(order=order)
    for _ in range(lines):
        sku = SKUFactory()
        stock_adjust(sku=sku, delta=5, actor="test")
        OrderLineFactory(order=order, sku=sku, quantity=2)
    order_allocate(order=order, actor="test")
    order_status_change(order=order, to_status=S.PRINTED, actor="test")
    return order


def valid_number(body: int) -> str:
    digits = f"{body:011d}"
    return digits + str(int(digits) % 7)


def _csv(header, rows, *, encoding="shift_jis") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def b2_file(pairs) -> bytes:
    """B2クラウド 発行済データ: the 95-column layout with お客様管理番号 and 伝票番号 filled."""
    rows = []
    for ref, number in pairs:
        row = [""] * yamato.COLUMN_COUNT
        row[0], row[3], row[15] = ref, number, "山田 太郎"
        rows.append(row)
    return _csv(yamato.HEADER, rows)


def ehiden_file(pairs) -> bytes:
    rows = []
    for ref, number in pairs:
        row = [""] * sagawa.COLUMN_COUNT
        row[sagawa.HEADER.index("お客様管理番号")] = ref
        row[sagawa.HEADER.index("お問い合せ送り状No.")] = number
        rows.append(row)
    return _csv(sagawa.HEADER, rows)


def yupurir_file(pairs) -> bytes:
    rows = [[ref, *[""] * (japanpost.COLUMN_COUNT - 1), number] for ref, number in pairs]
    return _csv([*japanpost.HEADER, japanpost.RESULT_NUMBER_COLUMN], rows)


def _import(carrier, content, **options):
    return tracking_import(carrier=carrier, content=content, actor="user:shipper", **options)


def _numbers(order) -> list[str]:
    return list(order.shipments.order_by("pk").values_list("tracking_number", flat=True))


@pytest.mark.parametrize("number", [*SAMPLES, "4444-1375-8703", "４４４４ １３７５ ８７０３"])
def test_check_digit_accepts_the_published_samples_in_any_notation(number):
    assert tracking_number_valid(number)


@pytest.mark.parametrize(
    "number", ["444413758704", "44441375870", "4444137587033", "44441375870A", "", "٤٤٤٤"]
)
def test_check_digit_refuses_a_wrong_digit_length_or_character(number):
    assert not tracking_number_valid(number)


def test_b2_issued_data_ships_each_order_with_its_number():
    rakuten = printed_order()  # 24-character number: written as OMS<pk>
    amazon = printed_order(external_id="503-1234567-1234567")

    result = _import(
        "yamato", b2_file([(f"OMS{rakuten.pk}", SAMPLES[0]), ("503-1234567-1234567", SAMPLES[1])])
    )

    assert (result.errors, result.applied, result.parcels_added) == ([], True, 2)
    assert result.layout == "お客様管理番号, 伝票番号"
    assert result.shipped == [rakuten.external_id, "503-1234567-1234567"]
    for order, number in ((rakuten, SAMPLES[0]), (amazon, SAMPLES[1])):
        order.refresh_from_db()
        assert order.status == S.SHIPPED
        assert _numbers(order) == [number]
        assert order.shipments.get().carrier.code == "yamato"
        assert all(line.shipped_quantity == 2 for line in order.lines.all())  # allocation consumed
        assert OrderEvent.objects.filter(order=order, kind="shipped", actor="user:shipper").exists()


@pytest.mark.parametrize(("carrier", "make_file"), [("sagawa", ehiden_file), ("japanpost", yupurir_file)])
def test_ehiden_and_yupurir_issued_data_are_read_by_their_headers(carrier, make_file):
    order = printed_order(carrier=carrier)

    result = _import(carrier, make_file([(f"OMS{order.pk}", SAMPLES[2])]))

    assert (result.errors, result.applied) == ([], True)
    order.refresh_from_db()
    assert order.status == S.SHIPPED and _numbers(order) == [SAMPLES[2]]


def test_bad_check_digit_and_unknown_order_are_reported_by_line_and_nothing_is_applied():
    good = printed_order()
    other = printed_order()
    content = b2_file(
        [
            (f"OMS{good.pk}", SAMPLES[0]),
            (f"OMS{other.pk}", "444413758704"),  # last digit wrong
            ("100001-20261126-99999999", SAMPLES[1]),
        ]
    )

    result = _import("yamato", content)

    assert [error.line for error in result.errors] == [3, 4]
    assert "444413758704" in result.errors[0].message and "7で割った余り" in result.errors[0].message
    assert "注文がありません" in result.errors[1].message
    assert str(result.errors[0]).startswith("3行目: ")
    assert not result.applied and result.shipped == []
    for order in (good, other):
        order.refresh_from_db()
        assert order.status == S.PRINTED
    assert not Shipment.objects.exists()


def test_error_of_a_row_spanning_several_lines_names_the_line_where_it_starts():
    order = printed_order()
    rows = []
    for ref, number, note in [
        (f"OMS{order.pk}", SAMPLES[0], ""),
        ("NOPE-1", SAMPLES[1], "割れ物注意\n天地無用"),  # 記事 with a line break: lines 3-4
        ("NOPE-2", SAMPLES[2], ""),
    ]:
        row = [""] * yamato.COLUMN_COUNT
        row[0], row[3], row[yamato.HEADER.index("記事")] = ref, number, note
        rows.append(row)

    result = _import("yamato", _csv(yamato.HEADER, rows))

    assert [str(error) for error in result.errors] == [
        "3行目: NOPE-1: この番号の注文がありません",
        "5行目: NOPE-2: この番号の注文がありません",
    ]


def test_apply_good_rows_ships_only_the_good_rows():
    good = printed_order()
    bad = printed_order()
    content = b2_file([(f"OMS{good.pk}", SAMPLES[0]), (f"OMS{bad.pk}", "12345")])

    result = _import("yamato", content, apply_good_rows=True)

    assert result.applied and [error.line for error in result.errors] == [3]
    assert result.shipped == [good.external_id]
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, bad.status) == (S.SHIPPED, S.PRINTED)
    assert _numbers(good) == [SAMPLES[0]] and _numbers(bad) == []


def test_importing_the_same_file_again_changes_nothing():
    order = printed_order()
    content = b2_file([(f"OMS{order.pk}", SAMPLES[0]), (f"OMS{order.pk}", SAMPLES[1])])
    _import("yamato", content)
    events = OrderEvent.objects.filter(order=order).count()

    again = _import("yamato", content)

    assert (again.errors, again.applied, again.parcels_added, again.already_recorded) == ([], True, 0, 2)
    assert again.shipped == []
    assert _numbers(order) == SAMPLES[:2]
    assert OrderEvent.objects.filter(order=order).count() == events


def test_a_later_parcel_of_a_shipped_order_is_added():
    order = printed_order()
    _import("yamato", b2_file([(f"OMS{order.pk}", SAMPLES[0])]))

    result = _import("yamato", b2_file([(f"OMS{order.pk}", SAMPLES[0]), (f"OMS{order.pk}", SAMPLES[1])]))

    assert (result.parcels_added, result.already_recorded) == (1, 1)
    assert _numbers(order) == SAMPLES[:2]


@pytest.mark.parametrize(
    ("header", "encoding"),
    [
        (["注文番号", "伝票番号"], "utf-8-sig"),
        (None, "utf-8"),
        (["order number", "tracking number"], "shift_jis"),
    ],
)
def test_simple_two_column_csv_works_with_or_without_a_header(header, encoding):
    order = printed_order(external_id="503-1234567-1234567")
    other = printed_order()
    rows = [
        ["503-1234567-1234567", "4444-1375-8703"],
        ["503-1234567-1234567", SAMPLES[1]],  # a second parcel of the same order
        [other.external_id, SAMPLES[2]],  # the shop's own number works too, however long
    ]

    result = _import("yamato", _csv(header, rows, encoding=encoding))

    assert (result.errors, result.applied, result.parcels_added) == ([], True, 3)
    assert result.layout == ("注文番号, 伝票番号" if header is None else ", ".join(header))
    assert _numbers(order) == SAMPLES[:2]
    assert _numbers(other) == [SAMPLES[2]]


def test_headerless_simple_csv_whose_first_row_has_no_number_reports_that_row():
    order = printed_order(external_id="B-2")
    content = _csv(None, [["A-1", ""], ["B-2", valid_number(1)]])

    result = _import("yamato", content)

    assert [str(error) for error in result.errors] == [
        "1行目: A-1: 伝票番号がありません（未発行の送り状です）"
    ]
    assert result.layout == "注文番号, 伝票番号" and not result.applied
    order.refresh_from_db()
    assert order.status == S.PRINTED and _numbers(order) == []


def test_order_that_cannot_ship_with_this_file_is_an_error():
    cancelled = printed_order()
    order_status_change(order=cancelled, to_status=S.CANCELLED, actor="test")
    by_sagawa = printed_order(carrier="sagawa")

    result = _import(
        "yamato", b2_file([(f"OMS{cancelled.pk}", SAMPLES[0]), (f"OMS{by_sagawa.pk}", SAMPLES[1])])
    )

    assert [error.line for error in result.errors] == [2, 3]
    assert "キャンセル" in result.errors[0].message
    assert "佐川急便で出荷する注文" in result.errors[1].message
    assert not result.applied


def test_number_of_another_orders_parcel_is_refused():
    first = printed_order()
    second = printed_order()
    _import("yamato", b2_file([(f"OMS{first.pk}", SAMPLES[0])]))

    result = _import("yamato", b2_file([(f"OMS{second.pk}", SAMPLES[0])]))

    assert [error.line for error in result.errors] == [2]
    assert "別の注文の荷物" in result.errors[0].message


def test_one_number_given_to_two_orders_in_a_file_refuses_both_rows():
    first = printed_order()
    second = printed_order()
    third = printed_order()
    content = b2_file(
        [(f"OMS{first.pk}", SAMPLES[0]), (f"OMS{second.pk}", SAMPLES[0]), (f"OMS{third.pk}", SAMPLES[1])]
    )

    result = _import("yamato", content, apply_good_rows=True)

    assert [error.line for error in result.errors] == [2, 3]
    assert result.shipped == [third.external_id]


def test_order_refused_while_shipping_rolls_back_the_whole_file(settings):
    settings.OMS_REQUIRE_INSPECTION = True  # 検品 required: an unverified order refuses to ship
    verified = printed_order()
    verified.lines.update(verified_quantity=2)
    unverified = printed_order()
    content = b2_file([(f"OMS{verified.pk}", SAMPLES[0]), (f"OMS{unverified.pk}", SAMPLES[1])])

    result = _import("yamato", content)

    assert [error.line for error in result.errors] == [3]
    assert "検品" in result.errors[0].message
    assert not result.applied and result.shipped == []
    assert not Shipment.objects.exists()
    verified.refresh_from_db()
    assert verified.status == S.PRINTED

    with_good_rows = _import("yamato", content, apply_good_rows=True)

    assert with_good_rows.applied and with_good_rows.shipped == [verified.external_id]
    assert _numbers(verified) == [SAMPLES[0]] and _numbers(unverified) == []


def test_every_order_refused_while_shipping_is_reported_and_nothing_is_applied(
    settings, django_capture_on_commit_callbacks
):
    settings.OMS_REQUIRE_INSPECTION = True  # 検品 required: an unverified order refuses to ship
    MailTemplate.objects.create(code="shipping_notice", name="発送", subject="s", body="b")
    first_unverified = printed_order()
    verified = printed_order()
    verified.lines.update(verified_quantity=2)
    second_unverified = printed_order()
    content = b2_file(
        [
            (f"OMS{first_unverified.pk}", SAMPLES[0]),
            (f"OMS{verified.pk}", SAMPLES[1]),  # ships, then is rolled back with the rest
            (f"OMS{second_unverified.pk}", SAMPLES[2]),
        ]
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = _import("yamato", content)

    assert [error.line for error in result.errors] == [2, 4]
    assert all("検品" in error.message for error in result.errors)
    assert not result.applied and (result.shipped, result.parcels_added) == ([], 0)
    verified.refresh_from_db()
    assert verified.status == S.PRINTED
    assert not Shipment.objects.exists()
    assert not OutboundMail.objects.exists()
    assert callbacks == []  # no push to the shop, no webhook


def test_unreadable_file_is_an_error():
    result = _import("yamato", _csv(None, [["a", "b", "c", "d", "e"]]))

    assert [str(error) for error in result.errors] == ["1行目: 列の並びがわかりません（5列、見出しなし）"]
    assert not result.applied


def test_a_file_with_only_its_header_is_an_error():
    result = _import("yamato", _csv(["注文番号", "伝票番号"], []))

    assert [str(error) for error in result.errors] == ["見出しの行だけで、データの行がありません"]
    assert not result.applied


def test_another_carriers_issued_data_is_named_instead_of_refusing_each_order():
    order = printed_order()

    result = _import("sagawa", b2_file([(f"OMS{order.pk}", SAMPLES[0])]))

    assert [str(error) for error in result.errors] == [
        "ヤマト運輸の発行済データの形です（95列）。佐川急便として取り込もうとしています: "
        "運送会社の選択を確かめてください"
    ]


def test_excels_unicode_text_is_read_and_utf16_without_its_bom_is_named():
    order = printed_order()
    text = f"注文番号\t伝票番号\r\nOMS{order.pk}\t{SAMPLES[0]}\r\n"

    result = _import("yamato", "\ufeff".encode("utf-16-le") + text.encode("utf-16-le"))
    without_bom = _import("yamato", text.encode("utf-16-le"))

    assert (result.errors, result.applied) == ([], True)
    assert _numbers(order) == [SAMPLES[0]]
    assert [error.line for error in without_bom.errors] == [0]
    assert "UTF-16" in without_bom.errors[0].message


def test_a_ref_typed_in_full_width_or_lower_case_names_its_order():
    first, second = printed_order(), printed_order()
    full_width = "ＯＭＳ" + str(first.pk).translate(str.maketrans("0123456789", "０１２３４５６７８９"))

    result = _import("yamato", _csv(None, [[full_width, SAMPLES[0]], [f"oms{second.pk}", SAMPLES[1]]]))

    assert (result.errors, result.applied) == ([], True)
    assert (_numbers(first), _numbers(second)) == ([SAMPLES[0]], [SAMPLES[1]])


def test_import_tracking_command_reports_bad_lines_and_exits_non_zero(tmp_path, capsys):
    order = printed_order()
    path = tmp_path / "b2-issued.csv"
    path.write_bytes(b2_file([(f"OMS{order.pk}", SAMPLES[0]), ("NOPE", SAMPLES[1])]))

    with pytest.raises(CommandError, match="nothing was applied"):
        call_command("import_tracking", "--carrier", "yamato", str(path))

    assert "3行目: NOPE: この番号の注文がありません" in capsys.readouterr().err
    order.refresh_from_db()
    assert order.status == S.PRINTED

    with pytest.raises(CommandError, match="the good rows were applied"):
        call_command("import_tracking", "--carrier", "yamato", str(path), "--apply-good-rows")

    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert "1 orders shipped, 1 parcels added" in capsys.readouterr().out


def test_import_tracking_command_succeeds_on_a_clean_file(tmp_path, capsys):
    order = printed_order(carrier="sagawa")
    path = tmp_path / "ehiden.csv"
    path.write_bytes(ehiden_file([(f"OMS{order.pk}", SAMPLES[3])]))

    call_command("import_tracking", "--carrier", "sagawa", str(path))

    assert "1 rows, 1 orders shipped, 1 parcels added, 0 already recorded" in capsys.readouterr().out
    assert _numbers(order) == [SAMPLES[3]]


def test_each_ship_to_of_an_order_sent_to_several_gets_its_own_parcel():
    """楽天 複数送付先: each label names its ship-to (OMS<id>-<n>), so each tracking number is kept with the
    ship-to it went to and reported to the shop for that ship-to (its basketId)."""
    order = printed_order(lines=2)
    first = order.ship_tos.get()
    second = ShipToFactory(order=order, name="佐藤 花子", external_id="basket-2")
    line = order.lines.order_by("pk").last()
    line.ship_to = second
    line.save(update_fields=["ship_to"])
    content = labels_export(carrier="yamato", actor="test").content.decode("shift_jis")
    labels = [row[0] for row in list(csv.reader(io.StringIO(content, newline="")))[1:]]
    assert labels == [f"OMS{order.pk}-1", f"OMS{order.pk}-2"]

    result = tracking_import(
        carrier="yamato",
        content=b2_file([(labels[1], valid_number(2)), (labels[0], valid_number(1))]),
        actor="user:shipper",
    )

    assert (result.applied, result.errors, result.parcels_added) == (True, [], 2)
    parcels = dict(Shipment.objects.filter(order=order).values_list("tracking_number", "ship_to_id"))
    assert parcels == {valid_number(1): first.pk, valid_number(2): second.pk}


def test_a_ship_to_the_order_does_not_have_is_an_error_of_its_row():
    order = printed_order()

    result = tracking_import(
        carrier="yamato", content=b2_file([(f"OMS{order.pk}-3", valid_number(1))]), actor="user:shipper"
    )

    assert not result.applied
    assert [str(error) for error in result.errors] == [
        f"2行目: OMS{order.pk}-3: 注文 {order.external_id} に3番目のお届け先がありません"
    ]
    assert not Shipment.objects.exists()
