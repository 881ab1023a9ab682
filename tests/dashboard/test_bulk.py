"""Bulk actions on the order list: a job per action, run by its task, with progress and a file to download."""

import pytest
from django.urls import reverse

from channels.adapters.base import CanonicalLine
from inventory.models import StockLevel
from oms.dashboard import bulk
from oms.dashboard.bulk import bulk_job_run
from oms.models import BulkJob
from orders.models import Order, OrderStatus
from tests.dashboard.conftest import import_order
from tests.orders.test_intake import buyer

pytestmark = pytest.mark.django_db
S = OrderStatus
Kind = BulkJob.Kind


def job_for(kind: str, orders, user=None, **params) -> BulkJob:
    ids = [order.pk for order in orders]
    return BulkJob.objects.create(kind=kind, order_ids=ids, total=len(ids), params=params, created_by=user)


def status_of(order) -> str:
    return Order.objects.get(pk=order.pk).status


@pytest.fixture
def short_order(shop):
    """An order for more T-shirts than the 20 in stock: it waits for stock (引当待ち)."""
    return import_order(
        shop,
        external_id="R-SHORT",
        lines=[CanonicalLine("1", "tshirt", "TSHIRT-BLK-M", "Tシャツ ブラック M", 50, 2980)],
        **buyer(4),
    )


# --- starting a job --------------------------------------------------------------------------------


def test_starting_an_action_records_a_job_and_enqueues_it_only_after_commit(
    login, remarks_order, clean_order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = login("operator").post(
            reverse("dashboard:bulk_confirm"), {"orders": [remarks_order.pk, clean_order.pk]}
        )

    job = BulkJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("dashboard:bulk_job", args=[job.pk])
    assert (job.kind, job.state, job.total, job.done) == (Kind.CONFIRM, "queued", 2, 0)
    assert job.order_ids == sorted([remarks_order.pk, clean_order.pk])
    assert len(callbacks) == 1  # the task is sent once the job row is committed


def test_the_job_runs_as_a_celery_task_and_its_page_shows_it_done(
    login, remarks_order, settings, django_capture_on_commit_callbacks
):
    # The task runs in this process, on the same job row. Set on Celery's own config too: once another test
    # has read it, Celery no longer reads Django's settings.
    from oms.celery import app

    before = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    client = login("operator")

    try:
        with django_capture_on_commit_callbacks(execute=True):  # the request's commit sends the task
            response = client.post(reverse("dashboard:bulk_confirm"), {"orders": [remarks_order.pk]})
    finally:
        app.conf.task_always_eager = before

    assert status_of(remarks_order) == S.READY
    page = client.get(response.url).content.decode()
    assert 'data-state="done"' in page
    assert "hx-trigger" not in page  # done: the page stops polling
    assert "1 件中 1 件に適用しました。" in page


def test_no_ticked_order_is_answered_with_a_message_and_no_job(login, clean_order):
    response = login("operator").post(
        reverse("dashboard:bulk_confirm"), {"next": "/orders/?status=ready"}, follow=True
    )

    assert not BulkJob.objects.exists()
    assert response.redirect_chain[-1][0] == "/orders/?status=ready"
    assert "注文を1件以上選んでください。" in [str(m) for m in response.context["messages"]]


def test_next_may_not_lead_off_the_site(login):
    response = login("operator").post(reverse("dashboard:bulk_confirm"), {"next": "https://evil.example/"})

    assert response.url == reverse("dashboard:order_list")


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("operator", ["bulk_confirm", "bulk_release", "bulk_status"], ["bulk_picking", "bulk_labels"]),
        ("warehouse", ["bulk_picking", "bulk_labels"], ["bulk_confirm", "bulk_release", "bulk_status"]),
        ("customer_service", [], ["bulk_confirm", "bulk_picking", "order-selection"]),
    ],
)
def test_the_bulk_bar_shows_each_role_only_its_actions(login, clean_order, role, shown, hidden):
    page = login(role).get(reverse("dashboard:order_list")).content.decode()

    for name in shown:
        assert reverse(f"dashboard:{name}") in page
    for name in hidden:
        assert (reverse(f"dashboard:{name}") if name.startswith("bulk") else name) not in page


def test_a_role_without_the_action_is_refused_even_when_posting_directly(login, clean_order):
    response = login("warehouse").post(reverse("dashboard:bulk_confirm"), {"orders": [clean_order.pk]})

    assert response.status_code == 403
    assert not BulkJob.objects.exists()


