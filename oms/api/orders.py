"""Order endpoints: list (filters, cursor pages), detail, hold release, status change, cancel, mark paid."""

from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from oms.api import actions, selectors
from oms.api.authentication import request_actor, request_user
from oms.api.fields import DisplayField
from oms.api.pagination import OrderCursorPagination
from oms.api.schema import api_responses
from orders.holds import HOLD_CODES
from orders.models import DeliveryTime, Hold, Order, OrderStatus, PaymentMethod
from orders.services import order_status_change

S = OrderStatus
# Shipping has its own endpoint (stock consumed, shop told, mail sent) and so has cancelling (stock freed).
STATUS_CHANGE_TARGETS = [
    (value, label) for value, label in S.choices if value not in (S.NEW, S.SHIPPED, S.CANCELLED)
]


# ---- output ----------------------------------------------------------------------------------------------


class HoldSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=sorted(HOLD_CODES), help_text="Stable hold code (DESIGN.md).")
    message = serializers.SerializerMethodField(help_text="Why the order waits, in the request's language.")
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_message(self, hold: Hold) -> str:
        definition = HOLD_CODES.get(hold.code)
        if definition is not None and (get_language() or "").startswith("en"):
            return definition.message_en
        return hold.message


class OrderLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField(
        source="sku.code", allow_null=True, help_text="Our SKU code; null if unlinked."
    )
    name = serializers.CharField(help_text="Item name as the shop sold it.")
    quantity = serializers.IntegerField()
    allocated = serializers.IntegerField(source="allocated_quantity", help_text="Units reserved (引当).")
    shipped = serializers.IntegerField(source="shipped_quantity")
    unit_price = serializers.IntegerField(help_text="JPY, tax included.")


class ShipToSerializer(serializers.Serializer):
    name = serializers.CharField()
    kana = serializers.CharField()
    postal_code = serializers.CharField()
    prefecture = serializers.CharField()
    city = serializers.CharField()
    address1 = serializers.CharField()
    address2 = serializers.CharField()
    phone = serializers.CharField()


class ShipmentSerializer(serializers.Serializer):
    carrier = serializers.CharField(source="carrier.code")
    tracking_number = serializers.CharField()
    tracking_url = serializers.SerializerMethodField()
    shipped_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_tracking_url(self, shipment) -> str:
        return shipment.carrier.tracking_url(shipment.tracking_number)


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    channel = serializers.CharField(source="channel.name", help_text="The shop (channel name).")
    external_id = serializers.CharField(help_text="The shop's order number.")
    status = serializers.ChoiceField(choices=S.choices)
    status_label = DisplayField(choice_field="status", help_text="Japanese status name.")
    ordered_at = serializers.DateTimeField()
    holds = HoldSerializer(source="active_holds", many=True, help_text="Active holds: why the order waits.")
    lines = OrderLineSerializer(source="api_lines", many=True)
    ship_to = serializers.SerializerMethodField(help_text="The (first) delivery address.")
    delivery_date = serializers.DateField(allow_null=True, help_text="Wished delivery date (お届け希望日).")
    delivery_time = serializers.ChoiceField(
        choices=DeliveryTime.choices,
        allow_blank=True,
        help_text="Wished slot (お届け希望時間帯); empty = none.",
    )
    tracking_numbers = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    # Orders come from oms.api.selectors, with their relations prefetched as plain lists (api_*).
    @extend_schema_field(ShipToSerializer(allow_null=True))
    def get_ship_to(self, order: Order):
        ship_tos = order.api_ship_tos
        return self._first_ship_to.to_representation(ship_tos[0]) if ship_tos else None

    @cached_property
    def _first_ship_to(self) -> ShipToSerializer:
        return ShipToSerializer()  # one for the whole page: building a serializer per order cost more

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tracking_numbers(self, order: Order) -> list[str]:
        return [s.tracking_number for s in order.api_shipments if s.tracking_number]


class BuyerSerializer(serializers.Serializer):
    name = serializers.CharField(source="buyer_name")
    kana = serializers.CharField(source="buyer_kana")
    email = serializers.CharField(source="buyer_email")
    phone = serializers.CharField(source="buyer_phone")


class TotalsSerializer(serializers.Serializer):
    subtotal = serializers.IntegerField(help_text="Goods, JPY tax included.")
    shipping_fee = serializers.IntegerField()
    payment_fee = serializers.IntegerField()
    discount = serializers.IntegerField()
    total = serializers.IntegerField()


