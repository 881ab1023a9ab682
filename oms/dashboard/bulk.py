"""Bulk actions on the orders ticked in the order list: start a BulkJob, and run it (the Celery task's body).

Confirm, release a hold and change status apply to each order in its own transaction, so one refused order
never undoes the others; its reason is kept on the job. The picking list and the label export are one service
call over all the ticked orders (one batch, one file), whose file the job keeps for download.
"""

from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oms.api.actions import order_cancel
from oms.models import BulkJob
from orders.editing import EditRefused
from orders.intake import FACT_HOLDS
from orders.models import Order, OrderStatus
from orders.services import (
    IllegalStatusTransition,
    order_hold_resolve,
    order_refresh_status,
    order_status_change,
)
from shipping.labels import label_orders, labels_export
from shipping.models import Carrier, PickingBatch
from shipping.pdf.picking_list import picking_list_pdf
from shipping.picking import PickingRefused, picking_batch_create

S = OrderStatus
Kind = BulkJob.Kind
State = BulkJob.State
# Before printing, a person may confirm an order or send it back; printed, shipped and cancelled orders are
# past that (印刷済み goes back to 印刷待ち through a status change).
CONFIRMABLE = {S.NEW, S.ON_HOLD, S.AWAITING_STOCK, S.AWAITING_PAYMENT, S.SCHEDULED, S.READY}
# The statuses a bulk status change may move orders to. Shipped needs tracking numbers (tracking import),
# printed a picking batch (the picking list action); 引当待ち, 入金待ち and 印刷日待ち follow from facts.
BULK_STATUSES = [S.ON_HOLD, S.READY, S.CANCELLED]
MAX_ORDERS = 1000
CSV = "text/csv; charset=Shift_JIS"
PDF = "application/pdf"


class BulkRefused(Exception):
    """This order cannot take the action; the message says why, for a person."""


REFUSALS = (BulkRefused, EditRefused, IllegalStatusTransition)


def releasable_hold_codes() -> list[str]:
    """Hold codes a person may release (a fact hold — stock, SKU link, payment — clears by itself)."""
    from orders.holds import HOLD_CODES

    return [code for code in HOLD_CODES if code not in FACT_HOLDS]


def bulk_job_start(
    *, kind: str, user, order_ids: list[int] | None, params: dict | None = None, language: str = ""
) -> BulkJob:
    """Record the job and enqueue its task once the record is committed. `order_ids` None means every order
    the action applies to (only the label export of all waiting orders uses it).

    Raises BulkRefused, and records nothing, for the label export of all waiting orders when none waits for
    that carrier: the job would only end in an empty file. (Ticked orders get a job, which names the reason
    each one is left out.)"""
    params = params or {}
    if order_ids is not None:
        order_ids = sorted(set(order_ids))
        total = len(order_ids)
    elif kind == Kind.LABELS:
        total = label_orders(carrier=params["carrier"]).count()
        if not total:
            raise BulkRefused(
                _("No order is waiting for shipment with %(carrier)s.")
                % {"carrier": _carrier_name(params["carrier"])}
            )
    else:
        raise ValueError(f"{kind} needs the orders to act on")
    job = BulkJob.objects.create(
        kind=kind,
        params=params,
        order_ids=order_ids,
        total=total,
        created_by=user if getattr(user, "pk", None) else None,
        language=language,
    )
    from oms.tasks import bulk_job_run as task  # the task module imports this one

    transaction.on_commit(partial(task.delay, job.pk))
    return job


def bulk_job_run(*, job_id: int) -> BulkJob:
    """Run a job: each order's outcome is written to the job as it goes, so its page can show progress.

    A job that already finished is left as it is. A redelivered job (the worker died mid-way) runs again
    from the start: confirm, release and status changes are safe to repeat, and a picking job reuses the
    batch it made."""
    job = BulkJob.objects.get(pk=job_id)
    if job.finished:
        return job
    BulkJob.objects.filter(pk=job.pk).update(
        state=State.RUNNING, started_at=timezone.now(), done=0, errors=[], summary=""
    )
    job.refresh_from_db()
    actor = f"user:{job.created_by.get_username()}" if job.created_by else "system"
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            RUNNERS[job.kind](job, actor)
    except Exception as exc:
        BulkJob.objects.filter(pk=job.pk).update(
            state=State.FAILED, summary=str(exc)[:1000], finished_at=timezone.now()
        )
        raise
    job.refresh_from_db()
    return job


def _finish(
    job: BulkJob,
    *,
    summary: str,
    errors: list[dict],
    result: bytes | None = None,
    name: str = "",
    content_type: str = "",
) -> None:
    BulkJob.objects.filter(pk=job.pk).update(
        state=State.DONE,
        done=job.total,
        errors=errors,
        summary=summary,
        result=result,
        result_name=name if result else "",
        result_content_type=content_type if result else "",
        finished_at=timezone.now(),
    )


