"""The warehouse's pages: picking batches and their PDFs, label export, 検品 scanning, tracking import.

Each page only parses, calls one shipping service and renders; refusals (PickingRefused, InspectionRefused,
the tracking file's line errors) are shown to the person in the services' own Japanese words.
"""

import unicodedata

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oms.dashboard import selectors, selectors_fulfilment
from oms.dashboard.bulk import BulkRefused, bulk_job_start
from oms.dashboard.forms_fulfilment import LabelExportForm, PickingForm, ScanForm, TrackingUploadForm
from oms.dashboard.kept_files import upload_forget, upload_get, upload_keep
from oms.models import BulkJob
from oms.roles import capability_required
from orders.models import Order, OrderStatus
from shipping.inspection import (
    InspectionRefused,
    Outcome,
    inspection_lines,
    inspection_reset,
    inspection_scan,
)
from shipping.models import PickingBatch
from shipping.pdf.packing_slip import packing_slip_pdf
from shipping.pdf.picking_list import picking_list_pdf
from shipping.picking import PickingRefused, picking_batch_create
from shipping.tracking import tracking_import

TRACKING_UPLOAD = "tracking"


def _actor(request) -> str:
    return f"user:{request.user.get_username()}"


def _refuse(request, form) -> HttpResponse:
    """An invalid form of the fulfilment page: its errors as messages, back to the page."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("dashboard:fulfilment")


@require_GET
@capability_required("fulfilment")
def fulfilment(request):
    batches = list(selectors_fulfilment.recent_batches())
    label_exports = list(selectors_fulfilment.recent_label_exports())
    names = selectors.actor_names(actors={row.actor for row in [*batches, *label_exports]})
    for row in [*batches, *label_exports]:
        row.actor_name = names[row.actor]
    context = {
        "queues": selectors_fulfilment.carrier_queues(),
        "batches": batches,
        "label_exports": label_exports,
        "picking_form": PickingForm(),
        # Both forms have a carrier field: the second one's ids get a prefix so the page's ids stay unique
        # (its field names, which the POST reads, do not change).
        "labels_form": LabelExportForm(auto_id="id_labels_%s"),
        "new_batch": request.GET.get("batch", ""),
    }
    return render(request, "dashboard/fulfilment/index.html", context)


@require_POST
@capability_required("fulfilment")
def picking_create(request):
    """A picking batch of the 印刷待ち orders that match the filters; its PDFs are offered on the page."""
    form = PickingForm(request.POST)
    if not form.is_valid():
        return _refuse(request, form)
    data = form.cleaned_data
    try:
        batch = picking_batch_create(
            actor=_actor(request),
            channel=data["channel"],
            carrier=data["carrier"] or None,
            delivery_date=data["delivery_date"],
            note=data["note"],
        )
    except PickingRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("dashboard:fulfilment")
    messages.success(
        request,
        _("Picking batch #%(batch)d was created with %(count)d orders; they are now 印刷済み.")
        % {"batch": batch.pk, "count": batch.orders.count()},
    )
    return redirect(f"{reverse('dashboard:fulfilment')}?batch={batch.pk}#batches")


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@capability_required("fulfilment")
def picking_list_download(request, batch_pk: int):
    batch = get_object_or_404(PickingBatch, pk=batch_pk)
    return _pdf(picking_list_pdf(batch), f"picking-list-{batch.pk}.pdf")


@require_GET
@capability_required("fulfilment")
def packing_slips_download(request, batch_pk: int):
    """納品書 of the batch's orders that were not cancelled since, in order number order."""
    batch = get_object_or_404(PickingBatch, pk=batch_pk)
    orders = batch.orders.exclude(status=OrderStatus.CANCELLED).order_by("external_id", "pk")
    return _pdf(packing_slip_pdf(orders), f"packing-slips-{batch.pk}.pdf")


@require_POST
@capability_required("fulfilment")
def labels_export_start(request):
    """The label CSV of every order waiting for shipment with the carrier, made by a bulk job (its page lists
    the orders left out and why)."""
    form = LabelExportForm(request.POST)
    if not form.is_valid():
        return _refuse(request, form)
    try:
        job = bulk_job_start(
            kind=BulkJob.Kind.LABELS,
            user=request.user,
            order_ids=None,
            params={"carrier": form.cleaned_data["carrier"]},
            language=get_language() or "",
        )
    except BulkRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("dashboard:fulfilment")
    return redirect("dashboard:bulk_job", job_pk=job.pk)


# --- 検品 -------------------------------------------------------------------------------------------

OK_OUTCOMES = {Outcome.STARTED, Outcome.ALREADY_VERIFIED, Outcome.COUNTED, Outcome.COMPLETED}


