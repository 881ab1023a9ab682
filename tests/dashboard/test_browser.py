"""The dashboard in a real browser: Debian's chromium driven by Playwright against the live test server.

Skipped, with the reason, where chromium or Playwright is missing (`make test` installs chromium with apt-get
when it can). Screenshots go to docs/ when OMS_SCREENSHOTS=1, else to the test's temporary folder.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from oms.models import BulkJob
from orders.models import Order, OrderStatus
from tests.dashboard.demo_orders import UNIQUE_PHONE, demo_orders_seed
from tests.e2e.conftest import celery_processes  # noqa: F401  (a worker process on the test database)

# celery_processes is a fixture used by name below.
# ruff: noqa: F811

CHROMIUM = "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parents[2] / "docs"
S = OrderStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
if not shutil.which(CHROMIUM):
    pytest.skip(
        f"{CHROMIUM} is missing: `apt-get install chromium fonts-noto-cjk` (make test does it as root)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between browser
    # steps are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(scope="module")
def live_server(django_db_setup):
    """pytest-django's live server, built for plain HTTP: its middleware reads SECURE_SSL_REDIRECT once, when
    the server starts, so production's HTTPS redirect must be off by then."""
    from django.test.utils import override_settings
    from pytest_django.live_server_helper import LiveServer

    with override_settings(SECURE_SSL_REDIRECT=False):
        server = LiveServer("localhost")
    yield server
    server.stop()


@pytest.fixture
def shop(tmp_path, monkeypatch, settings):
    """The demo shop (catalogue, stock, three channels, a user per role) and a fortnight of orders."""
    from oms.demo import demo_seed

    monkeypatch.setattr("oms.demo.LOGIN_FILE", tmp_path / "demo-login.txt")
    monkeypatch.setattr("oms.demo.VAR_DIR", tmp_path)
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    demo_seed()
    passwords = {}
    for line in (tmp_path / "demo-login.txt").read_text().splitlines():
        username, password, _role = line.split()
        passwords[username] = password
    return {"passwords": passwords, **demo_orders_seed()}


