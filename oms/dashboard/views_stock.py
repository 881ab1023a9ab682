"""The stock page: per SKU on hand, allocated and free, each shop's last pushed quantity and drift; stock
adjustments with a reason; the stock count CSV import with a preview.

Everyone with the order list may look; only the warehouse (and administrators) change stock.
"""

import unicodedata

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels.models import Channel
from inventory.services import StockError, stock_adjust
from oms.dashboard import selectors_stock
from oms.dashboard.forms_fulfilment import UploadForm
from oms.dashboard.forms_stock import StockAdjustForm, StockSearchForm
from oms.dashboard.kept_files import upload_forget, upload_get, upload_keep
from oms.dashboard.stock_counts import stock_count_file_read, stock_counts_apply
from oms.roles import capability_required

PAGE_SIZE = 50
COUNT_UPLOAD = "stock_counts"


def _actor(request) -> str:
    return f"user:{request.user.get_username()}"


@require_GET
@capability_required("stock_view")
def stock(request):
    search = StockSearchForm(request.GET or None)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    page = Paginator(selectors_stock.stock_skus(q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    channels = list(Channel.objects.order_by("name"))
    context = {
        "search": search,
        "page": page,
        "page_query": urlencode({"q": q}) if q else "",
        "channels": channels,
        "rows": selectors_stock.stock_rows(skus=list(page.object_list), channels=channels),
        "adjust_form": StockAdjustForm(initial={"sku": request.GET.get("sku", "")}),
    }
    return render(request, "dashboard/stock/index.html", context)


@require_POST
@capability_required("stock_adjust")
def stock_adjust_view(request):
    """Add or remove units with a reason; a change that would take stock below zero or below what orders
    hold is refused with the service's message."""
    data = request.POST.copy()
    # A code typed in full width (ＴＳＨＩＲＴ－ＢＬＫ－Ｓ, as a Japanese IME leaves it) is the SKU's code, as in
    # the stock count CSV (stock_counts): fold it to half width before the form looks it up.
    data["sku"] = unicodedata.normalize("NFKC", data.get("sku", ""))
    form = StockAdjustForm(data)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(f"{reverse('dashboard:stock')}?{urlencode({'sku': data['sku']})}")
    data = form.cleaned_data
    sku = data["sku"]
    try:
        level = stock_adjust(
            sku=sku, delta=data["delta"], actor=_actor(request), reason=data["reason"], note=data["note"]
        )
    except StockError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("%(sku)s: %(delta)+d. On hand is now %(on_hand)d.")
            % {"sku": sku.code, "delta": data["delta"], "on_hand": level.on_hand},
        )
    return redirect(f"{reverse('dashboard:stock')}?{urlencode({'q': sku.code})}")


@require_http_methods(["GET", "POST"])
@capability_required("stock_adjust")
def stock_import(request):
    """棚卸 CSV: upload shows a preview (current and counted numbers, every problem by line); "apply" sets
    all the counts in one transaction, only when no line has a problem."""
    form = UploadForm()
    preview, token, name = None, "", ""
    if request.method == "POST" and request.POST.get("apply"):
        kept = upload_get(request, kind=COUNT_UPLOAD, token=request.POST.get("token", ""))
        if kept is None:
            messages.error(request, _("The uploaded file is gone; upload it again."))
            return redirect("dashboard:stock_import")
        content, meta = kept
        name = meta.get("name", "")
        preview = stock_count_file_read(content=content)  # again: stock may have moved since the preview
        if not preview.errors:
            preview.errors = stock_counts_apply(
                preview=preview,
                actor=_actor(request),
                reference=_("stock count file %(name)s") % {"name": name},
            )
        if not preview.errors:
            upload_forget(request, kind=COUNT_UPLOAD)
            messages.success(
                request,
                _("Stock counts applied: %(changes)d of %(rows)d SKUs changed.")
                % {"changes": preview.changes, "rows": len(preview.rows)},
            )
            return redirect("dashboard:stock")
        token = request.POST.get("token", "")
    elif request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            content = form.cleaned_data["file"].read()
            name = form.cleaned_data["file"].name
            preview = stock_count_file_read(content=content)
            token = upload_keep(request, kind=COUNT_UPLOAD, content=content, name=name)
            form = UploadForm()
    context = {"form": form, "preview": preview, "token": token, "name": name}
    return render(request, "dashboard/stock/import.html", context)