class PaymentSerializer(serializers.Serializer):
    method = serializers.ChoiceField(source="payment_method", choices=PaymentMethod.choices)
    paid_at = serializers.DateTimeField(
        allow_null=True, help_text="When prepayment was confirmed (入金確認)."
    )


class OrderEventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    actor = serializers.CharField(help_text="`user:<name>`, `api:<key name>`, `system` or `channel:<name>`.")
    message = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    created_at = serializers.DateTimeField()


class OrderDetailSerializer(OrderSerializer):
    buyer = BuyerSerializer(source="*")
    totals = TotalsSerializer(source="*")
    payment = PaymentSerializer(source="*")
    remarks = serializers.CharField(help_text="The buyer's remarks (備考).")
    is_gift = serializers.BooleanField()
    ship_tos = ShipToSerializer(
        source="api_ship_tos",
        many=True,
        help_text="Every delivery address (Rakuten orders may have several).",
    )
    shipments = ShipmentSerializer(source="api_shipments", many=True)
    events = OrderEventSerializer(source="api_events", many=True, help_text="Audit trail, oldest first.")


# ---- input -----------------------------------------------------------------------------------------------


class OrderFilterSerializer(serializers.Serializer):
    channel = serializers.CharField(required=False, help_text="Channel name, e.g. `rakuten`.")
    external_id = serializers.CharField(required=False, help_text="The shop's order number (exact).")
    status = serializers.ChoiceField(choices=S.choices, required=False)
    hold = serializers.ChoiceField(
        choices=sorted(HOLD_CODES), required=False, help_text="Only orders with an active hold of this code."
    )
    ordered_after = serializers.DateTimeField(required=False, help_text="ordered_at >= this (ISO 8601).")
    ordered_before = serializers.DateTimeField(required=False, help_text="ordered_at < this (ISO 8601).")


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=STATUS_CHANGE_TARGETS,
        help_text="The new status; it must be allowed from the current one (else 409 illegal_transition). "
        "Cancel with /cancel/; ship with the shipments endpoints.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


# ---- views -----------------------------------------------------------------------------------------------

ORDER_EXAMPLE = {
    "id": 42,
    "channel": "rakuten",
    "external_id": "100001-20261126-00000042",
    "status": "on_hold",
    "status_label": "確認待ち",
    "ordered_at": "2026-11-26T10:15:00+09:00",
    "holds": [
        {"code": "remarks", "message": "The buyer wrote remarks", "created_at": "2026-11-26T10:16:02+09:00"}
    ],
    "lines": [
        {
            "id": 77,
            "sku": "TSHIRT-BLK-M",
            "name": "Tシャツ 黒 M",
            "quantity": 2,
            "allocated": 2,
            "shipped": 0,
            "unit_price": 2980,
        }
    ],
    "ship_to": {
        "name": "山田 太郎",
        "kana": "ヤマダ タロウ",
        "postal_code": "100-0001",
        "prefecture": "東京都",
        "city": "千代田区",
        "address1": "千代田1-1",
        "address2": "",
        "phone": "090-1234-5678",
    },
    "delivery_date": "2026-12-05",
    "delivery_time": "14-16",
    "tracking_numbers": [],
    "updated_at": "2026-11-26T10:16:02+09:00",
}
ILLEGAL_TRANSITION = [
    OpenApiExample(
        "illegal_transition",
        value={
            "error": {
                "code": "illegal_transition",
                "message": "Order 100001-20261126-00000042 cannot change from 出荷済み to 印刷待ち.",
                "field": None,
                "details": [{"from": "shipped", "to": "ready"}],
            }
        },
    )
]


class OrderMixin:
    required_scope = "orders:write"
    filter_backends: list = []

    def get_order(self, order_id: int) -> Order:
        try:
            return selectors.order_get(order_id=order_id)
        except Order.DoesNotExist:
            raise NotFound(_("No order with id %(id)s.") % {"id": order_id}) from None

    def render_order(self, order: Order) -> Response:
        return Response(OrderDetailSerializer(self.get_order(order.pk)).data)


