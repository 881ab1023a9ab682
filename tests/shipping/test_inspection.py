"""検品 (scan-to-verify, step F): the order barcode starts, each JAN checks off one unit, refusals change nothing."""

import pytest

from orders.models import OrderEvent, OrderStatus
from shipping.inspection import (
    InspectionRefused,
    Outcome,
    inspection_lines,
    inspection_reset,
    inspection_scan,
)
from tests.factories import OrderFactory, OrderLineFactory, SetComponentFactory, SKUFactory

pytestmark = pytest.mark.django_db
S = OrderStatus
ACTOR = "user:packer"

TEE_JAN = "4580000000010"
SOCKS_JAN = "4580000000164"
TEA_JAN = "4580000000249"
SENBEI_JAN = "4580000000270"
SET_JAN = "4580000000997"


@pytest.fixture
def tee():
    return SKUFactory(code="TSHIRT-BLK-M", name="Tシャツ ブラック M", jan=TEE_JAN)


@pytest.fixture
def socks():
    return SKUFactory(code="SOCKS-BLK-M", name="和紙ソックス", jan=SOCKS_JAN)


@pytest.fixture
def gift_set():
    """SET-GIFT-A: 1 煎茶 and 2 せんべい per set."""
    gift = SKUFactory(code="SET-GIFT-A", name="ギフトセット", is_set=True, jan=SET_JAN)
    SetComponentFactory(set_sku=gift, component=SKUFactory(code="TEA-SENCHA", name="煎茶", jan=TEA_JAN))
    SetComponentFactory(
        set_sku=gift, component=SKUFactory(code="SENBEI-12P", name="せんべい", jan=SENBEI_JAN), quantity=2
    )
    return gift


def _order(*lines, status=S.PRINTED, number="100001-20261126-00000001"):
    order = OrderFactory(external_id=number, status=status)
    for sku, quantity in lines:
        OrderLineFactory(order=order, sku=sku, quantity=quantity)
    return order


def _scan(order, *codes):
    return [inspection_scan(order=order, code=code, actor=ACTOR) for code in codes][-1]


def _verified(order) -> list[int]:
    return list(order.lines.order_by("pk").values_list("verified_quantity", flat=True))


def test_order_barcode_starts_the_session_and_lists_the_lines(tee, socks):
    order = _order((tee, 2), (socks, 1))

    result = inspection_scan(order=order, code=order.external_id, actor=ACTOR)

    assert (result.outcome, result.ok, result.complete) == (Outcome.STARTED, True, False)
    assert "3点" in result.message
    assert [(line.sku_code, line.jan, line.quantity, line.verified) for line in result.lines] == [
        ("TSHIRT-BLK-M", TEE_JAN, 2, 0),
        ("SOCKS-BLK-M", SOCKS_JAN, 1, 0),
    ]
    assert OrderEvent.objects.filter(order=order, kind="inspection_started", actor=ACTOR).exists()


def test_every_unit_scanned_completes_the_order(tee, socks):
    order = _order((tee, 2), (socks, 1))
    _scan(order, order.external_id)

    first = _scan(order, TEE_JAN)
    assert (first.outcome, first.line_id) == (Outcome.COUNTED, order.lines.get(sku=tee).pk)
    assert "残り 2 点" in first.message
    _scan(order, SOCKS_JAN)
    last = _scan(order, TEE_JAN)

    assert (last.outcome, last.complete) == (Outcome.COMPLETED, True)
    assert "検品が完了しました" in last.message
    order.refresh_from_db()
    assert order.verified_at is not None
    assert _verified(order) == [2, 1]
    assert OrderEvent.objects.filter(order=order, kind="inspection_completed", actor=ACTOR).count() == 1


def test_an_item_not_on_the_order_is_refused_and_changes_nothing(tee, socks):
    order = _order((tee, 1))
    _scan(order, order.external_id)
    events_before = OrderEvent.objects.count()

    result = _scan(order, SOCKS_JAN)

    assert (result.outcome, result.ok) == (Outcome.NOT_ON_ORDER, False)
    assert "この商品は注文にありません" in result.message
    assert _verified(order) == [0]
    assert OrderEvent.objects.count() == events_before


def test_an_extra_unit_is_refused_and_changes_nothing(tee, socks):
    order = _order((tee, 2), (socks, 1))
    _scan(order, order.external_id, TEE_JAN, TEE_JAN)

    result = _scan(order, TEE_JAN)

    assert (result.outcome, result.ok) == (Outcome.OVER_QUANTITY, False)
    assert "数量を超えています" in result.message
    assert _verified(order) == [2, 0]
    order.refresh_from_db()
    assert order.verified_at is None