def _order_by_number(code: str) -> tuple[Order | None, str]:
    """The order a scanned slip barcode names, or why none."""
    number = unicodedata.normalize("NFKC", code).strip()
    found = list(Order.objects.filter(external_id=number).order_by("pk")[:2])
    if len(found) > 1:
        return None, _("Two shops have an order %(number)s; inspect it from its order slip.") % {
            "number": number
        }
    return (found[0], "") if found else (None, "")


def _scan(request, form: ScanForm, actor: str) -> tuple[Order | None, object, str]:
    """(order being inspected, ScanResult or None, error message) after one scan."""
    code = form.cleaned_data["code"]
    current = (
        Order.objects.filter(pk=form.cleaned_data.get("order")).first()
        if form.cleaned_data.get("order")
        else None
    )
    named, ambiguous = _order_by_number(code)
    if ambiguous:
        return current, None, ambiguous
    in_progress = current is not None and current.verified_at is None and named != current
    if named is not None and not in_progress:
        order = named
    elif current is not None and current.verified_at is None:
        order = current
    elif current is not None:
        return current, None, _("This order is inspected. Scan the next order's slip barcode.")
    else:
        return (
            None,
            None,
            _("No order has the number %(code)s. Scan the order barcode on the packing slip first.")
            % {"code": code},
        )
    try:
        return order, inspection_scan(order=order, code=code, actor=actor), ""
    except InspectionRefused as refusal:
        return None, None, str(refusal)


@require_http_methods(["GET", "POST"])
@capability_required("fulfilment")
def inspection(request):
    """検品: scan the packing slip's order barcode, then each unit's JAN; the page shows what is left.

    Works with a keyboard-wedge scanner (it types the code and Enter into the focused field) and without
    JavaScript; with htmx only the scan panel is swapped."""
    order, result, error = None, None, ""
    if request.method == "POST" and request.POST.get("reset"):
        order = get_object_or_404(Order, pk=request.POST.get("order") or 0)
        try:
            order = inspection_reset(order=order, actor=_actor(request))
        except InspectionRefused as refusal:
            error = str(refusal)
        form = ScanForm(initial={"order": order.pk})
    elif request.method == "POST":
        form = ScanForm(request.POST)
        if form.is_valid():
            order, result, error = _scan(request, form, _actor(request))
        form = ScanForm(initial={"order": order.pk if order else None})
    else:
        form = ScanForm()
    lines = result.lines if result else (inspection_lines(order) if order else ())
    context = {
        "form": form,
        "order": order,
        "result": result,
        "ok": result is not None and result.outcome in OK_OUTCOMES,
        "error": error,
        "lines": lines,
        "scanned": sum(line.units_scanned for line in lines),
        "needed": sum(line.units_needed for line in lines),
        "now": timezone.now(),
    }
    return render(request, "dashboard/fulfilment/inspection.html", context)


# --- tracking import --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@capability_required("fulfilment")
def tracking(request):
    """問い合わせ番号の取込: upload the carrier's issued-data file. A clean file is applied at once; a file
    with bad rows applies nothing and lists them by line, with a button to apply the good rows anyway."""
    form = TrackingUploadForm()
    result, token, carrier = None, "", ""
    if request.method == "POST" and request.POST.get("apply_good_rows"):
        kept = upload_get(request, kind=TRACKING_UPLOAD, token=request.POST.get("token", ""))
        if kept is None:
            messages.error(request, _("The uploaded file is gone; upload it again."))
            return redirect("dashboard:tracking")
        content, meta = kept
        carrier = meta["carrier"]
        result = tracking_import(
            carrier=carrier, content=content, actor=_actor(request), apply_good_rows=True
        )
        upload_forget(request, kind=TRACKING_UPLOAD)
    elif request.method == "POST":
        form = TrackingUploadForm(request.POST, request.FILES)
        if form.is_valid():
            carrier = form.cleaned_data["carrier"]
            content = form.cleaned_data["file"].read()
            result = tracking_import(carrier=carrier, content=content, actor=_actor(request))
            if not result.applied:
                token = upload_keep(
                    request,
                    kind=TRACKING_UPLOAD,
                    content=content,
                    carrier=carrier,
                    name=form.cleaned_data["file"].name,
                )
            form = TrackingUploadForm(initial={"carrier": carrier})
    good_rows = result.rows - len({error.line for error in result.errors if error.line}) if result else 0
    context = {
        "form": form,
        "result": result,
        "token": token,
        "good_rows": good_rows,
        "file_error": result is not None and any(not error.line for error in result.errors),
    }
    return render(request, "dashboard/fulfilment/tracking.html", context)
