"""The order slip (受注伝票): everything about one order, inline edits, holds, payment, merge and split.

Edits go through orders.editing / orders.services; a refusal (EditRefused, IllegalStatusTransition) is shown
to the person as a message. Actions answer with a redirect back to the slip (POST/redirect/GET); the inline
edit forms are htmx fragments that reload the slip once saved.
"""

import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inventory.selectors import sku_free_stock
from notifications.inquiry_selectors import inquiry_threads_for_order
from oms.dashboard import selectors
from oms.dashboard.forms import PREFECTURES, ContactForm, MergeForm, ShipToForm, SplitForm, WishesForm
from oms.dashboard.forms_inbox import status_label
from oms.dashboard.labels import EVENT_LABELS, hold_label
from oms.roles import capability_required
from orders.editing import (
    EditRefused,
    hold_apply_suggestion,
    order_mark_paid,
    order_split,
    order_split_unallocated,
    order_update,
    orders_merge,
    ship_to_update,
)
from orders.intake import HoldReleaseRefused, order_hold_release
from orders.models import Hold, Order, OrderStatus, PaymentMethod, ShipTo
from orders.services import IllegalStatusTransition
from shipping.labels.history import order_timeline

PREPAID = {PaymentMethod.BANK_TRANSFER, PaymentMethod.CONVENIENCE_STORE}
REFUSALS = (EditRefused, IllegalStatusTransition, HoldReleaseRefused)


def _actor(request) -> str:
    return f"user:{request.user.get_username()}"


def _slip_url(order_pk: int) -> str:
    return reverse("dashboard:order_slip", args=[order_pk])


def _suggestion_rows(hold: Hold, ship_tos: dict[int, ShipTo], order: Order) -> list[tuple[str, str, str]]:
    """(field label, current value, suggested value) for a hold's one-click fix."""
    if not hold.suggestion:
        return []
    target = ship_tos.get(hold.suggestion.get("ship_to")) if hold.suggestion.get("ship_to") else order
    model = type(target) if target is not None else Order
    rows = []
    for name, value in hold.suggestion.items():
        if name == "ship_to":
            continue
        label = str(model._meta.get_field(name).verbose_name)
        current = getattr(target, name, "") if target is not None else ""
        rows.append((label, "" if current is None else str(current), str(value)))
    return rows


def _readable(values):
    """An event's before/after values with status codes shown as their labels (新規受付, …)."""
    if isinstance(values, dict) and values.get("status") in OrderStatus.values:
        return {**values, "status": OrderStatus(values["status"]).label}
    return values


def _slip_context(request, order: Order) -> dict:
    lines = list(order.lines.all())
    ship_tos = {ship_to.pk: ship_to for ship_to in order.ship_tos.all()}
    holds = list(order.holds.all())
    active = [hold for hold in holds if hold.is_active]
    for hold in holds:
        hold.suggestion_rows = _suggestion_rows(hold, ship_tos, order)
        hold.label = hold_label(hold.code)
    free = sku_free_stock(sku_ids={line.sku_id for line in lines if line.sku_id})
    for line in lines:
        line.free_stock = free.get(line.sku_id) if line.sku_id else None
    events = order_timeline(order, order.events.all(), newest_first=True)
    for event in events:
        event.label = EVENT_LABELS.get(event.kind, event.kind)
        event.before, event.after = _readable(event.before), _readable(event.after)
    candidates = selectors.merge_candidates(order=order) if request.can["orders_edit"] else []
    open_order = order.status in selectors.OPEN_STATUSES
    return {
        "order": order,
        "lines": lines,
        "ship_tos": list(ship_tos.values()),
        "active_holds": active,
        "resolved_holds": [hold for hold in holds if not hold.is_active],
        "mails": list(order.mails.all()) if request.can["mails_view"] else [],
        "inquiry_threads": _inquiry_threads(order) if request.can["inquiries"] else [],
        "shipments": list(order.shipments.all()),
        "events": events,
        "raw_payload": json.dumps(order.raw_payload, ensure_ascii=False, indent=2, sort_keys=True),
        "merge_form": MergeForm(candidates=candidates) if candidates else None,
        "split_form": SplitForm(lines=lines)
        if open_order and sum(line.quantity for line in lines) > 1
        else None,
        "can_split_unallocated": open_order
        and any(line.allocated_quantity < line.quantity for line in lines),
        "editable": open_order,
        "awaiting_payment": order.paid_at is None
        and (order.payment_method in PREPAID or any(hold.code == "payment_pending" for hold in active)),
    }


def _inquiry_threads(order: Order) -> list:
    """The buyer's questions about this order (問い合わせ), for those who may see the inbox."""
    threads = list(inquiry_threads_for_order(order=order))
    for thread in threads:
        thread.status_label = status_label(thread.status)
    return threads


def _load_order(pk: int) -> Order:
    try:
        return selectors.order_slip(pk=pk)
    except Order.DoesNotExist:
        raise Http404 from None


@require_GET
@capability_required("orders_view")
def order_slip(request, pk: int):
    order = _load_order(pk)
    return render(request, "dashboard/order_slip.html", _slip_context(request, order))


# --- inline edits (htmx fragments, plain pages without JavaScript) ---------------------------------


