"""3PL endpoints: ready orders with what a label needs, claiming a batch, releasing it, posting tracking numbers."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from oms.api import selectors
from oms.api.authentication import request_actor
from oms.api.errors import ApiError, ErrorSerializer
from oms.api.fields import StrictCharField, StrictIntegerField
from oms.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from oms.api.idempotency import idempotent_response
from oms.api.orders import ShipmentSerializer, ShipToSerializer
from oms.api.pagination import OrderCursorPagination
from oms.api.permissions import HasScope
from oms.api.schema import api_responses
from oms.models import ApiKey, ShipmentClaim
from orders.models import DeliveryTime, Order, PaymentMethod
from shipping.claims import (
    MAX_CLAIM_BATCH,
    ClaimedByAnother,
    order_ship_claimed,
    shipments_claim,
    shipments_ready,
    shipments_release,
)
from shipping.labels import order_carrier_code
from shipping.models import Carrier
from shipping.tracking import TRACKING_DIGITS, tracking_number_normalize, tracking_number_valid

CLAIM_FILTERS = [("any", "any"), ("unclaimed", "unclaimed"), ("mine", "claimed by this caller")]


class ShipmentsScope(HasScope):
    """`shipments:write`, or `orders:read` where the view lists it in `read_scopes` (reading is enough)."""

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiKey) and any(request.auth.has_scope(s) for s in view.read_scopes):
            return True
        return super().has_permission(request, view)


def _caller(request) -> dict:
    """Who claims: the API key (its id is the identity), or the staff user's actor name."""
    api_key = request.auth if isinstance(request.auth, ApiKey) else None
    return {"api_key": api_key, "claimed_by": request_actor(request)}


# ---- output ----------------------------------------------------------------------------------------------


class LabelLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField(
        source="sku.code", allow_null=True, help_text="Our SKU code; null if unlinked."
    )
    jan = serializers.SerializerMethodField(help_text="The SKU's JAN code (8 or 13 digits), or empty.")
    name = serializers.CharField(help_text="Item name as the shop sold it.")
    quantity = serializers.IntegerField()
    unit_price = serializers.IntegerField(help_text="JPY, tax included.")

    @extend_schema_field(OpenApiTypes.STR)
    def get_jan(self, line) -> str:
        return line.sku.jan if line.sku_id else ""


class BuyerContactSerializer(serializers.Serializer):
    name = serializers.CharField(source="buyer_name")
    kana = serializers.CharField(source="buyer_kana")
    phone = serializers.CharField(source="buyer_phone")


class ClaimSerializer(serializers.Serializer):
    claimed_by = serializers.CharField(help_text="`api:<key name>` or `user:<name>`.")
    mine = serializers.BooleanField(help_text="Claimed by the caller of this request.")
    claimed_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(help_text="After this the order may be claimed again.")


class ReadyOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Use it to post the tracking numbers: /orders/{id}/shipments/.")
    channel = serializers.CharField(source="channel.name")
    external_id = serializers.CharField(help_text="The shop's order number.")
    ordered_at = serializers.DateTimeField()
    carrier = serializers.SerializerMethodField(
        help_text="The carrier to ship with (the shop's default if unset)."
    )
    ship_to = serializers.SerializerMethodField(
        help_text="The (first) delivery address, with kana and phone."
    )
    ship_tos = ShipToSerializer(
        many=True, help_text="Every delivery address (Rakuten orders may have several)."
    )
    buyer = BuyerContactSerializer(source="*", help_text="The orderer (sender on a gift).")
    delivery_date = serializers.DateField(allow_null=True, help_text="お届け希望日, or null.")
    delivery_time = serializers.ChoiceField(
        choices=DeliveryTime.choices, allow_blank=True, help_text="お届け希望時間帯; empty = none."
    )
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices)
    cod_amount = serializers.SerializerMethodField(
        help_text="代金引換 (cash on delivery): the amount to collect, JPY; null when not COD."
    )
    is_gift = serializers.BooleanField(help_text="ギフト: no prices on the packing slip.")
    remarks = serializers.CharField(help_text="The buyer's remarks (備考).")
    lines = LabelLineSerializer(many=True)
    claim = serializers.SerializerMethodField(help_text="The unexpired claim on the order, or null.")

    @extend_schema_field(serializers.ChoiceField(choices=Carrier.Code.choices))
    def get_carrier(self, order: Order) -> str:
        return order_carrier_code(order)

    @extend_schema_field(ShipToSerializer(allow_null=True))
    def get_ship_to(self, order: Order):
        ship_tos = list(order.ship_tos.all())
        return ShipToSerializer(ship_tos[0]).data if ship_tos else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_cod_amount(self, order: Order) -> int | None:
        return order.total if order.payment_method == PaymentMethod.COD else None

    @extend_schema_field(ClaimSerializer(allow_null=True))
    def get_claim(self, order: Order):
        try:
            claim = order.shipment_claim
        except ShipmentClaim.DoesNotExist:
            return None
        if claim is None or claim.expires_at <= timezone.now():
            return None
        caller = self.context.get("caller") or {}
        key = caller.get("api_key")
        mine = (
            claim.api_key_id == key.pk
            if key
            else (claim.api_key_id is None and claim.claimed_by == caller.get("claimed_by"))
        )
        return ClaimSerializer(
            {
                "claimed_by": claim.claimed_by,
                "mine": mine,
                "claimed_at": claim.claimed_at,
                "expires_at": claim.expires_at,
            }
        ).data


