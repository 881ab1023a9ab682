"""Fulfilment: label CSV export of 5,000 ready orders (rows/s) against writing the same rows with the csv
module alone, and the picking list PDF of 1,000 orders (pages/s), in the same run.

Each export is timed whole (reading the orders, the rows, the Shift_JIS file, its LabelExport record, the
commit); the best of three runs of each side is reported, since the machine may be busy with other work.
The export is timed as it runs in a shop: its labels prepared beforehand by the background task as the orders
arrived (shipping.labels.prepared; the preparation is timed too). It is also timed with nothing prepared,
every label built during the export, and reading the orders for that alone.
The picking batch (moving 1,000 orders to 印刷済み) and the picking list PDF are timed separately.
"""

import csv
import io
import random
import time
from datetime import date

from bench.common import Report

RUNS = 3


def _ready_orders(count: int) -> None:
    """Import `count` generated orders (real addresses, no wishes, paid) so they wait in 印刷待ち."""
    from django.utils import timezone

    from channels.adapters.base import CanonicalAddress, CanonicalLine, CanonicalOrder
    from channels.models import Channel, Listing
    from channels.simulators.datagen import canonical_order
    from orders.intake import orders_import

    channel = Channel.objects.get(kind="rakuten")
    listings = list(Listing.objects.filter(channel=channel, sku__is_set=False))
    rng = random.Random(9)
    page = []
    for n in range(count):
        raw = canonical_order(rng, [("TSHIRT-BLK-M", 1)], today=date.today())
        ship_to, listing = raw["ship_to"], rng.choice(listings)
        address = CanonicalAddress(
            name=f"{ship_to['name']}{n}",
            postal_code=ship_to["postal_code"],
            prefecture=ship_to["prefecture"],
            city=ship_to["city"],
            address1=ship_to["address1"],
            address2=ship_to["address2"],
            phone=ship_to["phone"],
        )
        page.append(
            (
                CanonicalOrder(
                    external_id=f"BENCH-{n:06d}",
                    ordered_at=timezone.now(),
                    updated_at=None,
                    cancelled=False,
                    buyer_name=address.name,
                    buyer_kana="",
                    buyer_email="",
                    buyer_phone=ship_to["phone"],
                    payment_method="credit_card",
                    paid=True,
                    subtotal=2980,
                    shipping_fee=0,
                    payment_fee=0,
                    discount=0,
                    total=2980,
                    remarks="",
                    is_gift=False,
                    delivery_date=None,
                    delivery_time="",
                    ship_tos=[address],
                    lines=[
                        CanonicalLine(
                            "1", listing.external_item_id, listing.external_variant_id, "商品", 1, 2980
                        )
                    ],
                ),
                {"n": n},
            )
        )
        if len(page) == 200:
            orders_import(channel=channel, items=page)
            page = []
    if page:
        orders_import(channel=channel, items=page)


def run(report: Report, *, quick: bool = False) -> None:
    from django.db import connection, transaction

    from bench.common import reset_shop
    from orders.models import Order
    from shipping.labels import gc_paused, labels_export, labels_prepare
    from shipping.labels.source import label_orders, label_rows
    from shipping.models import PreparedLabel
    from shipping.pdf.picking_list import picking_list_pdf
    from shipping.picking import picking_batch_create

    labels = 1_000 if quick else 5_000
    picked = 300 if quick else 1_000
    reset_shop({}, stock=1_000_000)
    _ready_orders(labels)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does to a live database after thousands of new rows
    ready = Order.objects.filter(status="ready").count()

    # What the background task does as orders arrive (shipping.tasks.prepare_labels): here all at once.
    started = time.perf_counter()
    prepared = labels_prepare()
    prepare_seconds = time.perf_counter() - started
    ours_seconds = []
    for _run in range(RUNS):
        started = time.perf_counter()
        export = labels_export(carrier="yamato", actor="bench")
        ours_seconds.append(time.perf_counter() - started)
    # The same export with nothing prepared (an export right after the orders arrived, before the task ran).
    cold_seconds = []
    for _run in range(RUNS):
        with transaction.atomic():
            PreparedLabel.objects.all().delete()
            started = time.perf_counter()
            labels_export(carrier="yamato", actor="bench")
            cold_seconds.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    rows = list(csv.reader(io.StringIO(export.content.decode("shift_jis"))))
    bare_seconds = []
    for _run in range(RUNS):
        started = time.perf_counter()
        out = io.BytesIO()
        text = io.TextIOWrapper(out, encoding="shift_jis", newline="")
        csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
        text.flush()
        bare_seconds.append(time.perf_counter() - started)
    report.add(
        "label export (Yamato B2, Shift_JIS)",
        export.label_count / min(ours_seconds),
        "rows/s",
        baseline=len(rows) / min(bare_seconds),
        note=f"{export.label_count} labels of {ready} ready orders, best of {RUNS}; baseline: csv module alone; "
        "target ratio ≥ 0.33",
    )
    report.add(
        "label export, nothing prepared",
        export.label_count / min(cold_seconds),
        "rows/s",
        baseline=len(rows) / min(bare_seconds),
        note=f"{min(cold_seconds) * 1000:.0f} ms: every label checked and built during the export",
    )
    report.add(
        "label preparation (background task)",
        prepared / prepare_seconds,
        "orders/s",
        note=f"{prepared} orders in {prepare_seconds:.2f} s, once, as orders arrive",
    )
    # What building the rows has to read: the orders, ship-tos and lines.
    read_seconds = []
    for _run in range(RUNS):
        started = time.perf_counter()
        with gc_paused():
            label_rows(label_orders(carrier="yamato"))
        read_seconds.append(time.perf_counter() - started)
    report.add(
        "label export, nothing prepared: reading the orders alone",
        export.label_count / min(read_seconds),
        "rows/s",
        baseline=len(rows) / min(bare_seconds),
        note=f"{min(read_seconds) * 1000:.0f} ms of its {min(cold_seconds) * 1000:.0f} ms; "
        f"the csv module alone {min(bare_seconds) * 1000:.0f} ms",
    )

    ids = list(Order.objects.filter(status="ready").order_by("pk").values_list("pk", flat=True)[:picked])
    started = time.perf_counter()
    batch = picking_batch_create(actor="bench", orders=Order.objects.filter(pk__in=ids))
    batch_seconds = time.perf_counter() - started
    report.add("picking batch (to 印刷済み)", picked / batch_seconds, "orders/s", note=f"{picked} orders")
    started = time.perf_counter()
    pdf = picking_list_pdf(batch)
    seconds = time.perf_counter() - started
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    report.add(
        "picking list PDF",
        pages / seconds,
        "pages/s",
        note=f"{picked} orders, {pages} pages, {seconds:.1f} s",
    )