def test_a_scan_after_completion_is_an_extra_unit(tee):
    order = _order((tee, 1))
    assert _scan(order, TEE_JAN).outcome == Outcome.COMPLETED

    assert _scan(order, TEE_JAN).outcome == Outcome.OVER_QUANTITY


def test_set_line_is_checked_by_its_components(gift_set):
    order = _order((gift_set, 2))  # needs 2 煎茶 and 4 せんべい
    started = _scan(order, order.external_id)
    assert "6点" in started.message
    assert [(c.sku_code, c.needed, c.scanned) for c in started.lines[0].components] == [
        ("TEA-SENCHA", 2, 0),
        ("SENBEI-12P", 4, 0),
    ]

    one_set = _scan(order, TEA_JAN, SENBEI_JAN, SENBEI_JAN, TEA_JAN, SENBEI_JAN)
    assert one_set.outcome == Outcome.COUNTED
    assert _verified(order) == [1]  # complete sets: min(2 // 1, 3 // 2)
    assert [(c.sku_code, c.scanned) for c in one_set.lines[0].components] == [
        ("TEA-SENCHA", 2),
        ("SENBEI-12P", 3),
    ]

    done = _scan(order, SENBEI_JAN)
    assert done.outcome == Outcome.COMPLETED
    assert _verified(order) == [2]


def test_a_set_component_beyond_set_quantity_times_component_quantity_is_refused(gift_set):
    order = _order((gift_set, 1))
    _scan(order, order.external_id, TEA_JAN)

    result = _scan(order, TEA_JAN)

    assert result.outcome == Outcome.OVER_QUANTITY
    assert [(c.sku_code, c.scanned) for c in result.lines[0].components] == [
        ("TEA-SENCHA", 1),
        ("SENBEI-12P", 0),
    ]


def test_the_sets_own_jan_asks_for_the_components(gift_set):
    order = _order((gift_set, 1))

    result = _scan(order, SET_JAN)

    assert (result.outcome, result.ok) == (Outcome.SCAN_COMPONENTS, False)
    assert "構成品" in result.message
    assert _verified(order) == [0]


def test_a_jan_on_a_plain_line_and_in_a_set_fills_the_plain_line_first(gift_set):
    tea = gift_set.components.get(component__code="TEA-SENCHA").component
    order = _order((gift_set, 1), (tea, 1))

    first = _scan(order, TEA_JAN)
    second = _scan(order, TEA_JAN)
    third = _scan(order, TEA_JAN)

    assert first.line_id == order.lines.get(sku=tea).pk
    assert second.line_id == order.lines.get(sku=gift_set).pk
    assert third.outcome == Outcome.OVER_QUANTITY
    assert _scan(order, SENBEI_JAN, SENBEI_JAN).outcome == Outcome.COMPLETED


def test_scanning_the_order_barcode_again_starts_over(tee, gift_set):
    order = _order((tee, 2), (gift_set, 1))
    _scan(order, order.external_id, TEE_JAN, TEA_JAN)

    restarted = _scan(order, order.external_id)

    assert restarted.outcome == Outcome.STARTED
    assert _verified(order) == [0, 0]
    assert [c.scanned for c in restarted.lines[1].components] == [0, 0]
    assert _scan(order, TEA_JAN).outcome == Outcome.COUNTED  # counted anew, not an extra unit


def test_a_verified_order_is_not_reset_by_its_barcode(tee):
    order = _order((tee, 1))
    _scan(order, TEE_JAN)

    result = _scan(order, order.external_id)

    assert (result.outcome, result.complete) == (Outcome.ALREADY_VERIFIED, True)
    assert _verified(order) == [1]


def test_reset_forgets_every_scan_and_the_completion(tee, gift_set):
    order = _order((tee, 1), (gift_set, 1))
    _scan(order, TEE_JAN, TEA_JAN, SENBEI_JAN, SENBEI_JAN)
    order.refresh_from_db()
    assert order.verified_at is not None

    inspection_reset(order=order, actor=ACTOR)

    order.refresh_from_db()
    assert order.verified_at is None
    assert _verified(order) == [0, 0]
    assert [c.scanned for c in inspection_lines(order)[1].components] == [0, 0]
    assert OrderEvent.objects.filter(order=order, kind="inspection_reset", actor=ACTOR).exists()


