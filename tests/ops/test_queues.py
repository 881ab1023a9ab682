"""Celery queues: each kind of work goes to its own queue with its own time limits; a worker started without
-Q consumes them all; a task that fails for good leaves a dead letter with ids only."""

from types import SimpleNamespace

import pytest
from celery import shared_task

from oms.celery import app
from oms.failed_tasks import failed_task_retry
from oms.models import FailedTask
from oms.queues import QUEUES, TIME_LIMITS

ROUTES = {
    "channels.tasks.poll_channel": "polling",
    "channels.tasks.check_listing_drift": "polling",
    "shipping.tasks.push_shipment": "polling",
    "shipping.tasks.push_pending_shipments": "polling",
    "channels.tasks.push_channel_stock": "stock",
    "channels.tasks.push_stock_all": "stock",
    "notifications.tasks.send_outbound_mail": "mail",
    "notifications.tasks.send_pending_mails": "mail",
    "channels.inquiry_tasks.send_inquiry_reply": "mail",
    "channels.inquiry_tasks.send_pending_inquiry_replies": "mail",
    "channels.inquiry_tasks.poll_inquiries": "polling",
    "channels.inquiry_tasks.complete_inquiry_in_shop": "polling",
    "oms.tasks.bulk_job_run": "heavy",
    "orders.tasks.personal_data_anonymise_due": "heavy",
    "shipping.tasks.export_labels": "heavy",
    "shipping.tasks.packing_slip_pdf": "heavy",
    "orders.tasks.allocate_waiting_orders": "celery",
    "orders.tasks.release_scheduled_orders": "celery",
    "inventory.tasks.stock_reconcile": "celery",
}


@shared_task(name="tests.ops.always_fails")
def always_fails(order_id: int, note: str = "") -> None:
    raise RuntimeError(f"shop said no for order {order_id}: contact taro@example.jp")


@pytest.mark.parametrize(("task_name", "queue"), sorted(ROUTES.items()))
def test_each_kind_of_work_is_routed_to_its_queue(task_name, queue):
    route = app.amqp.router.route({}, task_name)

    assert route["queue"].name == queue


def test_a_worker_without_q_consumes_every_queue():
    assert (
        {queue.name for queue in app.conf.task_queues}
        == set(QUEUES)
        == {
            "polling",
            "stock",
            "mail",
            "heavy",
            "celery",
        }
    )


def test_tasks_get_their_queues_time_limits_and_acks_late():
    app.loader.import_default_modules()
    push = app.tasks["channels.tasks.push_channel_stock"]
    poll = app.tasks["channels.tasks.poll_channel"]

    assert (push.soft_time_limit, push.time_limit) == TIME_LIMITS["stock"]
    assert (poll.soft_time_limit, poll.time_limit) == TIME_LIMITS["polling"]
    # A stock push is killed before its 60 s channel lease runs out, so two pushes never overlap.
    assert TIME_LIMITS["stock"][1] < 60
    assert push.acks_late and poll.acks_late
    assert app.conf.task_reject_on_worker_lost


@pytest.mark.django_db
def test_a_task_that_fails_for_good_is_recorded_with_ids_only():
    result = always_fails.apply(args=[42], kwargs={"note": "山田 太郎 様 東京都千代田区千代田1-1"})

    assert result.failed()
    failed = FailedTask.objects.get()
    assert failed.task_name == "tests.ops.always_fails"
    assert failed.args == [42]
    assert failed.kwargs == {"note": "[redacted]"}
    assert failed.exception.startswith("RuntimeError: shop said no for order 42")
    assert "taro@example.jp" not in failed.exception + failed.traceback
    assert "Traceback" in failed.traceback
    assert failed.task_id == result.id and failed.failures == 1 and failed.resolved_at is None


@pytest.mark.django_db
def test_the_same_call_failing_again_adds_to_its_open_dead_letter():
    always_fails.apply(args=[7])
    always_fails.apply(args=[7])
    always_fails.apply(args=[8])

    assert sorted(FailedTask.objects.values_list("args", "failures")) == [([7], 2), ([8], 1)]


@pytest.mark.django_db
def test_running_a_dead_letter_again_sends_the_task_and_closes_it(monkeypatch):
    always_fails.apply(args=[9])
    failed = FailedTask.objects.get()
    sent = []

    def send_task(name, args, kwargs):
        sent.append((name, args, kwargs))
        return SimpleNamespace(id="sent-again")

    monkeypatch.setattr(app, "send_task", send_task)
    failed_task_retry(failed=failed)

    assert sent == [("tests.ops.always_fails", [9], {})]
    failed.refresh_from_db()
    assert failed.resolution == "requeued" and failed.resolved_at is not None


@pytest.mark.django_db
def test_a_push_skipped_behind_a_stuck_one_comes_back_once_not_once_per_sweep(monkeypatch):
    from channels import tasks
    from channels.sync import PushResult
    from tests.factories import ChannelFactory

    channel = ChannelFactory()
    monkeypatch.setattr(tasks, "channel_push_stock", lambda channel: PushResult(channel.name, skipped=True))
    requeued = []
    monkeypatch.setattr(tasks.push_channel_stock, "apply_async", lambda **kw: requeued.append(kw))

    for _sweep in range(5):  # beat's sweeps while another worker holds the channel's push lease
        assert tasks.push_channel_stock(channel.pk) == {"skipped": "another worker is pushing this channel"}

    assert requeued == [{"args": [channel.pk], "countdown": tasks.REQUEUE_SECONDS}]
