"""Bulk actions on the order list: start a job for the ticked orders, follow its progress, download its file.

Each action has its own URL and capability (confirm, release and status: operator; picking list and labels:
warehouse), so the role walk in tests/dashboard/test_access.py checks each one. The job runs in a Celery
task (oms.tasks.bulk_job_run); its page polls the BulkJob row with htmx until it is done.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_POST

from oms.dashboard.bulk import bulk_job_start
from oms.dashboard.forms_bulk import BulkForm, BulkLabelsForm, BulkReleaseForm, BulkStatusForm, bulk_choices
from oms.dashboard.labels import hold_label
from oms.models import BulkJob
from oms.roles import ADMINISTRATOR, OPERATOR, WAREHOUSE, capability_required, role_required
from orders.models import OrderStatus
from shipping.models import Carrier

Kind = BulkJob.Kind
# How often the job page asks for progress, in seconds.
PROGRESS_POLL_SECONDS = 1

# The order list's bulk bar: (template, capability), shown to the roles that have the capability.
ACTIONS = [
    ("dashboard/bulk/confirm.html", "holds_release"),
    ("dashboard/bulk/release_hold.html", "holds_release"),
    ("dashboard/bulk/status.html", "orders_edit"),
    ("dashboard/bulk/picking.html", "fulfilment"),
    ("dashboard/bulk/labels.html", "fulfilment"),
]
# Whoever may start some bulk action may follow any job (and download its file).
job_viewers = role_required(ADMINISTRATOR, OPERATOR, WAREHOUSE)


def bulk_context(request) -> dict:
    """The order list's bulk bar: the actions this user may run, and the choices their selects offer."""
    actions = [{"template": template} for template, capability in ACTIONS if request.can[capability]]
    return {"bulk_actions": actions, "bulk_choices": bulk_choices() if actions else {}}


def _back(request) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) and target.startswith("/"):
        return target
    return reverse("dashboard:order_list")


def _start(request, kind: str, form_class):
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back(request))
    job = bulk_job_start(
        kind=kind,
        user=request.user,
        order_ids=form.cleaned_data["orders"],
        params=form.params(),
        language=get_language() or "",
    )
    return redirect("dashboard:bulk_job", job_pk=job.pk)


@require_POST
@capability_required("holds_release")
def bulk_confirm(request):
    """確認: release every hold a person may release on the ticked orders and move them on."""
    return _start(request, Kind.CONFIRM, BulkForm)


@require_POST
@capability_required("holds_release")
def bulk_release(request):
    return _start(request, Kind.RELEASE_HOLD, BulkReleaseForm)


@require_POST
@capability_required("orders_edit")
def bulk_status(request):
    return _start(request, Kind.STATUS, BulkStatusForm)


@require_POST
@capability_required("fulfilment")
def bulk_picking(request):
    return _start(request, Kind.PICKING, BulkForm)


@require_POST
@capability_required("fulfilment")
def bulk_labels(request):
    return _start(request, Kind.LABELS, BulkLabelsForm)


def _detail(job: BulkJob) -> str:
    """What the job was asked to do besides its kind: the hold, the new status, the carrier."""
    if job.params.get("hold"):
        return str(hold_label(job.params["hold"]))
    if job.params.get("status") in OrderStatus.values:
        return f"→ {OrderStatus(job.params['status']).label}"
    if job.params.get("carrier") in Carrier.Code.values:
        return str(Carrier.Code(job.params["carrier"]).label)
    return ""


def _job_context(job: BulkJob) -> dict:
    problems = [item for item in job.errors if not item.get("note")]
    return {
        "job": job,
        "detail": _detail(job),
        "problems": problems,
        "notes": [item for item in job.errors if item.get("note")],
        "applied": max(job.done - len(problems), 0),
        "poll_seconds": PROGRESS_POLL_SECONDS,
    }


def _load_job(job_pk: int) -> BulkJob:
    return get_object_or_404(BulkJob.objects.defer("result").select_related("created_by"), pk=job_pk)


@require_GET
@job_viewers
def bulk_job(request, job_pk: int):
    return render(request, "dashboard/bulk/job.html", _job_context(_load_job(job_pk)))


@require_GET
@job_viewers
def bulk_job_progress(request, job_pk: int):
    """The progress bar alone, for htmx polling; once the job is done it stops polling and offers the file."""
    return render(request, "dashboard/bulk/_progress.html", _job_context(_load_job(job_pk)))


@require_GET
@job_viewers
def bulk_job_download(request, job_pk: int):
    job = get_object_or_404(BulkJob, pk=job_pk)
    if not job.result:
        raise Http404
    response = HttpResponse(
        bytes(job.result), content_type=job.result_content_type or "application/octet-stream"
    )
    response["Content-Disposition"] = f'attachment; filename="{job.result_name}"'
    return response