def _edit(request, *, order: Order, form, template: str, save, context: dict):
    """Show the form (GET), or validate it and call `save(changes)` (POST). A refusal from the service
    becomes a form error; success reloads the slip with a message."""
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, _("Nothing was changed."))
            return _back_to_slip(request, order.pk)
        try:
            save(changes)
        except EditRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Saved. The order's checks ran again."))
            return _back_to_slip(request, order.pk)
    is_htmx = bool(request.headers.get("HX-Request"))
    context = {
        **context,
        "order": order,
        "form": form,
        "base_template": "dashboard/_fragment.html" if is_htmx else "dashboard/base.html",
    }
    return render(request, template, context)


def _back_to_slip(request, order_pk: int) -> HttpResponse:
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = _slip_url(order_pk)
        return response
    return redirect(_slip_url(order_pk))


@require_http_methods(["GET", "POST"])
@capability_required("orders_edit")
def ship_to_edit(request, pk: int, ship_to_pk: int):
    ship_to = get_object_or_404(ShipTo.objects.select_related("order"), pk=ship_to_pk, order_id=pk)
    form = ShipToForm(request.POST or None, instance=ship_to)
    return _edit(
        request,
        order=ship_to.order,
        form=form,
        template="dashboard/slip/ship_to_form.html",
        save=lambda changes: ship_to_update(ship_to=ship_to, changes=changes, actor=_actor(request)),
        context={"ship_to": ship_to, "prefectures": PREFECTURES},
    )


def _order_edit(request, pk: int, form_class, template: str):
    order = get_object_or_404(Order, pk=pk)
    form = form_class(request.POST or None, instance=order)
    return _edit(
        request,
        order=order,
        form=form,
        template=template,
        save=lambda changes: order_update(order=order, changes=changes, actor=_actor(request)),
        context={},
    )


@require_http_methods(["GET", "POST"])
@capability_required("orders_edit")
def wishes_edit(request, pk: int):
    return _order_edit(request, pk, WishesForm, "dashboard/slip/wishes_form.html")


@require_http_methods(["GET", "POST"])
@capability_required("orders_edit")
def contact_edit(request, pk: int):
    return _order_edit(request, pk, ContactForm, "dashboard/slip/contact_form.html")


# --- actions (POST, then back to the slip) --------------------------------------------------------


def _run(request, order_pk: int, action, success: str):
    try:
        action()
    except REFUSALS as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, success)
    return redirect(_slip_url(order_pk))


@require_POST
@capability_required("holds_release")
def hold_release(request, pk: int, hold_pk: int):
    """A person accepts the order as it is: the hold is released and the order moves on if nothing else
    holds it. A hold about a fact (a line without a SKU, stock, payment) is checked again instead, and its
    refusal is shown as a message (orders.intake.order_hold_release)."""
    hold = get_object_or_404(Hold.objects.select_related("order"), pk=hold_pk, order_id=pk)
    return _run(
        request,
        pk,
        lambda: order_hold_release(hold=hold, actor=_actor(request), user=request.user),
        _("The hold was released."),
    )


@require_POST
@capability_required("orders_edit")
def hold_fix(request, pk: int, hold_pk: int):
    """The one-click fix: write the check's suggested values; the checks run again."""
    hold = get_object_or_404(Hold.objects.select_related("order"), pk=hold_pk, order_id=pk)
    return _run(
        request,
        pk,
        lambda: hold_apply_suggestion(hold=hold, actor=_actor(request)),
        _("The suggested values were written and the order checked again."),
    )


@require_POST
@capability_required("orders_edit")
def mark_paid(request, pk: int):
    order = get_object_or_404(Order, pk=pk)
    return _run(
        request, pk, lambda: order_mark_paid(order=order, actor=_actor(request)), _("Payment confirmed.")
    )


@require_POST
@capability_required("orders_edit")
def merge(request, pk: int):
    order = get_object_or_404(Order, pk=pk)
    form = MergeForm(request.POST, candidates=selectors.merge_candidates(order=order))
    if not form.is_valid():
        for error in form.errors.get("others", []):
            messages.error(request, error)
        return redirect(_slip_url(pk))
    others = list(form.cleaned_data["others"])
    return _run(
        request,
        pk,
        lambda: orders_merge(target=order, others=others, actor=_actor(request)),
        _("Merged %(count)d order(s) into this one.") % {"count": len(others)},
    )


@require_POST
@capability_required("orders_edit")
def split(request, pk: int):
    order = get_object_or_404(Order, pk=pk)
    form = SplitForm(request.POST, lines=order.lines.order_by("pk"))
    if not form.is_valid():
        for field_errors in form.errors.values():
            for error in field_errors:
                messages.error(request, error)
        return redirect(_slip_url(pk))
    try:
        new = order_split(order=order, quantities=form.quantities(), actor=_actor(request))
    except REFUSALS as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Split: order %(number)s was created.") % {"number": new.external_id})
    return redirect(_slip_url(pk))


@require_POST
@capability_required("orders_edit")
def split_unallocated(request, pk: int):
    """未引当分を分割: what free stock covers stays, the rest moves to a new order."""
    order = get_object_or_404(Order, pk=pk)
    return _run(
        request,
        pk,
        lambda: order_split_unallocated(order=order, actor=_actor(request)),
        _("The unallocated part was moved to a new order."),
    )