class OrderListApi(OrderMixin, GenericAPIView):
    """Orders, newest first. Filters combine (AND). Pages follow `next` (cursor pagination)."""

    required_scope = "orders:read"
    pagination_class = OrderCursorPagination
    serializer_class = OrderSerializer

    @extend_schema(
        operation_id="orders_list",
        tags=["orders"],
        parameters=[OrderFilterSerializer],
        responses=api_responses({200: OrderSerializer(many=True)}, 400),
        examples=[OpenApiExample("page", value=ORDER_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        filters = OrderFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.order_list(**filters.validated_data))
        return self.get_paginated_response(OrderSerializer(page, many=True).data)


class OrderDetailApi(OrderMixin, GenericAPIView):
    """One order with buyer, totals, payment, remarks, every address, parcels and its audit trail."""

    required_scope = "orders:read"
    serializer_class = OrderDetailSerializer

    @extend_schema(
        operation_id="orders_retrieve",
        tags=["orders"],
        responses=api_responses({200: OrderDetailSerializer}, 404),
    )
    def get(self, request, order_id: int):
        return Response(OrderDetailSerializer(self.get_order(order_id)).data)


class OrderHoldReleaseApi(OrderMixin, GenericAPIView):
    """Release an active hold (a person accepted the order as it is, e.g. read the remarks); the order then
    moves to the status its remaining holds call for. Fact holds are checked again instead: `unknown_sku`
    is released once the shop's listings link every line to a SKU (the stock is then allocated); while a line
    is unlinked, stock is short (`insufficient_stock`) or the order is unpaid (`payment_pending`, use
    mark-paid) the answer is 409 `hold_not_releasable`, saying what to do."""

    serializer_class = None

    @extend_schema(
        operation_id="orders_hold_release",
        tags=["orders"],
        request=None,
        parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH, enum=sorted(HOLD_CODES))],
        responses=api_responses({200: OrderDetailSerializer}, 404, 409),
    )
    def post(self, request, order_id: int, code: str):
        order = self.get_order(order_id)
        try:
            actions.order_hold_release(
                order=order, code=code, actor=request_actor(request), user=request_user(request)
            )
        except Hold.DoesNotExist:
            raise NotFound(
                _("Order %(order)s has no active hold %(code)s.") % {"order": order.external_id, "code": code}
            ) from None
        return self.render_order(order)


class OrderStatusChangeApi(OrderMixin, GenericAPIView):
    """Move the order along an allowed transition of the workflow (DESIGN.md)."""

    serializer_class = StatusChangeSerializer

    @extend_schema(
        operation_id="orders_status_change",
        tags=["orders"],
        request=StatusChangeSerializer,
        responses=api_responses(
            {200: OrderDetailSerializer}, 400, 404, 409, conflict_examples=ILLEGAL_TRANSITION
        ),
        examples=[
            OpenApiExample(
                "to ready", value={"status": "ready", "note": "checked by phone"}, request_only=True
            )
        ],
    )
    def post(self, request, order_id: int):
        order = self.get_order(order_id)
        data = StatusChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order_status_change(
            order=order,
            to_status=data.validated_data["status"],
            actor=request_actor(request),
            note=data.validated_data["note"],
        )
        return self.render_order(order)


class OrderCancelApi(OrderMixin, GenericAPIView):
    """Cancel an order that has not shipped; its allocated stock becomes free again. Idempotent.
    The shop is not told: cancel the order in the shop too."""

    serializer_class = CancelSerializer

    @extend_schema(
        operation_id="orders_cancel",
        tags=["orders"],
        request=CancelSerializer,
        responses=api_responses(
            {200: OrderDetailSerializer}, 400, 404, 409, conflict_examples=ILLEGAL_TRANSITION
        ),
        examples=[OpenApiExample("reason", value={"reason": "buyer asked by mail"}, request_only=True)],
    )
    def post(self, request, order_id: int):
        order = self.get_order(order_id)
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.order_cancel(order=order, actor=request_actor(request), reason=data.validated_data["reason"])
        return self.render_order(order)


class OrderMarkPaidApi(OrderMixin, GenericAPIView):
    """Prepayment arrived (入金確認): releases `payment_pending` and re-runs the checks. Only for orders
    not printed yet (409 `edit_refused` otherwise). Idempotent."""

    serializer_class = None

    @extend_schema(
        operation_id="orders_mark_paid",
        tags=["orders"],
        request=None,
        responses=api_responses({200: OrderDetailSerializer}, 404, 409),
    )
    def post(self, request, order_id: int):
        order = self.get_order(order_id)
        actions.order_mark_paid_open(order=order, actor=request_actor(request))
        return self.render_order(order)
