"""Labels prepared ahead of the export (shipping.labels.prepared): used while current, never once what they
were built from has changed, however it changed (a model save, a bulk update, a stale copy saved, a SKU or a
set edited, a hold and release). The database triggers of shipping migration 0006 are what is tested here."""

import csv
import importlib
import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from inventory.models import SKU, Temperature
from orders.models import Order, OrderLine, OrderStatus, ShipTo
from shipping import tasks
from shipping.labels import labels_export, labels_prepare, prepared
from shipping.labels.source import LINE_FIELDS, LabelOrder, LabelShipTo
from shipping.models import Carrier, PreparedLabel
from tests.factories import (
    ChannelFactory,
    OrderFactory,
    OrderLineFactory,
    SetComponentFactory,
    ShipToFactory,
    SKUFactory,
)

pytestmark = pytest.mark.django_db
SHIP_DATE = date(2026, 12, 1)
MIGRATION = importlib.import_module("shipping.migrations.0006_prepared_label")


def _waiting(sku=None) -> Order:
    order = OrderFactory(channel=ChannelFactory(default_carrier="yamato"), status=OrderStatus.READY)
    ShipToFactory(order=order, name="山田 花子", city="千代田区")
    OrderLineFactory(order=order, sku=sku or SKUFactory(), name="煎茶", quantity=1)
    return order


def _export(carrier="yamato") -> bytes:
    return labels_export(carrier=carrier, actor="user:shipper", ship_date=SHIP_DATE).content


def _rows(content: bytes) -> list[dict[str, str]]:
    header, *rows = list(csv.reader(io.StringIO(content.decode("shift_jis"), newline="")))
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def built(monkeypatch) -> list[int]:
    """Ids of the orders whose labels were built (by the export or the preparation) rather than read."""
    calls: list[int] = []
    real = prepared.order_build

    def spy(layout, carrier, order, *args):
        calls.append(order.pk)
        return real(layout, carrier, order, *args)

    monkeypatch.setattr(prepared, "order_build", spy)
    return calls


def test_an_export_of_prepared_orders_builds_nothing_and_writes_the_same_file(built):
    orders = [_waiting() for _ in range(3)]
    fresh = _export()
    assert built == [order.pk for order in orders]

    assert labels_prepare() == 3
    built.clear()
    assert _export() == fresh
    assert built == []


def _rename_ship_to(order):
    ship_to = order.ship_tos.get()
    ship_to.name = "佐藤 一郎"
    ship_to.save()


def _stale_copy_saved(order):
    """A copy read before the change and saved after it writes back the old label_version."""
    copy = Order.objects.get(pk=order.pk)
    ShipTo.objects.filter(order=order).update(name="佐藤 一郎")
    copy.remarks = "再梱包"
    copy.save()


def _held_edited_released(order):
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.ON_HOLD)
    ShipTo.objects.filter(order=order).update(name="佐藤 一郎")
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.READY)


def _slot_saved(order):
    order.refresh_from_db()
    order.delivery_time = "14-16"
    order.save()


@pytest.mark.parametrize(
    ("change", "column", "expected"),
    [
        (_rename_ship_to, "お届け先名", "佐藤 一郎"),
        (_stale_copy_saved, "お届け先名", "佐藤 一郎"),
        (_held_edited_released, "お届け先名", "佐藤 一郎"),
        (
            lambda order: ShipTo.objects.filter(order=order).update(name="佐藤 一郎"),
            "お届け先名",
            "佐藤 一郎",
        ),
        (lambda order: OrderLine.objects.filter(order=order).update(quantity=3), "品名１", "煎茶 ×3"),
        (lambda order: OrderLineFactory(order=order, sku=None, name="抹茶"), "品名２", "抹茶"),
        (lambda order: OrderLine.objects.filter(order=order).update(name="玉露"), "品名１", "玉露"),
        (_slot_saved, "配達時間帯", "1416"),
        (
            lambda order: SKU.objects.filter(lines__order=order).update(temperature=Temperature.FROZEN),
            "クール区分",
            "1",
        ),
    ],
    ids=[
        "ship-to saved",
        "stale copy saved",
        "held, edited, released",
        "ship-to updated in bulk",
        "quantity",
        "line added",
        "line renamed",
        "order saved",
        "SKU temperature",
    ],
)
def test_a_change_to_what_the_labels_are_built_from_builds_them_again(built, change, column, expected):
    order = _waiting()
    labels_prepare()
    built.clear()

    change(order)

    (row,) = _rows(_export())
    assert row[column] == expected
    assert built == [order.pk]
    assert labels_prepare() == 1  # and the task prepares it again