class ClaimResultSerializer(serializers.Serializer):
    claimed = ReadyOrderSerializer(
        many=True, help_text="The orders now claimed by the caller; may be fewer than asked."
    )
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When these claims expire (null if none)."
    )


class ReleaseResultSerializer(serializers.Serializer):
    released = serializers.IntegerField(help_text="How many of the caller's claims were given back.")


class ShipResultSerializer(serializers.Serializer):
    order = serializers.IntegerField(source="pk")
    external_id = serializers.CharField()
    status = serializers.CharField()
    shipments = ShipmentSerializer(many=True, help_text="Every parcel of the order.")


# ---- input -----------------------------------------------------------------------------------------------


class ReadyFilterSerializer(serializers.Serializer):
    channel = serializers.CharField(required=False, help_text="Channel name, e.g. `rakuten`.")
    carrier = serializers.ChoiceField(choices=Carrier.Code.choices, required=False)
    claim = serializers.ChoiceField(
        choices=CLAIM_FILTERS, required=False, default="any", help_text="Which orders by their claim."
    )


class ClaimRequestSerializer(serializers.Serializer):
    limit = StrictIntegerField(min_value=1, max_value=MAX_CLAIM_BATCH, help_text="At most this many orders.")
    channel = StrictCharField(required=False, help_text="Only this channel's orders.")
    carrier = serializers.ChoiceField(
        choices=Carrier.Code.choices, required=False, help_text="Only this carrier."
    )


class ReleaseRequestSerializer(serializers.Serializer):
    order_ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=1000,
        help_text="Release only these orders' claims; omit to release all of the caller's claims.",
    )


class ParcelSerializer(serializers.Serializer):
    carrier = serializers.ChoiceField(choices=Carrier.Code.choices)
    tracking_number = StrictCharField(
        max_length=64,
        help_text=f"{TRACKING_DIGITS} digits with the mod-7 check digit; hyphens, spaces and full-width digits "
        "are accepted and normalised.",
    )

    def validate_tracking_number(self, value: str) -> str:
        number = tracking_number_normalize(value)
        if not tracking_number_valid(number):
            raise exceptions.ValidationError(
                _("%(number)s is not a valid tracking number (12 digits, mod-7 check digit).")
                % {"number": value},
                code="invalid_tracking_number",
            )
        return number


SHIPPED_AT_CLOCK_SKEW = timedelta(minutes=10)


class ShipRequestSerializer(serializers.Serializer):
    parcels = ParcelSerializer(many=True, allow_empty=False, max_length=50, help_text="One entry per parcel.")
    shipped_at = serializers.DateTimeField(
        required=False, help_text="When it left the warehouse; default now. Not more than 10 minutes ahead."
    )

    def validate_shipped_at(self, value):
        # the shop is told "shipped" now and the buyer's mail says so: a parcel cannot have left in the future
        # (a few minutes allow for the caller's clock)
        if value > timezone.now() + SHIPPED_AT_CLOCK_SKEW:
            raise exceptions.ValidationError(
                _("shipped_at is in the future; give the time the parcel left the warehouse."),
                code="in_future",
            )
        return value

    def validate_parcels(self, parcels):
        numbers = [parcel["tracking_number"] for parcel in parcels]
        if len(set(numbers)) != len(numbers):
            raise exceptions.ValidationError(
                _("A tracking number is given twice."), code="duplicate_tracking_number"
            )
        return parcels


