"""Polling overlaps fetching the next page with importing this one, for adapters that allow it."""

import threading
import time

import pytest

from channels.sync import _fetched_ahead


class Adapter:
    def __init__(self, fetch_ahead):
        self.fetch_ahead = fetch_ahead


def _pages(log, count=3, fetch_seconds=0.05):
    for n in range(count):
        log.append(("fetch", n, threading.get_ident()))
        time.sleep(fetch_seconds)
        yield [f"order-{n}"]


def test_the_next_page_is_fetched_while_this_one_is_imported():
    log = []
    seen = []
    for page in _fetched_ahead(Adapter(True), _pages(log)):
        # Importing takes 0.3 s, and on a busy machine until the fetch of the next page has started (10 s at most).
        deadline = time.monotonic() + 10
        while len(log) < min(len(seen) + 2, 3) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        seen.append((page, len([e for e in log if e[0] == "fetch"])))

    assert [page for page, _ in seen] == [["order-0"], ["order-1"], ["order-2"]]
    # While page 0 was imported, page 1 was already being fetched.
    assert seen[0][1] == 2
    assert {thread for _kind, _n, thread in log} != {threading.get_ident()}


def test_other_adapters_are_read_in_turn_on_the_callers_thread():
    log = []
    seen = []
    for page in _fetched_ahead(Adapter(False), _pages(log)):
        seen.append((page, len(log)))

    assert [count for _page, count in seen] == [1, 2, 3]
    assert {thread for _kind, _n, thread in log} == {threading.get_ident()}


def test_a_fetch_error_reaches_the_poll():
    def failing():
        yield ["order-0"]
        raise RuntimeError("the shop broke")

    pages = _fetched_ahead(Adapter(True), failing())
    assert next(pages) == ["order-0"]
    with pytest.raises(RuntimeError, match="the shop broke"):
        next(pages)


def test_a_failed_import_stops_without_waiting_for_the_fetch_under_way():
    def slow():
        yield ["order-0"]
        time.sleep(5)
        yield ["order-1"]

    started = time.monotonic()
    with pytest.raises(ValueError):
        for _page in _fetched_ahead(Adapter(True), slow()):
            raise ValueError("import failed")
    assert time.monotonic() - started < 3  # the fetch of page 1 takes 5 s