def _each_order(job: BulkJob, action: Callable[[Order], str | None]) -> None:
    """Apply `action` to each order in its own transaction, counting progress as it goes. The action returns
    a note about the order (kept like an error but not counted as one), or None."""
    orders = Order.objects.in_bulk(job.order_ids or [])
    errors: list[dict] = []
    notes: list[dict] = []
    for order_id in job.order_ids or []:
        order = orders.get(order_id)
        if order is None:
            errors.append({"order": f"#{order_id}", "message": _("The order no longer exists.")})
        else:
            try:
                with transaction.atomic():
                    note = action(order)
            except REFUSALS as refusal:
                errors.append({"order": order.external_id, "message": str(refusal)})
            else:
                if note:
                    notes.append({"order": order.external_id, "message": note, "note": True})
        BulkJob.objects.filter(pk=job.pk).update(done=F("done") + 1, errors=errors)
    applied = job.total - len(errors)
    _finish(
        job,
        summary=_("Applied to %(applied)d of %(total)d orders.") % {"applied": applied, "total": job.total},
        errors=errors + notes,
    )


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _confirm(actor: str, user, order: Order) -> str | None:
    """確認: a person checked the order; every hold they may release is released and the order moves on.
    Holds about facts (stock, SKU link, payment) stay; the note says what the order still waits for."""
    order = _locked(order)
    if order.status not in CONFIRMABLE:
        raise BulkRefused(
            _("Order %(order)s is %(status)s; only orders that are not printed yet can be confirmed.")
            % {"order": order.external_id, "status": order.get_status_display()}
        )
    for hold in order.holds.filter(resolved_at__isnull=True).exclude(code__in=FACT_HOLDS).order_by("pk"):
        order_hold_resolve(hold=hold, actor=actor, user=user)
    order = order_refresh_status(order=order, actor=actor)
    if order.status in {S.AWAITING_STOCK, S.AWAITING_PAYMENT}:
        return _("Still %(status)s.") % {"status": S(order.status).label}
    return None


def _release_hold(actor: str, user, code: str, order: Order) -> None:
    order = _locked(order)
    hold = order.holds.filter(code=code, resolved_at__isnull=True).first()
    if hold is None:
        raise BulkRefused(
            _("Order %(order)s has no active hold of this kind.") % {"order": order.external_id}
        )
    order_hold_resolve(hold=hold, actor=actor, user=user)
    order_refresh_status(order=order, actor=actor)


def _change_status(actor: str, to_status: str, order: Order) -> None:
    if to_status == S.CANCELLED:
        order_cancel(order=order, actor=actor, reason=_("Cancelled from the order list"))
        return
    order = _locked(order)
    if to_status == S.READY and order.holds.filter(resolved_at__isnull=True).exists():
        raise BulkRefused(
            _("Order %(order)s still has holds; release them before moving it to %(status)s.")
            % {"order": order.external_id, "status": S(to_status).label}
        )
    order_status_change(order=order, to_status=to_status, actor=actor, note=_("Bulk status change"))


def _run_confirm(job: BulkJob, actor: str) -> None:
    _each_order(job, partial(_confirm, actor, job.created_by))


def _run_release_hold(job: BulkJob, actor: str) -> None:
    _each_order(job, lambda order: _release_hold(actor, job.created_by, job.params["hold"], order))


def _run_status(job: BulkJob, actor: str) -> None:
    _each_order(job, lambda order: _change_status(actor, job.params["status"], order))


def _run_picking(job: BulkJob, actor: str) -> None:
    """One picking batch of the ticked orders that are 印刷待ち, and its picking list."""
    batch = (
        PickingBatch.objects.filter(pk=job.params.get("batch")).first() if job.params.get("batch") else None
    )
    if batch is None:
        try:
            batch = picking_batch_create(
                actor=actor, orders=Order.objects.filter(pk__in=job.order_ids or []), note=_("Order list")
            )
        except PickingRefused as refusal:
            _finish(job, summary=str(refusal), errors=[])
            return
        job.params = {**job.params, "batch": batch.pk}
        BulkJob.objects.filter(pk=job.pk).update(params=job.params)
    in_batch = set(batch.orders.values_list("pk", flat=True))
    BulkJob.objects.filter(pk=job.pk).update(done=len(in_batch))
    left_out = Order.objects.filter(pk__in=sorted(set(job.order_ids or []) - in_batch)).order_by("pk")
    errors = [
        {
            "order": order.external_id,
            "message": _("Not taken: %(status)s, not 印刷待ち.") % {"status": order.get_status_display()},
        }
        for order in left_out
    ]
    _finish(
        job,
        summary=_("Picking batch #%(batch)d with %(count)d orders.")
        % {"batch": batch.pk, "count": len(in_batch)},
        errors=errors,
        result=picking_list_pdf(batch),
        name=f"picking-list-{batch.pk}.pdf",
        content_type=PDF,
    )


def _run_labels(job: BulkJob, actor: str) -> None:
    """The carrier's label CSV of the ticked orders (or every waiting order); orders with a problem stay out
    of the file and are listed with it."""
    carrier = job.params["carrier"]
    export = labels_export(carrier=carrier, actor=actor, order_ids=job.order_ids)
    errors = [
        {"order": report.external_id, "message": " / ".join(report.problems)} for report in export.skipped
    ]
    _finish(
        job,
        summary=_("%(labels)d labels for %(orders)d orders.")
        % {"labels": export.label_count, "orders": len(export.exported)},
        errors=errors,
        result=export.content if export.exported else None,
        name=f"labels-{carrier}-{timezone.localdate():%Y%m%d}-{job.pk}.csv",
        content_type=CSV,
    )


def _carrier_name(code: str) -> str:
    return str(Carrier.Code(code).label) if code in Carrier.Code.values else code


RUNNERS: dict[str, Callable[[BulkJob, str], None]] = {
    Kind.CONFIRM: _run_confirm,
    Kind.RELEASE_HOLD: _run_release_hold,
    Kind.STATUS: _run_status,
    Kind.PICKING: _run_picking,
    Kind.LABELS: _run_labels,
}
