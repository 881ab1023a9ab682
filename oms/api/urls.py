"""Routes under /api/v1/. Path converters only match well-formed ids and codes; anything else is a JSON 404."""

from django.urls import path, re_path, register_converter
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api import catalog, channels, inquiries, orders, shipments, stock, webhooks


class IdConverter:
    """A database id: at most 18 digits, so it always fits a 64-bit column."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


class CodeConverter:
    """A product or SKU code (inventory.models.sku_code_validator)."""

    regex = "[A-Za-z0-9][A-Za-z0-9_-]{0,63}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


@extend_schema(exclude=True)
class NotFoundView(APIView):
    """Any other path under /api/v1/: a JSON 404 in the same shape, not Django's HTML page."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []

    def get(self, request, *args, **kwargs):
        return self._not_found()

    post = put = patch = delete = get

    def _not_found(self):
        body = {"code": "not_found", "message": _("No such API endpoint."), "field": None, "details": []}
        return Response({"error": body}, status=status.HTTP_404_NOT_FOUND)


register_converter(IdConverter, "id")
register_converter(CodeConverter, "code")

app_name = "api"
urlpatterns = [
    path("orders/", orders.OrderListApi.as_view(), name="order-list"),
    path("orders/<id:order_id>/", orders.OrderDetailApi.as_view(), name="order-detail"),
    path(
        "orders/<id:order_id>/holds/<slug:code>/release/",
        orders.OrderHoldReleaseApi.as_view(),
        name="order-hold-release",
    ),
    path("orders/<id:order_id>/status/", orders.OrderStatusChangeApi.as_view(), name="order-status"),
    path("orders/<id:order_id>/cancel/", orders.OrderCancelApi.as_view(), name="order-cancel"),
    path("orders/<id:order_id>/mark-paid/", orders.OrderMarkPaidApi.as_view(), name="order-mark-paid"),
    path("stock/", stock.StockListApi.as_view(), name="stock-list"),
    path("stock/counts/", stock.StockCountsApi.as_view(), name="stock-counts"),
    path("stock/<code:sku>/", stock.StockDetailApi.as_view(), name="stock-detail"),
    path("stock/<code:sku>/adjust/", stock.StockAdjustApi.as_view(), name="stock-adjust"),
    path("products/", catalog.ProductListApi.as_view(), name="product-list"),
    path("products/<code:code>/", catalog.ProductDetailApi.as_view(), name="product-detail"),
    path("skus/", catalog.SKUListApi.as_view(), name="sku-list"),
    path("skus/<code:code>/", catalog.SKUDetailApi.as_view(), name="sku-detail"),
    path("channels/", channels.ChannelListApi.as_view(), name="channel-list"),
    path("channels/<slug:name>/", channels.ChannelDetailApi.as_view(), name="channel-detail"),
    path("shipments/ready/", shipments.ShipmentReadyListApi.as_view(), name="shipment-ready"),
    path("shipments/claim/", shipments.ShipmentClaimApi.as_view(), name="shipment-claim"),
    path("shipments/release/", shipments.ShipmentReleaseApi.as_view(), name="shipment-release"),
    path(
        "orders/<id:order_id>/shipments/", shipments.OrderShipmentCreateApi.as_view(), name="order-shipments"
    ),
    path("webhooks/", webhooks.WebhookListApi.as_view(), name="webhook-list"),
    path("webhooks/<id:subscription_id>/", webhooks.WebhookDetailApi.as_view(), name="webhook-detail"),
    path(
        "webhooks/<id:subscription_id>/rotate-secret/",
        webhooks.WebhookRotateSecretApi.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "webhooks/<id:subscription_id>/deliveries/",
        webhooks.WebhookDeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/<id:subscription_id>/deliveries/<id:delivery_id>/redeliver/",
        webhooks.WebhookRedeliverApi.as_view(),
        name="webhook-redeliver",
    ),
    path("inquiries/", inquiries.InquiryListApi.as_view(), name="inquiry-list"),
    path("inquiries/<id:thread_id>/", inquiries.InquiryDetailApi.as_view(), name="inquiry-detail"),
    path("inquiries/<id:thread_id>/reply/", inquiries.InquiryReplyApi.as_view(), name="inquiry-reply"),
    path("inquiries/<id:thread_id>/close/", inquiries.InquiryCloseApi.as_view(), name="inquiry-close"),
    # Keep last: routes added above it (shipments, webhooks) answer; any other path is a JSON 404.
    re_path(r"^[\s\S]*$", NotFoundView.as_view(), name="not-found"),  # newlines too
]