# ---- views -----------------------------------------------------------------------------------------------

READY_EXAMPLE = {
    "id": 42,
    "channel": "rakuten",
    "external_id": "100001-20261126-00000042",
    "ordered_at": "2026-11-26T10:15:00+09:00",
    "carrier": "yamato",
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
    "ship_tos": [],
    "buyer": {"name": "山田 太郎", "kana": "ヤマダ タロウ", "phone": "090-1234-5678"},
    "delivery_date": "2026-12-05",
    "delivery_time": "14-16",
    "payment_method": "cod",
    "cod_amount": 6290,
    "is_gift": False,
    "remarks": "",
    "lines": [
        {
            "id": 77,
            "sku": "TSHIRT-BLK-M",
            "jan": "4901234567894",
            "name": "Tシャツ 黒 M",
            "quantity": 2,
            "unit_price": 2980,
        }
    ],
    "claim": {
        "claimed_by": "api:warehouse-a",
        "mine": True,
        "claimed_at": "2026-11-26T11:00:00+09:00",
        "expires_at": "2026-11-26T11:30:00+09:00",
    },
}


def _error_example(code: str, message: str, field=None) -> OpenApiExample:
    return OpenApiExample(
        code, value={"error": {"code": code, "message": message, "field": field, "details": []}}
    )


class ReadyCursorPagination(OrderCursorPagination):
    """Oldest orders first: the order a warehouse works in."""

    ordering = ("ordered_at", "pk")


class ShipmentsMixin:
    required_scope = "shipments:write"
    read_scopes: tuple[str, ...] = ()
    permission_classes = [ShipmentsScope]
    filter_backends: list = []


