"""The quarantine page: order payloads a shop sent that could not be imported, with the error, and a retry
(after a fix: a listing added, a SKU linked) that imports them again through channels.sync.quarantine_retry."""

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from channels.models import QuarantinedPayload
from channels.sync import quarantine_retry
from oms.roles import capability_required

PAGE_SIZE = 25


@require_GET
@capability_required("quarantine")
def quarantine(request):
    resolved = request.GET.get("show") == "resolved"
    rows = QuarantinedPayload.objects.select_related("channel").filter(resolved_at__isnull=not resolved)
    page = Paginator(rows.order_by("-updated_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    payloads = list(page.object_list)
    for row in payloads:
        row.payload_text = json.dumps(row.payload, ensure_ascii=False, indent=2, sort_keys=True)
    context = {
        "page": page,
        "payloads": payloads,
        "resolved": resolved,
        "page_query": "show=resolved" if resolved else "",
        "open_count": QuarantinedPayload.objects.filter(resolved_at__isnull=True).count(),
    }
    return render(request, "dashboard/quarantine.html", context)


@require_POST
@capability_required("quarantine")
def quarantine_retry_view(request, row_pk: int):
    row = get_object_or_404(QuarantinedPayload.objects.select_related("channel"), pk=row_pk)
    if row.resolved_at is not None:
        messages.info(request, _("Order %(number)s was imported already.") % {"number": row.external_id})
    elif quarantine_retry(row=row):
        messages.success(request, _("Order %(number)s was imported.") % {"number": row.external_id})
    else:
        row.refresh_from_db()
        messages.error(
            request,
            _("Order %(number)s still cannot be imported: %(error)s")
            % {"number": row.external_id, "error": row.error},
        )
    return redirect(reverse("dashboard:quarantine"))