# --- running a job ---------------------------------------------------------------------------------


def test_confirm_releases_the_holds_a_person_may_release_and_moves_the_orders_on(
    users, remarks_order, mismatched_order
):
    job = job_for(Kind.CONFIRM, [remarks_order, mismatched_order], users["operator"])

    job = bulk_job_run(job_id=job.pk)

    assert (job.state, job.done, job.errors) == ("done", 2, [])
    assert status_of(remarks_order) == S.READY and status_of(mismatched_order) == S.READY
    hold = remarks_order.holds.get(code="remarks")
    assert hold.released_by_person and hold.resolved_by == users["operator"]
    assert remarks_order.events.filter(kind="hold_resolved", actor="user:operator-user").exists()


def test_confirm_leaves_a_stock_hold_and_notes_what_the_order_still_waits_for(users, short_order):
    assert short_order.status == S.AWAITING_STOCK
    job = job_for(Kind.CONFIRM, [short_order], users["operator"])

    job = bulk_job_run(job_id=job.pk)

    assert status_of(short_order) == S.AWAITING_STOCK
    assert short_order.holds.filter(code="insufficient_stock", resolved_at__isnull=True).exists()
    assert job.errors == [{"order": "R-SHORT", "message": "引当待ちのままです。", "note": True}]


def test_one_refused_order_is_listed_and_the_others_are_still_applied(users, remarks_order, clean_order):
    Order.objects.filter(pk=clean_order.pk).update(status=S.SHIPPED)
    job = job_for(Kind.CONFIRM, [clean_order, remarks_order], users["operator"])

    job = bulk_job_run(job_id=job.pk)

    assert status_of(remarks_order) == S.READY
    assert job.done == 2
    assert job.errors == [
        {"order": "R-CLEAN", "message": "注文 R-CLEAN は出荷済みです。確認できるのは印刷前の注文だけです。"}
    ]


def test_progress_is_written_to_the_job_after_each_order(users, remarks_order, clean_order, monkeypatch):
    seen = []
    confirm = bulk._confirm

    def watching(actor, user, order):
        seen.append(BulkJob.objects.get().done)
        return confirm(actor, user, order)

    monkeypatch.setattr(bulk, "_confirm", watching)
    job = job_for(Kind.CONFIRM, [remarks_order, clean_order], users["operator"])

    bulk_job_run(job_id=job.pk)

    assert seen == [0, 1]
    assert BulkJob.objects.get().done == 2


def test_release_hold_releases_only_the_chosen_kind(users, remarks_order, mismatched_order):
    job = job_for(Kind.RELEASE_HOLD, [remarks_order, mismatched_order], users["operator"], hold="remarks")

    job = bulk_job_run(job_id=job.pk)

    assert status_of(remarks_order) == S.READY
    assert status_of(mismatched_order) == S.ON_HOLD
    assert [error["order"] for error in job.errors] == ["R-MISMATCH"]


def test_status_change_to_cancelled_gives_the_allocated_stock_back(users, clean_order):
    level = StockLevel.objects.get(sku__code="TSHIRT-BLK-M")
    assert level.allocated == 2
    job = job_for(Kind.STATUS, [clean_order], users["operator"], status=S.CANCELLED)

    bulk_job_run(job_id=job.pk)

    assert status_of(clean_order) == S.CANCELLED
    level.refresh_from_db()
    assert level.allocated == 0


def test_status_change_to_ready_is_refused_while_holds_remain(users, remarks_order):
    job = job_for(Kind.STATUS, [remarks_order], users["operator"], status=S.READY)

    job = bulk_job_run(job_id=job.pk)

    assert status_of(remarks_order) == S.ON_HOLD
    assert "保留" in job.errors[0]["message"]


def test_a_status_the_workflow_does_not_allow_is_refused_with_its_message(users, clean_order):
    Order.objects.filter(pk=clean_order.pk).update(status=S.SHIPPED)
    job = job_for(Kind.STATUS, [clean_order], users["operator"], status=S.ON_HOLD)

    job = bulk_job_run(job_id=job.pk)

    assert job.errors[0]["message"] == "受注 R-CLEAN は 出荷済み から 確認待ち に変更できません。"