def test_another_orders_barcode_is_refused(tee):
    order = _order((tee, 1))
    other = _order((tee, 1), number="100001-20261126-00000002")

    result = _scan(order, other.external_id)

    assert (result.outcome, result.ok) == (Outcome.OTHER_ORDER, False)
    assert "別の注文" in result.message


@pytest.mark.parametrize(
    ("jan", "code"),
    [
        (TEE_JAN, "４５８００００００００１０"),  # full-width digits typed through an IME
        (TEE_JAN, f" {TEE_JAN}\n"),  # the scanner's trailing Enter
        ("0490000000016", "490000000016"),  # a JAN starting with 0 read as UPC-A (12 digits)
        (TEE_JAN, "tshirt-blk-m"),  # the warehouse's own SKU label
    ],
)
def test_scanner_input_variants_are_understood(jan, code):
    order = _order((SKUFactory(code="TSHIRT-BLK-M", jan=jan), 1))

    assert _scan(order, code).outcome == Outcome.COMPLETED


@pytest.mark.parametrize("status", [S.SHIPPED, S.ON_HOLD, S.CANCELLED, S.NEW])
def test_only_ready_or_printed_orders_can_be_inspected(tee, status):
    order = _order((tee, 1), status=status)

    with pytest.raises(InspectionRefused, match="検品できません"):
        inspection_scan(order=order, code=TEE_JAN, actor=ACTOR)
    with pytest.raises(InspectionRefused):
        inspection_reset(order=order, actor=ACTOR)
    assert _verified(order) == [0]


def test_a_ready_order_can_be_inspected(tee):
    order = _order((tee, 1), status=S.READY)

    assert _scan(order, TEE_JAN).outcome == Outcome.COMPLETED


def test_a_partly_inspected_order_cannot_ship(tee, socks):
    from shipping.services import ShipRefused, order_ship

    order = _order((tee, 1), (socks, 1))
    _scan(order, TEE_JAN)

    with pytest.raises(ShipRefused, match="検品"):
        order_ship(order=order, parcels=[("yamato", "123456789012")], actor=ACTOR)


def test_a_set_order_whose_inspection_has_started_cannot_ship_half_scanned(gift_set):
    """A set line counts complete sets only, so after one component scan no unit is verified yet: the
    started session is what says the order is being inspected."""
    from shipping.services import ShipRefused, order_ship

    order = _order((gift_set, 1))
    _scan(order, order.external_id, TEA_JAN)
    assert _verified(order) == [0]

    with pytest.raises(ShipRefused, match="検品"):
        order_ship(order=order, parcels=[("yamato", "123456789012")], actor=ACTOR)


def test_a_jan_two_skus_share_is_refused_and_the_sku_code_label_asks_for(tee):
    """The unit in hand could be either SKU: counting it for the order's line could ship the wrong size."""
    SKUFactory(code="TSHIRT-BLK-L", name="Tシャツ ブラック L", jan=TEE_JAN)
    order = _order((tee, 1))
    _scan(order, order.external_id)

    refused = _scan(order, TEE_JAN)

    assert refused.outcome == Outcome.AMBIGUOUS_JAN and not refused.ok
    assert "複数の SKU（TSHIRT-BLK-L、TSHIRT-BLK-M）" in refused.message
    assert _verified(order) == [0]
    assert _scan(order, "TSHIRT-BLK-M").outcome == Outcome.COMPLETED


def test_a_set_lines_progress_counts_component_units(gift_set):
    order = _order((gift_set, 1))
    _scan(order, order.external_id)

    (line,) = _scan(order, TEA_JAN).lines

    assert (line.verified, line.units_scanned, line.units_needed) == (0, 1, 3)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_scanners_on_one_order_count_the_last_unit_once(on_postgres, gift_set):
    from tests.inventory.test_concurrency import run_concurrently

    order = _order((gift_set, 1))
    _scan(order, TEA_JAN, SENBEI_JAN)

    results = run_concurrently([lambda: inspection_scan(order=order, code=SENBEI_JAN, actor=ACTOR)] * 2)

    assert sorted(result.outcome for result in results) == [Outcome.COMPLETED, Outcome.OVER_QUANTITY]
    assert _verified(order) == [1]
    assert OrderEvent.objects.filter(order=order, kind="inspection_completed").count() == 1
