"""Intake throughput: orders/s from simulator pages to allocated orders (rate limits off), against a bare
baseline that fetches the same pages and inserts the same orders and lines with plain SQL.

Two ratios are reported: end to end (HTTP included on both sides), and import only (our parse, import,
allocation, holds and audit events against plain SQL inserts of the same rows).
"""

import random
import time
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction

from bench.common import Report, reset_shop, simulators

KINDS = ("rakuten", "yahoo", "amazon")
ORDER_COLUMNS = [
    "channel_id",
    "external_id",
    "status",
    "ordered_at",
    "buyer_name",
    "buyer_kana",
    "buyer_email",
    "buyer_phone",
    "subtotal",
    "shipping_fee",
    "payment_fee",
    "discount",
    "total",
    "payment_method",
    "remarks",
    "is_gift",
    "delivery_date",
    "delivery_time",
    "raw_payload",
    "created_at",
    "updated_at",
]
LINE_COLUMNS = [
    "order_id",
    "sku_id",
    "external_line_id",
    "external_item_id",
    "name",
    "quantity",
    "unit_price",
    "allocated_quantity",
    "shipped_quantity",
]


def _place_orders(sims, per_shop: int) -> None:
    skus = [row["sku"] for row in sims["rakuten"].control("GET", "/_sim/listings").json()]
    rng = random.Random(5)

    def place(kind_and_n):
        kind, n = kind_and_n
        order = {
            "items": [{"sku": rng.choice(skus), "quantity": 1 + n % 2, "price": 1980}],
            "buyer": {
                "name": "佐藤 花子",
                "kana": "サトウ ハナコ",
                "email": "hanako@example.jp",
                "phone": "080-1111-2222",
            },
            "ship_to": {
                "name": "佐藤 花子",
                "postal_code": "530-0001",
                "prefecture": "大阪府",
                "city": "大阪市北区",
                "address1": "梅田1-1-1",
                "address2": "",
                "phone": "080-1111-2222",
            },
            "delivery_date": "",
            "delivery_time": "",
            "payment": "cod",
            "remarks": "",
        }
        answer = sims[kind].control("POST", "/_sim/orders", json=order)
        answer.raise_for_status()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(place, [(kind, n) for kind in sims for n in range(per_shop)]))


def _fetch_all(channel, since, until) -> list:
    from channels.adapters import adapter_for

    adapter = adapter_for(channel)
    return list(adapter.fetch_orders(since=since, until=until))


def _bare_insert(order_rows: list[tuple], line_rows_by_order: list[list[tuple]]) -> None:
    """Plain SQL: the same orders and lines into scratch copies of the tables, one transaction per 100."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS bare_order (LIKE orders_order INCLUDING ALL)")
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS bare_line (LIKE orders_orderline INCLUDING ALL)")
        cursor.execute("TRUNCATE bare_order, bare_line")
    order_sql = f"INSERT INTO bare_order ({', '.join(ORDER_COLUMNS)}) VALUES ({', '.join(['%s'] * len(ORDER_COLUMNS))}) RETURNING id"  # noqa: E501
    line_sql = (
        f"INSERT INTO bare_line ({', '.join(LINE_COLUMNS)}) VALUES ({', '.join(['%s'] * len(LINE_COLUMNS))})"
    )
    for start in range(0, len(order_rows), 100):
        with transaction.atomic(), connection.cursor() as cursor:
            for order_row, lines in zip(
                order_rows[start : start + 100], line_rows_by_order[start : start + 100], strict=True
            ):
                cursor.execute(order_sql, order_row)
                order_id = cursor.fetchone()[0]
                cursor.executemany(line_sql, [(order_id, *line) for line in lines])


def _rows_of_imported_orders():
    import json

    from orders.models import Order

    orders = list(Order.objects.prefetch_related("lines").order_by("pk"))
    order_rows = [
        tuple(json.dumps(getattr(o, c)) if c == "raw_payload" else getattr(o, c) for c in ORDER_COLUMNS)
        for o in orders
    ]
    line_rows = [
        [tuple(getattr(line, c) for c in LINE_COLUMNS[1:]) for line in o.lines.all()] for o in orders
    ]
    return order_rows, line_rows


def run(report: Report, *, quick: bool = False) -> None:
    from django.utils import timezone

    from channels.models import Channel
    from channels.sync import PollResult, _import_page, channel_poll
    from orders.models import Order

    per_shop = 150 if quick else 1000
    total = per_shop * len(KINDS)
    with simulators(KINDS, rate_limits="off", env_extra={"AMAZON_SIM_PENDING_SECONDS": "0"}) as sims:
        reset_shop(sims, stock=1_000_000)
        _place_orders(sims, per_shop)
        time.sleep(1)
        channels = list(Channel.objects.filter(enabled=True))

        started = time.perf_counter()
        for channel in channels:
            result = channel_poll(channel=channel)
            assert not result.error, result.error
        ours = total / (time.perf_counter() - started)
        imported = Order.objects.count()
        assert imported == total, f"{imported} of {total} imported"
        order_rows, line_rows = _rows_of_imported_orders()

        until = timezone.now()
        since = until - timezone.timedelta(hours=1)
        started = time.perf_counter()
        pages = {channel.pk: _fetch_all(channel, since, until) for channel in channels}
        fetch_seconds = time.perf_counter() - started
        started = time.perf_counter()
        _bare_insert(order_rows, line_rows)
        bare_insert_seconds = time.perf_counter() - started
        bare = total / (fetch_seconds + bare_insert_seconds)
        report.add(
            "intake end to end",
            ours,
            "orders/s",
            baseline=bare,
            note="ratio = ours / bare fetch + plain SQL insert; target ≥ 300 orders/s, ratio ≥ 0.33",
        )

        reset_shop(sims, stock=1_000_000)
        channels = list(Channel.objects.filter(enabled=True))
        from channels.adapters import adapter_for

        started = time.perf_counter()
        for channel in channels:
            adapter, result = adapter_for(channel), PollResult(channel.name)
            for page in pages[channel.pk]:
                _import_page(channel, adapter, page, result)
        import_only = total / (time.perf_counter() - started)
        report.add(
            "intake import only (parse, import, allocate)",
            import_only,
            "orders/s",
            baseline=total / bare_insert_seconds,
            note="baseline: plain SQL insert of the same rows",
        )