@pytest.fixture
def open_page(browser, live_server, shop):
    """A new browser page signed in as one of the demo users (operator, warehouse, support, admin)."""
    contexts = []

    def sign_in(username: str, *, viewport=None):
        context = browser.new_context(locale="ja-JP", viewport=viewport or {"width": 1400, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", shop["passwords"][username])
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield sign_in
    for context in contexts:
        context.close()


def tab_count(page, status: str) -> int:
    return int(page.locator(f'#status-tabs a[data-status="{status}"] .tab-count').inner_text())


def status_of(order) -> str:
    return Order.objects.get(pk=order.pk).status


def test_an_operator_signs_in_sees_the_counts_finds_an_order_by_phone_and_opens_it(
    open_page, live_server, shop
):
    page = open_page("operator")

    for status in (S.ON_HOLD, S.READY, S.SHIPPED):
        assert tab_count(page, status) == Order.objects.filter(status=status).count()
    assert tab_count(page, S.ON_HOLD) >= 2

    page.click("text=受注一覧")
    page.fill("input[name=q]", UNIQUE_PHONE.replace("-", ""))  # typed without hyphens
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/\?q=\d+"))  # the results page loaded, not the list before it
    rows = page.locator("table.orders tbody tr")
    assert rows.count() == 1
    rows.first.locator("td.mono a").click()

    page.wait_for_url(re.compile(rf"/orders/{shop['phone'].pk}/$"))
    assert shop["phone"].external_id in page.locator("h1").inner_text()


def test_a_postal_code_mismatch_is_fixed_with_the_suggested_value_in_one_click(open_page, live_server, shop):
    order = shop["mismatch"]
    page = open_page("operator")
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    assert page.locator('#holds [data-code="postcode_address_mismatch"]').count() == 1

    page.click("button[name=fix]")

    page.wait_for_selector(".message.success")
    assert "提案の値で修正し、受注チェックをやり直しました。" in page.locator(".messages").inner_text()
    ship_to = order.ship_tos.get()
    assert (ship_to.prefecture, ship_to.city) == ("東京都", "渋谷区")
    assert status_of(order) == S.READY
    assert page.locator('#holds [data-code="postcode_address_mismatch"]').count() == 0


def test_a_hold_is_released_from_the_slip(open_page, live_server, shop):
    order = shop["remarks"]
    page = open_page("operator")
    page.goto(f"{live_server.url}/orders/{order.pk}/")

    page.locator('#holds [data-code="remarks"] button[name=release]').click()

    page.wait_for_selector(".message.success")
    assert "保留を解除しました。" in page.locator(".messages").inner_text()
    assert status_of(order) == S.READY


@pytest.fixture
def eager_celery(settings):
    """Run Celery tasks inline in the web server's thread (CELERY_TASK_ALWAYS_EAGER): the bulk job still
    writes its progress to its BulkJob row and the page still polls that row."""
    from oms.celery import app

    before = app.conf.task_always_eager  # read first: Celery's conf reads through Django's settings
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
    assert not app.conf.task_always_eager, "later tests need real workers: eager mode must not leak"


def _tick_on_hold_orders_and_confirm(page, live_server) -> int:
    page.goto(f"{live_server.url}/orders/?status=on_hold")
    ticked = page.locator('input[form="order-selection"]').count()
    assert ticked >= 2
    page.check("#select-all")
    assert page.locator("#bulk-count").inner_text() == str(ticked)
    page.click("button[value=confirm]")
    page.wait_for_url(re.compile(r"/orders/bulk/\d+/$"))
    return ticked


def _watch_progress_finish(page, ticked: int) -> list[str]:
    """The values the progress bar showed until the job was done (the page polls the job row with htmx)."""
    seen = [page.get_attribute("#bulk-progress-bar", "value")]
    page.evaluate(
        """() => { window.progressSeen = [];
        document.body.addEventListener("htmx:afterSwap", () => window.progressSeen.push(
            document.querySelector("#bulk-progress-bar").getAttribute("value"))); }"""
    )
    page.wait_for_selector('#bulk-progress[data-state="done"]', timeout=60_000)
    seen += page.evaluate("() => window.progressSeen")
    assert page.get_attribute("#bulk-progress-bar", "value") == str(ticked)
    assert page.get_attribute("#bulk-progress-bar", "max") == str(ticked)
    assert (
        f"{ticked} 件中 {ticked} 件に適用しました。" in page.locator("#bulk-progress .summary").inner_text()
    )
    return seen


def test_a_bulk_confirm_runs_and_its_progress_bar_follows_the_job_to_the_end(
    open_page, live_server, shop, eager_celery
):
    page = open_page("operator")
    on_hold = list(Order.objects.filter(status=S.ON_HOLD))

    ticked = _tick_on_hold_orders_and_confirm(page, live_server)
    _watch_progress_finish(page, ticked)

    job = BulkJob.objects.get()
    assert (job.state, job.done, job.total) == ("done", ticked, ticked)
    assert not Order.objects.filter(pk__in=[order.pk for order in on_hold], status=S.ON_HOLD).exists()


def test_a_bulk_confirm_on_a_real_worker_is_followed_until_it_finishes(
    open_page, live_server, shop, celery_processes, settings
):
    """The same, with the job run by a Celery worker process (PostgreSQL and Redis: the CI set-up)."""
    if celery_processes.env["REDIS_URL"] != settings.CELERY_BROKER_URL:
        pytest.skip("the web server must publish to the worker's broker: set REDIS_URL")
    page = open_page("operator")
    celery_processes.start_worker(concurrency=1)

    ticked = _tick_on_hold_orders_and_confirm(page, live_server)
    seen = _watch_progress_finish(page, ticked)

    assert seen[0] in {"0", str(ticked)}, seen
    assert not Order.objects.filter(status=S.ON_HOLD).exists(), celery_processes.log("worker")[-2000:]


def test_a_warehouse_user_has_no_settings_link_and_is_refused_the_settings(open_page, live_server):
    page = open_page("warehouse")

    assert page.locator(".mainnav .settings-link").count() == 0
    assert page.locator(".mainnav").get_by_text("出荷作業").count() == 1
    page.goto(f"{live_server.url}/admin/")

    assert "/admin/login/" in page.url
    assert (
        "あなたは warehouse として認証されましたが、このページへのアクセス許可がありません。"
        in page.content()
    )


def test_screenshots_of_home_order_list_and_slip(open_page, live_server, shop, tmp_path):
    """docs/dashboard-*.png from the demo-like data set (OMS_SCREENSHOTS=1 writes them to docs/)."""
    folder = DOCS if os.environ.get("OMS_SCREENSHOTS") == "1" else tmp_path
    page = open_page("operator", viewport={"width": 1440, "height": 900})
    page.wait_for_selector(".chart svg")
    page.screenshot(path=str(folder / "dashboard-home.png"), full_page=True)
    page.goto(f"{live_server.url}/orders/")
    page.screenshot(path=str(folder / "dashboard-orders.png"))
    page.goto(f"{live_server.url}/orders/{shop['mismatch'].pk}/")
    page.screenshot(path=str(folder / "dashboard-order-slip.png"), full_page=True)

    for name in ("dashboard-home.png", "dashboard-orders.png", "dashboard-order-slip.png"):
        assert (folder / name).stat().st_size > 20_000
