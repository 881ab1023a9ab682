"""Carrier simulator: label export -> simulated carrier -> tracking import ships the orders."""

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from orders.models import OrderStatus, PaymentMethod
from shipping.labels import labels_export
from shipping.models import Shipment
from shipping.simulators.carrier import LabelFileRefused, simulate
from shipping.tracking import tracking_import, tracking_number_valid
from tests.factories import OrderLineFactory, ShipToFactory
from tests.shipping.test_tracking import printed_order

pytestmark = pytest.mark.django_db
S = OrderStatus
REPO_ROOT = Path(__file__).resolve().parents[2]


def _run_simulator(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shipping.simulators.carrier", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("carrier", ["yamato", "sagawa", "japanpost"])
def test_export_simulate_import_ships_every_order_with_valid_numbers(carrier, tmp_path):
    plain = printed_order(carrier=carrier, delivery_time="14-16")
    cod = printed_order(carrier=carrier, payment_method=PaymentMethod.COD, total=4980)
    two_addresses = printed_order(carrier=carrier, lines=2)
    second_address = ShipToFactory(order=two_addresses, name="山田 花子")
    two_addresses.lines.filter(pk=two_addresses.lines.order_by("pk").last().pk).update(ship_to=second_address)
    labels, result = tmp_path / "labels.csv", tmp_path / "issued.csv"
    export = labels_export(carrier=carrier, actor="user:shipper")
    labels.write_bytes(export.content)

    simulated = _run_simulator(carrier, str(labels), "--out", str(result))

    assert simulated.returncode == 0, simulated.stderr
    assert f"{carrier}: 4 labels issued" in simulated.stdout
    imported = tracking_import(carrier=carrier, content=result.read_bytes(), actor="user:shipper")
    assert (imported.errors, imported.applied, imported.parcels_added) == ([], True, 4)
    for order in (plain, cod, two_addresses):
        order.refresh_from_db()
        assert order.status == S.SHIPPED
    assert two_addresses.shipments.count() == 2
    numbers = list(Shipment.objects.values_list("tracking_number", flat=True))
    assert len(numbers) == len(set(numbers)) == 4
    assert all(tracking_number_valid(number) for number in numbers)
    assert set(Shipment.objects.values_list("carrier__code", flat=True)) == {carrier}


def test_simulator_numbers_are_unique_and_repeatable_with_a_seed():
    for _ in range(30):
        printed_order()
    content = labels_export(carrier="yamato", actor="test").content

    first, again = simulate("yamato", content, seed=7), simulate("yamato", content, seed=7)

    assert first == again
    header, *rows = list(csv.reader(io.StringIO(first.decode("shift_jis"), newline="")))
    numbers = [row[header.index("伝票番号")] for row in rows]
    assert len(set(numbers)) == 30
    assert all(tracking_number_valid(number) for number in numbers)


def test_simulator_refuses_a_file_the_carrier_would_not_import(tmp_path):
    printed_order(carrier="sagawa")
    good = labels_export(carrier="sagawa", actor="test").content
    header, row = good.split(b"\r\n")[:2]
    bad_slot = row.replace(b'"001","","","",', b'"001","","99","",', 1)
    labels = tmp_path / "labels.csv"
    labels.write_bytes(header + b"\r\n" + bad_slot + b"\r\n" + row.replace(b'",', b'";', 1) + b"\r\n")

    refused = _run_simulator("sagawa", str(labels), "--out", str(tmp_path / "out.csv"))

    assert refused.returncode == 1
    assert "line 2: 配達指定時間帯 '99' is not a time-slot code" in refused.stderr
    assert "line 3: 73 columns (expected 74)" in refused.stderr
    assert not (tmp_path / "out.csv").exists()


def test_simulator_refuses_lf_line_ends_and_other_encodings():
    printed_order(carrier="japanpost")
    good = labels_export(carrier="japanpost", actor="test").content

    with pytest.raises(LabelFileRefused, match="CRLF"):
        simulate("japanpost", good.replace(b"\r\n", b"\n"))
    with pytest.raises(LabelFileRefused, match="not Shift_JIS"):
        simulate("japanpost", good.decode("shift_jis").encode("utf-8"))


@pytest.mark.parametrize(("carrier", "number_column"), [("yamato", 3), ("sagawa", 61), ("japanpost", 25)])
def test_simulator_writes_the_label_rows_back_with_only_the_number_added(carrier, number_column):
    order = printed_order(carrier=carrier)
    ShipToFactory(order=order, name="山田 花子")
    OrderLineFactory(order=order, ship_to=order.ship_tos.last(), sku=None, name="帆布トートバッグ")
    labels = labels_export(carrier=carrier, actor="test").content

    issued = simulate(carrier, labels, seed=1)

    sent = list(csv.reader(io.StringIO(labels.decode("shift_jis"), newline="")))
    back = list(csv.reader(io.StringIO(issued.decode("shift_jis"), newline="")))
    assert len(back) == len(sent) == 3
    for label, result in zip(sent[1:], back[1:], strict=True):
        assert tracking_number_valid(result[number_column])
        assert result[:number_column] + result[number_column + 1 :] == [
            *label[:number_column],
            *label[number_column + 1 :],
        ]


def test_one_seed_gives_each_carrier_its_own_numbers():
    """Real carriers never issue each other's numbers; the tracking import refuses a number already taken."""
    numbers = {}
    for carrier, column in (("yamato", 3), ("sagawa", 61)):
        printed_order(carrier=carrier)
        issued = simulate(carrier, labels_export(carrier=carrier, actor="test").content, seed=1)
        numbers[carrier] = list(csv.reader(io.StringIO(issued.decode("shift_jis"), newline="")))[1][column]

    assert numbers["yamato"] != numbers["sagawa"]


def test_a_missing_label_file_is_a_message_not_a_traceback(tmp_path):
    simulated = _run_simulator("yamato", str(tmp_path / "none.csv"), "--out", str(tmp_path / "out.csv"))

    assert simulated.returncode == 1
    assert simulated.stderr.startswith("yamato: cannot read")
    assert "Traceback" not in simulated.stderr
