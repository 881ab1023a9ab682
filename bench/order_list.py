"""Order list at 100,000 orders: the dashboard page and the REST API's order list and detail, p50/p95, with the
bare SQL behind each as the baseline in the same run.

Dashboard: one client, common filters and searches, against the page's row query and its count. API: 32
concurrent HTTP clients against gunicorn on 127.0.0.1 asking /api/v1/orders/ (newest, a status filter) and
/api/v1/orders/<id>/, against 32 concurrent database connections replaying the SELECTs each request made.

The orders are written with INSERT … SELECT over generate_series (seconds, not minutes); the page is asked
through Django's test client in this process, so the time is the view's: queries, prefetches and template.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from bench.common import Report, percentile, reset_shop

ORDERS = 100_000
QUICK_ORDERS = 10_000
REQUESTS = 40
QUICK_REQUESTS = 10
API_CLIENTS = 32
API_WORKERS = max(2, 2 * (os.cpu_count() or 1))  # gunicorn processes, as a small production box would run
ROOT = Path(__file__).resolve().parent.parent
API_REQUESTS = 15  # per client and scenario
QUICK_API_REQUESTS = 4
# (name, path): {id} is a different order for each client.
API_SCENARIOS = [
    ("list", "/api/v1/orders/"),
    ("list status", "/api/v1/orders/?status=ready&page_size=50"),
    ("detail", "/api/v1/orders/{id}/"),
]
# (name, query string): the filters and searches staff use most.
SCENARIOS = [
    ("newest", ""),
    ("status", "status=ready"),
    ("hold", "hold=remarks"),
    ("shop+date", "channel={channel}&ordered_from={month_ago}"),
    ("phone", "q=090-0000-{phone:04d}"),
    ("name", "q=山田"),
    ("order number", "q=B-{number:06d}"),
    ("sort total", "sort=-total&page=20"),
]
STATUSES = ["ready"] * 30 + ["shipped"] * 45 + ["on_hold"] * 8 + ["printed"] * 10 + ["cancelled"] * 5
STATUSES += ["awaiting_stock"] * 2
NAMES = [
    "山田 太郎",
    "佐藤 花子",
    "鈴木 一郎",
    "高橋 美咲",
    "田中 健太",
    "伊藤 さくら",
    "渡辺 翔",
    "中村 大輔",
]
KANAS = [
    "ヤマダ タロウ",
    "サトウ ハナコ",
    "スズキ イチロウ",
    "タカハシ ミサキ",
    "タナカ ケンタ",
    "イトウ サクラ",
]
KANAS += ["ワタナベ ショウ", "ナカムラ ダイスケ"]


def _array(values: list[str]) -> str:
    return "(ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "])"


def _insert(
    cursor, model, count: int, given: dict[str, str], *, source: str = "generate_series(1, %s) AS g(n)"
):
    """INSERT … SELECT `given` column expressions; every other NOT NULL column gets its model default."""
    columns, expressions, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in given:
            expressions.append(given[field.column].replace("%", "%%"))  # a literal modulo, not a parameter
        elif field.null:
            expressions.append("NULL")
        elif field.get_internal_type() == "JSONField":
            expressions.append("%s::jsonb")
            params.append(json.dumps(field.get_default()))
        else:
            expressions.append("%s")
            params.append(field.get_default())
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(expressions)} FROM {source}"
    cursor.execute(sql, [*params, count] if "%s) AS g" in source else params)


def _fill(count: int) -> None:
    from django.db import connection

    from channels.models import Channel
    from inventory.models import SKU
    from orders.models import Hold, Order, OrderLine, ShipTo
    from shipping.models import Carrier, Shipment

    channels = list(Channel.objects.order_by("pk").values_list("pk", flat=True))
    sku_ids = list(SKU.objects.filter(is_set=False).order_by("pk").values_list("pk", flat=True))
    yamato = Carrier.objects.get(code="yamato").pk
    with connection.cursor() as cursor:
        _insert(
            cursor,
            Order,
            count,
            {
                "channel_id": f"(ARRAY{channels})[1 + n % {len(channels)}]",
                "external_id": "'B-' || lpad(n::text, 6, '0')",
                "status": f"{_array(STATUSES)}[1 + (n * 7919) % {len(STATUSES)}]",
                "ordered_at": "now() - (n * interval '157 seconds')",  # about 6 months back
                "buyer_name": f"{_array(NAMES)}[1 + n % {len(NAMES)}] || n::text",
                "buyer_kana": f"{_array(KANAS)}[1 + n % {len(KANAS)}]",
                "buyer_email": "'buyer' || n || '@example.jp'",
                "buyer_phone": "'090-' || lpad((n / 10000)::text, 4, '0') || '-' || lpad((n % 10000)::text, 4, '0')",
                "subtotal": "980 + (n * 37) % 20000",
                "total": "980 + (n * 37) % 20000",
                "delivery_date": "CASE WHEN n % 4 = 0 THEN (now() - (n * interval '157 seconds'))::date + 3 END",
                "delivery_time": "'14-16'",
                "created_at": "now()",
                "updated_at": "now()",
            },
        )
        orders = f"(SELECT id, row_number() OVER (ORDER BY id) AS n FROM {Order._meta.db_table}) AS o"
        _insert(
            cursor,
            ShipTo,
            count,
            {
                "order_id": "o.id",
                "name": f"{_array(NAMES)}[1 + o.n % {len(NAMES)}]",
                "kana": f"{_array(KANAS)}[1 + o.n % {len(KANAS)}]",
                "postal_code": "'100-0001'",
                "prefecture": "'東京都'",
                "city": "'千代田区'",
                "address1": "'千代田' || o.n || '-1'",
                "phone": "'03-0000-' || lpad((o.n % 10000)::text, 4, '0')",
            },
            source=orders,
        )
        _insert(
            cursor,
            OrderLine,
            count,
            {
                "order_id": "o.id",
                "sku_id": f"(ARRAY{sku_ids})[1 + o.n % {len(sku_ids)}]",
                "name": "'商品 ' || o.n",
                "quantity": "1 + o.n % 3",
                "unit_price": "1980",
            },
            source=orders,
        )
        on_hold = f"(SELECT id AS order_id FROM {Order._meta.db_table} WHERE status = 'on_hold') AS o"
        _insert(
            cursor,
            Hold,
            count,
            {"order_id": "o.order_id", "code": "'remarks'", "message": "'備考あり'", "created_at": "now()"},
            source=on_hold,
        )
        shipped = f"(SELECT id AS order_id FROM {Order._meta.db_table} WHERE status = 'shipped') AS o"
        _insert(
            cursor,
            Shipment,
            count,
            {
                "order_id": "o.order_id",
                "carrier_id": str(yamato),
                "tracking_number": "lpad((o.order_id * 7)::text, 12, '0')",
                "shipped_at": "now()",
                "created_at": "now()",
            },
            source=shipped,
        )
        cursor.execute("ANALYZE")


def _timed(call, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _bare_sql(query: str):
    """The page's own two statements (rows of the page, and the count), run as raw SQL."""
    from django.db import connection
    from django.http import QueryDict

    from oms.dashboard.forms import OrderFilterForm
    from oms.dashboard.selectors import order_list
    from oms.dashboard.views_orders import PAGE_SIZE

    params = QueryDict(query)
    filters = OrderFilterForm(params).filters()
    page = int(params.get("page", 1))
    queryset = order_list(filters=filters)
    rows_sql, rows_params = queryset[(page - 1) * PAGE_SIZE : page * PAGE_SIZE].query.sql_with_params()
    count_sql, count_params = queryset.order_by().values("pk").query.sql_with_params()
    count_sql = f"SELECT count(*) FROM ({count_sql}) AS page_count"

    def run():
        with connection.cursor() as cursor:
            cursor.execute(count_sql, count_params)
            cursor.fetchone()
            cursor.execute(rows_sql, rows_params)
            cursor.fetchall()

    return run