def test_picking_makes_one_batch_of_the_ready_orders_and_keeps_its_picking_list(
    users, login, clean_order, remarks_order
):
    job = job_for(Kind.PICKING, [clean_order, remarks_order], users["warehouse"])

    job = bulk_job_run(job_id=job.pk)

    assert status_of(clean_order) == S.PRINTED and status_of(remarks_order) == S.ON_HOLD
    assert Order.objects.get(pk=clean_order.pk).picking_batch_id == job.params["batch"]
    assert [error["order"] for error in job.errors] == ["R-REMARKS"]
    response = login("warehouse").get(reverse("dashboard:bulk_job_download", args=[job.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="picking-list-{job.params["batch"]}.pdf"'
    assert b"".join(response).startswith(b"%PDF")


def test_picking_run_again_after_a_crash_reuses_its_batch(users, clean_order):
    job = job_for(Kind.PICKING, [clean_order], users["warehouse"])
    batch = bulk_job_run(job_id=job.pk).params["batch"]
    BulkJob.objects.filter(pk=job.pk).update(state="running")  # as if the worker died before finishing

    again = bulk_job_run(job_id=job.pk)

    assert again.state == "done" and again.errors == []
    assert again.summary.startswith(f"ピッキングバッチ #{batch}（1 件）")
    assert bytes(again.result).startswith(b"%PDF")


def test_picking_with_no_ready_order_says_so_and_makes_no_file(users, remarks_order):
    job = job_for(Kind.PICKING, [remarks_order], users["warehouse"])

    job = bulk_job_run(job_id=job.pk)

    assert job.state == "done" and not job.result_name
    assert "印刷待ちの注文で条件に合うものがありません" in job.summary


def test_labels_export_keeps_the_carriers_csv_and_lists_the_orders_left_out(users, shop, clean_order):
    labelled = import_order(shop, external_id="R-LABEL")  # ship-to with a phone number
    Order.objects.filter(pk=clean_order.pk).update(buyer_phone="")  # no phone at all: left out
    job = job_for(Kind.LABELS, [labelled, clean_order], users["warehouse"], carrier="yamato")

    job = bulk_job_run(job_id=job.pk)

    assert job.result_name.startswith("labels-yamato-") and job.result_name.endswith(".csv")
    assert "R-LABEL" in bytes(job.result).decode("cp932")
    assert job.errors == [{"order": "R-CLEAN", "message": "お届け先電話番号がありません"}]


def test_a_job_that_crashes_is_marked_failed(users, clean_order, monkeypatch):
    def broken(job, actor):
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(bulk.RUNNERS, Kind.CONFIRM, broken)
    job = job_for(Kind.CONFIRM, [clean_order], users["operator"])

    with pytest.raises(RuntimeError):
        bulk_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.state, job.summary) == ("failed", "the disk is full")


def test_a_finished_job_is_not_run_again(users, remarks_order):
    job = job_for(Kind.CONFIRM, [remarks_order], users["operator"])
    BulkJob.objects.filter(pk=job.pk).update(state="done")

    bulk_job_run(job_id=job.pk)

    assert status_of(remarks_order) == S.ON_HOLD


# --- the job page ----------------------------------------------------------------------------------


def test_the_progress_fragment_polls_while_the_job_runs(login, users):
    job = BulkJob.objects.create(kind=Kind.CONFIRM, order_ids=[1, 2, 3, 4], total=4, done=1, state="running")

    page = login("operator").get(reverse("dashboard:bulk_job_progress", args=[job.pk])).content.decode()

    assert f'hx-get="{reverse("dashboard:bulk_job_progress", args=[job.pk])}"' in page
    assert 'hx-trigger="every 1s"' in page
    assert '<progress id="bulk-progress-bar" max="4" value="1"' in page


def test_a_finished_job_offers_its_file_and_lists_what_was_not_done(login, users):
    job = BulkJob.objects.create(
        kind=Kind.LABELS,
        total=2,
        done=2,
        state="done",
        errors=[{"order": "R-9", "message": "電話番号がありません"}],
        summary="1枚",
        result=b"x",
        result_name="labels.csv",
        params={"carrier": "yamato"},
    )

    page = login("warehouse").get(reverse("dashboard:bulk_job", args=[job.pk])).content.decode()

    assert "hx-trigger" not in page
    assert reverse("dashboard:bulk_job_download", args=[job.pk]) in page
    assert "R-9" in page and "電話番号がありません" in page
    assert "ヤマト運輸" in page


def test_a_job_without_a_file_has_no_download(login):
    job = BulkJob.objects.create(kind=Kind.CONFIRM, total=0, state="done")

    response = login("operator").get(reverse("dashboard:bulk_job_download", args=[job.pk]))

    assert response.status_code == 404