def test_a_frozen_part_added_to_a_set_makes_its_orders_labels_frozen(built):
    tea_set = SKUFactory(is_set=True)
    SetComponentFactory(set_sku=tea_set, component=SKUFactory(temperature=Temperature.AMBIENT))
    order = _waiting(sku=tea_set)
    labels_prepare()
    assert _rows(_export())[0]["クール区分"] == "0"

    SetComponentFactory(set_sku=tea_set, component=SKUFactory(temperature=Temperature.FROZEN))

    assert _rows(_export())[0]["クール区分"] == "1"
    assert order.pk in built


def test_an_order_moved_to_another_carrier_leaves_the_first_carriers_export():
    order = _waiting()
    labels_prepare()

    sagawa, _created = Carrier.objects.get_or_create(code="sagawa", defaults={"name": "佐川急便"})
    Order.objects.filter(pk=order.pk).update(carrier=sagawa)

    assert _rows(_export("yamato")) == []
    assert len(_rows(_export("sagawa"))) == 1


def test_the_shops_sender_and_the_ship_date_are_the_exports_own(built, settings):
    _waiting()
    labels_prepare()
    built.clear()
    settings.OMS_SENDER = {"name": "さくら堂 本店"}

    (row,) = _rows(labels_export(carrier="yamato", actor="user:shipper", ship_date=date(2026, 12, 3)).content)

    assert (row["ご依頼主名"], row["出荷予定日"]) == ("さくら堂 本店", "2026/12/03")
    assert built == []


def test_labels_prepared_by_other_code_are_built_again(built, monkeypatch):
    order = _waiting()
    labels_prepare()
    built.clear()
    monkeypatch.setattr(prepared, "code_fingerprint", lambda: "another release")

    _export()

    assert built == [order.pk]


def test_the_task_prepares_each_waiting_order_once_and_forgets_those_that_left():
    shipped, waiting = _waiting(), _waiting()
    OrderFactory(status=OrderStatus.NEW)  # not waiting: nothing to prepare

    assert tasks.prepare_labels() == 2
    assert tasks.prepare_labels() == 0
    Order.objects.filter(pk=shipped.pk).update(status=OrderStatus.SHIPPED)
    tasks.prepare_labels()

    assert list(PreparedLabel.objects.values_list("order_id", flat=True)) == [waiting.pk]


def test_the_beat_runs_the_preparation(settings):
    (entry,) = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "shipping.tasks.prepare_labels"
    ]
    assert entry["schedule"] <= 60


def test_the_triggers_watch_every_column_the_labels_are_read_from():
    """A column added to what shipping.labels.source reads needs its trigger too (a new migration)."""
    order_columns = {f"{name}_id" if name == "channel" else name for name in LabelOrder._fields}
    assert order_columns - {"pk", "label_version"} <= set(MIGRATION.ORDER_COLUMNS)
    assert {"carrier_id"} <= set(MIGRATION.ORDER_COLUMNS)
    assert set(LabelShipTo._fields) - {"pk"} <= set(MIGRATION.CHILD_COLUMNS["orders_shipto"])
    line_columns = {name for name in LINE_FIELDS if "__" not in name} - {"pk"}
    line_columns = {f"{name}_id" if name == "sku" else name for name in line_columns}
    assert line_columns <= set(MIGRATION.CHILD_COLUMNS["orders_orderline"])
    sku_columns = {name.split("__")[-1] for name in LINE_FIELDS if name.startswith("sku__")}
    assert sku_columns | {"temperature"} <= set(MIGRATION.SKU_COLUMNS)


def test_the_triggers_are_made_on_sqlite_too(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {"PATH": "/usr/bin:/bin", "OMS_VAR_DIR": str(tmp_path), "SECRET_KEY": "migration-test"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=root, env=env, check=True, timeout=300
    )
    import sqlite3

    with sqlite3.connect(next(tmp_path.glob("*.sqlite3"))) as db:
        triggers = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        db.execute("UPDATE orders_order SET label_version = 0")  # the table is there and empty: no error

    assert {
        "oms_label_version_order",
        "oms_label_version_orders_shipto_update",
        "oms_label_version_orders_orderline_insert",
        "oms_label_version_sku",
        "oms_label_version_component_insert",
    } <= triggers
