"""Every dashboard page in a real browser keeps to the Content-Security-Policy, loads every resource it asks
for (the favicon too) and has unique element ids, also after htmx swaps part of it.

The CSP (settings.CONTENT_SECURITY_POLICY, default-src 'self') refuses inline styles: htmx must not inject
its indicator <style> (base.html's htmx-config turns that off; dashboard.css has the rules instead).
"""

import re

import pytest

from tests.dashboard.test_browser import browser, live_server, shop  # noqa: F401  (fixtures)

# browser, live_server and shop are fixtures used by name below.
# ruff: noqa: F811

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Recorded in every document before its own scripts run: what the CSP refused, and ids used twice.
WATCH_CSP = """document.addEventListener("securitypolicyviolation", (event) =>
    (window.cspViolations = window.cspViolations || []).push(`${event.violatedDirective} ${event.blockedURI}`));"""
DUPLICATE_IDS = """() => { const ids = [...document.querySelectorAll("[id]")].map((element) => element.id);
    return ids.filter((id, index) => ids.indexOf(id) !== index); }"""


@pytest.fixture
def watched_page(browser, live_server, shop):
    """An administrator's page (every menu) with its console errors, failed responses (Chrome asks for
    /favicon.ico once, on the first page, when no icon is linked) and CSP refusals kept from the start."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 900})
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )

    def check(where: str) -> None:
        page.wait_for_load_state("networkidle")
        problems.extend(page.evaluate("() => window.cspViolations || []"))
        problems.extend(f"id {id_} twice" for id_ in page.evaluate(DUPLICATE_IDS))
        assert problems == [], where
        assert page.locator("style").count() == 0, where  # no <style> injected (htmx's indicator styles)

    page.check_clean = check
    page.goto(f"{live_server.url}/login/")
    check("login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", shop["passwords"]["admin"])
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    yield page
    context.close()


def test_pages_and_htmx_swaps_keep_the_csp_load_everything_and_have_unique_ids(
    watched_page, live_server, shop
):
    page = watched_page
    for path in (
        "/",
        "/orders/",
        "/fulfilment/",
        "/fulfilment/tracking/",
        "/stock/",
        "/quarantine/",
        "/inbox/",
    ):
        page.goto(live_server.url + path)
        page.check_clean(path)

    page.goto(f"{live_server.url}/orders/{shop['mismatch'].pk}/")
    page.click("#wishes a.button")  # the inline edit form comes in by htmx
    page.wait_for_selector("form select[name=delivery_time]")
    page.check_clean("slip after the htmx swap")

    page.goto(f"{live_server.url}/fulfilment/inspection/")
    page.fill("input[name=code]", "NO-SUCH-ORDER")
    page.press("input[name=code]", "Enter")  # answered by an htmx swap of #inspection
    page.wait_for_selector("#inspection .scan-message")
    page.check_clean("inspection after the htmx swap")


def test_the_favicon_is_an_svg_from_our_own_static_files(watched_page, live_server):
    page = watched_page
    href = page.get_attribute("link[rel=icon]", "href")

    response = page.request.get(live_server.url + href)

    assert re.fullmatch(r"/static/dashboard/favicon\.svg", href)
    assert response.status == 200 and response.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in response.body()
