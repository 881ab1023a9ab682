"""The order list: filters, one search box, sortable columns, 50 orders a page."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from oms.dashboard import selectors
from oms.dashboard.forms import OrderFilterForm
from oms.dashboard.labels import hold_label
from oms.dashboard.views_bulk import bulk_context
from oms.dashboard.views_home import STATUS_POLL_SECONDS
from oms.roles import capability_required

PAGE_SIZE = 50

# Column headers: (sort key, or "" when the column is not sortable; label).
COLUMNS = [
    ("external_id", _("Order number")),
    ("channel", _("Shop")),
    ("ordered_at", _("Ordered at")),
    ("buyer", _("Buyer")),
    ("", _("Ship to")),
    ("total", _("Total")),
    ("delivery_date", _("Delivery wish")),
    ("status", _("Status")),
    ("", _("Holds")),
    ("", _("Shipment")),
]


def _querystring(params, **changes) -> str:
    query = params.copy()
    for name, value in changes.items():
        if value in (None, ""):
            query.pop(name, None)
        else:
            query[name] = value
    return query.urlencode()


def _columns(request, current_sort: str) -> list[dict]:
    columns = []
    for key, label in COLUMNS:
        column = {"key": key, "label": label, "direction": ""}
        if key:
            if current_sort.lstrip("-") == key:
                column["direction"] = "desc" if current_sort.startswith("-") else "asc"
            # A click on the sorted column flips it; other columns start descending (newest, largest first).
            flipped = key if current_sort == f"-{key}" else f"-{key}"
            column["query"] = _querystring(request.GET, sort=flipped, page=None)
        columns.append(column)
    return columns


@require_GET
@capability_required("orders_view")
def order_list(request):
    form = OrderFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else selectors.OrderFilters()
    paginator = Paginator(selectors.order_list(filters=filters), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    orders = list(page.object_list)
    for order in orders:
        for hold in order.active_holds:
            hold.label = hold_label(hold.code)
        for shipment in order.shipments.all():
            shipment.tracking_link = shipment.carrier.tracking_url(shipment.tracking_number)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "orders": orders,
        # The bulk actions this user may run; with none, the list has no checkboxes.
        **bulk_context(request),
        "columns": _columns(request, filters.sort),
        "tabs": selectors.status_tabs(),
        "current_status": filters.status,
        "poll_seconds": STATUS_POLL_SECONDS,
        "page_query": _querystring(request.GET, page=None),
        "status_query": _querystring(request.GET, status=None, page=None),
    }
    return render(request, "dashboard/order_list.html", context)