class ShipmentReadyListApi(ShipmentsMixin, GenericAPIView):
    """Orders ready to ship (印刷待ち), oldest first, with everything a label needs: address with kana and
    phone, delivery date and slot, lines with SKU, JAN and quantity, the COD amount (代引), the gift flag
    and the carrier. `claim=unclaimed` shows what is free to claim; `claim=mine` what the caller holds.

    An API key with `orders:read` may read this list too."""

    read_scopes = ("orders:read",)
    pagination_class = ReadyCursorPagination
    serializer_class = ReadyOrderSerializer

    @extend_schema(
        operation_id="shipments_ready_list",
        tags=["shipments"],
        parameters=[ReadyFilterSerializer],
        responses=api_responses({200: ReadyOrderSerializer(many=True)}, 400),
        examples=[OpenApiExample("ready order", value=READY_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        filters = ReadyFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        caller = _caller(request)
        orders = shipments_ready(**filters.validated_data, **caller)
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(
            ReadyOrderSerializer(page, many=True, context={"caller": caller}).data
        )


class ShipmentClaimApi(ShipmentsMixin, GenericAPIView):
    """Claim up to `limit` ready orders nobody holds, oldest first, for this API key. Two workers claiming
    at the same time always get different orders. A claim lasts OMS_SHIPMENT_CLAIM_SECONDS (default 30
    minutes) unless the order ships or the claim is released; an empty `claimed` list means nothing is left."""

    serializer_class = ClaimRequestSerializer

    @extend_schema(
        operation_id="shipments_claim",
        tags=["shipments"],
        request=ClaimRequestSerializer,
        responses=api_responses({200: ClaimResultSerializer}, 400),
        examples=[OpenApiExample("claim ten", value={"limit": 10, "carrier": "yamato"}, request_only=True)],
    )
    def post(self, request):
        data = ClaimRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        caller = _caller(request)
        ids = shipments_claim(**data.validated_data, **caller)
        orders = list(shipments_ready().filter(pk__in=ids).order_by("ordered_at", "pk"))
        expires = [order.shipment_claim.expires_at for order in orders]
        return Response(
            {
                "claimed": ReadyOrderSerializer(orders, many=True, context={"caller": caller}).data,
                "expires_at": serializers.DateTimeField().to_representation(min(expires))
                if expires
                else None,
            }
        )


class ShipmentReleaseApi(ShipmentsMixin, GenericAPIView):
    """Give back claims this caller holds (all, or those on `order_ids`), so other workers may take them."""

    serializer_class = ReleaseRequestSerializer

    @extend_schema(
        operation_id="shipments_release",
        tags=["shipments"],
        request=ReleaseRequestSerializer,
        responses=api_responses({200: ReleaseResultSerializer}, 400),
        examples=[OpenApiExample("two orders", value={"order_ids": [42, 43]}, request_only=True)],
    )
    def post(self, request):
        data = ReleaseRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        released = shipments_release(order_ids=data.validated_data.get("order_ids"), **_caller(request))
        return Response({"released": released})


SHIP_INVALID = [
    OpenApiExample(
        "invalid_tracking_number",
        value={
            "error": {
                "code": "validation_error",
                "message": "444413758704 is not a valid tracking number (12 digits, mod-7 check digit).",
                "field": "parcels.0.tracking_number",
                "details": [
                    {
                        "field": "parcels.0.tracking_number",
                        "code": "invalid_tracking_number",
                        "message": "444413758704 is not a valid tracking number (12 digits, mod-7 check digit).",
                    }
                ],
            }
        },
    )
]

SHIP_CONFLICTS = [
    _error_example(
        "ship_refused",
        "Order 100001-20261126-00000042 is 確認待ち; only orders waiting for shipment can ship.",
    ),
    _error_example(
        "claimed_by_another", "Order 100001-20261126-00000042 is claimed by another worker until …"
    ),
    _error_example(
        "tracking_number_taken",
        "Tracking number 123456789013 already belongs to order 100001-20261126-00000041.",
    ),
]


class OrderShipmentCreateApi(ShipmentsMixin, GenericAPIView):
    """出荷確定: post the order's tracking numbers (one per parcel). The order becomes shipped, its stock is
    consumed, the shop is told and the shipping mail is queued; the caller's claim ends. Posting to an order
    already shipped adds the parcels it does not have yet (numbers it has are ignored).

    Send an `Idempotency-Key` header (any unique string, e.g. a UUID) to retry safely: the same key with the
    same body answers the first response again (with `Idempotent-Replayed: true`); the same key with
    another body is a 422 `idempotency_key_reused`. Tracking numbers must pass the 12-digit mod-7 check
    digit (400 `invalid_tracking_number`). An order another worker holds a claim on is a 409
    `claimed_by_another`; a tracking number already another order's parcel a 409 `tracking_number_taken`; an
    order that cannot ship (e.g. on hold) a 409 `ship_refused`."""

    serializer_class = ShipRequestSerializer

    @extend_schema(
        operation_id="orders_shipments_create",
        tags=["shipments"],
        request=ShipRequestSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="A unique key per shipment post; a retry with the same key replays the answer.",
            )
        ],
        responses={
            **api_responses(
                {201: ShipResultSerializer},
                400,
                404,
                409,
                conflict_examples=SHIP_CONFLICTS,
                invalid_examples=SHIP_INVALID,
            ),
            422: OpenApiResponse(
                ErrorSerializer,
                description="The Idempotency-Key was used before with another request.",
                examples=[
                    _error_example(
                        "idempotency_key_reused",
                        "This Idempotency-Key was used with another request; use a new key for a new request.",
                        IDEMPOTENCY_HEADER,
                    )
                ],
            ),
        },
        examples=[
            OpenApiExample(
                "two parcels",
                value={
                    "parcels": [
                        {"carrier": "yamato", "tracking_number": "4444-1375-8703"},
                        {"carrier": "yamato", "tracking_number": "444413758714"},
                    ]
                },
                request_only=True,
            )
        ],
    )
    def post(self, request, order_id: int):
        data = ShipRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            order = selectors.order_get(order_id=order_id)
        except Order.DoesNotExist:
            raise NotFound(_("No order with id %(id)s.") % {"id": order_id}) from None
        caller = _caller(request)

        def ship() -> tuple[int, dict]:
            try:
                order_ship_claimed(
                    order=order,
                    parcels=[(p["carrier"], p["tracking_number"]) for p in data.validated_data["parcels"]],
                    actor=caller["claimed_by"],
                    api_key=caller["api_key"],
                    shipped_at=data.validated_data.get("shipped_at"),
                )
            except ClaimedByAnother as exc:
                raise ApiError(
                    status_code=status.HTTP_409_CONFLICT, code="claimed_by_another", message=str(exc)
                ) from None
            return status.HTTP_201_CREATED, ShipResultSerializer(selectors.order_get(order_id=order_id)).data

        return idempotent_response(request, ship)