def run(report: Report, *, quick: bool = False) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from channels.models import Channel
    from oms.roles import OPERATOR, roles_ensure

    count = QUICK_ORDERS if quick else ORDERS
    repeat = QUICK_REQUESTS if quick else REQUESTS
    reset_shop({})
    started = time.monotonic()
    _fill(count)
    print(f"   {count:,} orders written in {time.monotonic() - started:.0f} s", flush=True)

    roles_ensure()
    user, _created = get_user_model().objects.get_or_create(username="bench-operator")
    user.groups.add(Group.objects.get(name=OPERATOR))
    client = Client(SERVER_NAME="localhost")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    values = {
        "channel": Channel.objects.order_by("pk").values_list("pk", flat=True).first(),
        "month_ago": time.strftime("%Y-%m-%d", time.localtime(time.time() - 30 * 86400)),
        "phone": count // 3 % 10000,
        "number": count // 2,
    }
    view_all, sql_all = [], []
    for name, template in SCENARIOS:
        query = template.format(**values)
        url = f"/orders/?{query}"

        def get(url=url):
            response = client.get(url, secure=True)
            assert response.status_code == 200, response.status_code

        get()  # warm the caches and the connection once, as a running server has them
        bare = _bare_sql(query)
        bare()
        view = _timed(get, repeat)
        sql = _timed(bare, repeat)
        view_all += view
        sql_all += sql
        report.add(
            f"order_list[{name}] p50",
            statistics.median(view),
            "ms",
            baseline=statistics.median(sql),
            note=query,
        )
        report.add(f"order_list[{name}] p95", percentile(view, 95), "ms", baseline=percentile(sql, 95))
    report.add(
        "order_list[all] p50",
        statistics.median(view_all),
        "ms",
        baseline=statistics.median(sql_all),
        note=f"{count:,} orders, {repeat} requests per filter; baseline = the page's bare SQL",
    )
    report.add("order_list[all] p95", percentile(view_all, 95), "ms", baseline=percentile(sql_all, 95))
    run_api(report, count=count, quick=quick)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _api_server():
    """gunicorn on 127.0.0.1 with API_WORKERS processes on this database, the rate limit out of the way."""
    port = _free_port()
    env = {**os.environ, "OMS_API_RATE": "100000000/min", "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "gunicorn", "oms.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(API_WORKERS), "--timeout", "300", "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or busy starting
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _recorded_selects(path: str, raw_key: str) -> list[str]:
    """The SELECTs one request of `path` makes (run in this process through the test client)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    api = APIClient(SERVER_NAME="localhost")
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw_key}")
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path, secure=True)
    assert response.status_code == 200, (path, response.status_code)
    return [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]


def _concurrently(calls: list, repeat: int) -> list[float]:
    """Each call is one client thread; all start together (barrier) and time `repeat` calls each."""
    barrier = threading.Barrier(len(calls))
    times: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client(call) -> None:
        from django.db import connection

        try:
            call()  # warm: connection open, caches filled
            barrier.wait(timeout=120)
            measured = _timed(call, repeat)
            with lock:
                times.extend(measured)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return times


def _http_get(base: str, path: str, raw_key: str):
    session = requests.Session()
    headers = {"Authorization": f"Token {raw_key}", "X-Forwarded-Proto": "https"}

    def get():
        response = session.get(base + path, headers=headers, timeout=120)
        assert response.status_code == 200, (path, response.status_code)

    return get


def _raw_sql(statements: list[str]):
    def run():
        from django.db import connection

        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()

    return run


def run_api(report: Report, *, count: int, quick: bool) -> None:
    from django.conf import settings

    from oms.api.keys import api_key_create
    from orders.models import Order

    # The SELECTs are recorded in this process: no rate limit here either.
    settings.OMS_API_RATE = "100000000/min"
    _key, raw_key = api_key_create(name="bench", scopes=["orders:read"])
    repeat = QUICK_API_REQUESTS if quick else API_REQUESTS
    ids = list(Order.objects.order_by("?").values_list("pk", flat=True)[:API_CLIENTS])
    with _api_server() as base:
        for name, template in API_SCENARIOS:
            paths = [template.format(id=ids[n % len(ids)]) for n in range(API_CLIENTS)]
            view = _concurrently([_http_get(base, path, raw_key) for path in paths], repeat)
            sql = _concurrently([_raw_sql(_recorded_selects(path, raw_key)) for path in paths], repeat)
            report.add(
                f"api_orders[{name}] p50",
                statistics.median(view),
                "ms",
                baseline=statistics.median(sql),
                note=f"{count:,} orders, {API_CLIENTS} concurrent clients x {repeat}, gunicorn {API_WORKERS} "
                "workers; baseline = the same SELECTs as raw SQL, 32 connections",
            )
            report.add(f"api_orders[{name}] p95", percentile(view, 95), "ms", baseline=percentile(sql, 95))
