"""Stock endpoints: per-SKU stock with per-warehouse levels and what each shop was last told; adjust; bulk counts."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from inventory.models import SKU, StockMovement, Warehouse
from inventory.services import stock_adjust
from oms.api import actions, selectors
from oms.api.authentication import request_actor
from oms.api.errors import ErrorSerializer
from oms.api.idempotency import IDEMPOTENCY_PARAMETER, IDEMPOTENCY_REUSED_RESPONSE, idempotent_response
from oms.api.pagination import CodeCursorPagination
from oms.api.schema import ERROR_EXAMPLES, api_responses

MAX_UNITS = 10_000_000  # far above any shelf, far below the database's integer range
MAX_COUNT_ROWS = 1000

# ---- output ----------------------------------------------------------------------------------------------


class StockLevelSerializer(serializers.Serializer):
    warehouse = serializers.CharField(source="warehouse.code")
    on_hand = serializers.IntegerField()
    allocated = serializers.IntegerField()
    free = serializers.IntegerField()


class ChannelQuantitySerializer(serializers.Serializer):
    channel = serializers.CharField(source="channel.name")
    last_pushed_quantity = serializers.IntegerField(
        allow_null=True, help_text="What the shop was last told it may sell; null before the first push."
    )
    last_pushed_at = serializers.DateTimeField(allow_null=True)
    push_pending = serializers.BooleanField(
        source="needs_push", help_text="A newer quantity waits to be pushed."
    )


class StockSerializer(serializers.Serializer):
    sku = serializers.CharField(source="sku.code")
    name = serializers.CharField(source="sku.name")
    is_set = serializers.BooleanField(
        source="sku.is_set", help_text="A set (セット商品) has no stock of its own."
    )
    on_hand = serializers.IntegerField(allow_null=True, help_text="All warehouses; null for a set.")
    allocated = serializers.IntegerField(
        allow_null=True, help_text="Reserved for orders (引当); null for a set."
    )
    free = serializers.IntegerField(help_text="on_hand - allocated; for a set, what its components make up.")
    warehouses = StockLevelSerializer(source="levels", many=True)
    channels = ChannelQuantitySerializer(source="listings", many=True)


STOCK_EXAMPLE = {
    "sku": "TSHIRT-BLK-M",
    "name": "Tシャツ 黒 M",
    "is_set": False,
    "on_hand": 12,
    "allocated": 2,
    "free": 10,
    "warehouses": [{"warehouse": "MAIN", "on_hand": 12, "allocated": 2, "free": 10}],
    "channels": [
        {
            "channel": "rakuten",
            "last_pushed_quantity": 10,
            "last_pushed_at": "2026-11-26T10:16:05+09:00",
            "push_pending": False,
        }
    ],
}

# ---- input -----------------------------------------------------------------------------------------------


class StockFilterSerializer(serializers.Serializer):
    sku = serializers.CharField(required=False, help_text="One SKU code, or several separated by commas.")
    product = serializers.CharField(required=False, help_text="Product code: its SKUs only.")

    def validate_sku(self, value: str) -> list[str]:
        codes = [code.strip() for code in value.split(",") if code.strip()]
        if len(codes) > 200:
            raise serializers.ValidationError(_("Ask for at most 200 SKUs at once."))
        return codes


def _warehouse(code: str | None) -> Warehouse | None:
    if not code:
        return None
    warehouse = Warehouse.objects.filter(code=code).first()
    if warehouse is None:
        raise serializers.ValidationError(_("No warehouse %(code)s.") % {"code": code})
    return warehouse


class StockAdjustSerializer(serializers.Serializer):
    delta = serializers.IntegerField(
        min_value=-MAX_UNITS, max_value=MAX_UNITS, help_text="Units to add (negative: remove); not 0."
    )
    reason = serializers.ChoiceField(
        choices=[StockMovement.Reason.ADJUST, StockMovement.Reason.RECEIVE],
        default=StockMovement.Reason.ADJUST,
        help_text="`adjust` (破損, 紛失, correction) or `receive` (入荷).",
    )
    note = serializers.CharField(max_length=255, help_text="Why, for the stock ledger (required).")
    reference = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    warehouse = serializers.CharField(
        required=False, help_text="Warehouse code; default: the first warehouse."
    )

    def validate_delta(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError(_("The adjustment is zero."))
        return value

    def validate_warehouse(self, value: str) -> Warehouse | None:
        return _warehouse(value)


class StockCountSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    on_hand = serializers.IntegerField(min_value=0, max_value=MAX_UNITS, help_text="Units counted (棚卸).")
    warehouse = serializers.CharField(
        required=False, max_length=16, help_text="Default: the first warehouse."
    )


# many=False: the schema's request example is already the whole list; without it drf-spectacular wraps the
# example in one more list ([[{…}, {…}]]) and Swagger's "Try it out" sends that.
@extend_schema_serializer(many=False)
class StockCountListSerializer(serializers.ListSerializer):
    """Resolves every row's SKU and warehouse with one query each; errors are reported per row."""

    def validate(self, rows):
        skus = {sku.code: sku for sku in SKU.objects.filter(code__in=[row["sku"] for row in rows])}
        warehouses = {
            wh.code: wh
            for wh in Warehouse.objects.filter(code__in=[r["warehouse"] for r in rows if "warehouse" in r])
        }
        errors, resolved, seen = [], [], set()
        for row in rows:
            error = {}
            sku, code = skus.get(row["sku"]), row.get("warehouse")
            if sku is None:
                error["sku"] = [_unknown_sku(row["sku"])]
            elif sku.is_set:
                error["sku"] = [_("%(sku)s is a set; count its components instead.") % {"sku": sku.code}]
            elif (sku.pk, code) in seen:
                error["sku"] = [_("%(sku)s is listed twice.") % {"sku": sku.code}]
            if code and code not in warehouses:
                error["warehouse"] = [_("No warehouse %(code)s.") % {"code": code}]
            errors.append(error)
            if sku is not None:
                seen.add((sku.pk, code))
                resolved.append(
                    actions.CountRow(sku=sku, on_hand=row["on_hand"], warehouse=warehouses.get(code))
                )
        if any(errors):
            raise serializers.ValidationError(errors)
        return resolved


def _unknown_sku(code: str) -> str:
    return _("No SKU %(sku)s.") % {"sku": code}


def counts_serializer(data):
    return StockCountListSerializer(
        child=StockCountSerializer(), data=data, allow_empty=False, max_length=MAX_COUNT_ROWS
    )


# ---- views -----------------------------------------------------------------------------------------------


def _error_example(name: str, code: str, message: str, field=None, details=None) -> OpenApiExample:
    return OpenApiExample(
        name, value={"error": {"code": code, "message": message, "field": field, "details": details or []}}
    )


def _problem(field, code: str, message: str) -> dict:
    return {"field": field, "code": code, "message": message}


def _negative_stock_message(delta: int) -> str:
    return (
        f"Cannot change stock of HONEY-300G by {delta}: on hand 10, of which 5 allocated. Stock may not go "
        "below zero or below what is allocated."
    )


ADJUST_CONFLICTS = [_error_example("negative_stock", "negative_stock", _negative_stock_message(-9))]
# The counts' own refusals (the shared 400 example names `note`, a field counts do not have).
COUNTS_INVALID = OpenApiResponse(
    ErrorSerializer,
    description=ERROR_EXAMPLES[400][0],
    examples=[
        _error_example(
            "unknown_sku",
            "validation_error",
            "No SKU NOPE.",
            "1.sku",
            [_problem("1.sku", "invalid", "No SKU NOPE.")],
        ),
        _error_example(
            "negative_count",
            "validation_error",
            "Ensure this value is greater than or equal to 0.",
            "0.on_hand",
            [_problem("0.on_hand", "min_value", "Ensure this value is greater than or equal to 0.")],
        ),
        _error_example(
            "not_a_list",
            "validation_error",
            'Expected a list of items but got type "dict".',
            None,
            [_problem(None, "not_a_list", 'Expected a list of items but got type "dict".')],
        ),
    ],
)
COUNTS_CONFLICTS = [
    _error_example(
        "counts_refused",
        "counts_refused",
        "1 of the counts cannot be applied; none was.",
        "1.on_hand",
        [_problem("1.on_hand", "negative_stock", _negative_stock_message(-8))],
    )
]


class StockMixin:
    filter_backends: list = []

    def get_sku(self, code: str) -> SKU:
        sku = SKU.objects.filter(code=code).first()
        if sku is None:
            raise NotFound(_unknown_sku(code))
        return sku

    def render_rows(self, skus: list[SKU]) -> list[dict]:
        loaded = list(selectors.stock_sku_list(codes=[sku.code for sku in skus]).order_by("code"))
        return StockSerializer(selectors.stock_rows(skus=loaded), many=True).data


class StockListApi(StockMixin, GenericAPIView):
    """Stock per SKU in code order: totals, per-warehouse levels, and per channel the quantity last pushed."""

    required_scope = "stock:read"
    pagination_class = CodeCursorPagination
    serializer_class = StockSerializer

    @extend_schema(
        operation_id="stock_list",
        tags=["stock"],
        parameters=[StockFilterSerializer],
        responses=api_responses({200: StockSerializer(many=True)}, 400),
        examples=[OpenApiExample("page", value=STOCK_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        filters = StockFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        skus = self.paginate_queryset(
            selectors.stock_sku_list(
                codes=filters.validated_data.get("sku"), product=filters.validated_data.get("product")
            )
        )
        return self.get_paginated_response(StockSerializer(selectors.stock_rows(skus=skus), many=True).data)


class StockDetailApi(StockMixin, GenericAPIView):
    """One SKU's stock."""

    required_scope = "stock:read"
    serializer_class = StockSerializer

    @extend_schema(
        operation_id="stock_retrieve",
        tags=["stock"],
        responses=api_responses({200: StockSerializer}, 404),
        examples=[OpenApiExample("stock", value=STOCK_EXAMPLE, response_only=True)],
    )
    def get(self, request, sku: str):
        return Response(self.render_rows([self.get_sku(sku)])[0])


class StockAdjustApi(StockMixin, GenericAPIView):
    """Add or remove units of a SKU with the reason written to the stock ledger. Refused (409
    `negative_stock`) when on hand would fall below zero or below what is allocated to orders.

    Send an `Idempotency-Key` header (any unique string, e.g. a UUID) so a retry after a timeout cannot
    count a receipt twice: the same key with the same body answers the first response again (with
    `Idempotent-Replayed: true`) and changes nothing; the same key with another body or SKU is a 422
    `idempotency_key_reused`. A refused adjustment (400, 404, 409) keeps no key and may be retried with it."""

    required_scope = "stock:write"
    serializer_class = StockAdjustSerializer

    @extend_schema(
        operation_id="stock_adjust",
        tags=["stock"],
        request=StockAdjustSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses=dict(
            sorted(
                {
                    **api_responses(
                        {200: StockSerializer}, 400, 404, 409, conflict_examples=ADJUST_CONFLICTS
                    ),
                    422: IDEMPOTENCY_REUSED_RESPONSE,
                }.items()
            )
        ),
        examples=[
            OpenApiExample(
                "damaged",
                value={"delta": -2, "reason": "adjust", "note": "破損 2点", "reference": "INC-1042"},
                request_only=True,
            )
        ],
    )
    def post(self, request, sku: str):
        sku = self.get_sku(sku)
        data = StockAdjustSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        def adjust() -> tuple[int, dict]:
            stock_adjust(
                sku=sku,
                delta=data.validated_data["delta"],
                actor=request_actor(request),
                warehouse=data.validated_data.get("warehouse"),
                reason=data.validated_data["reason"],
                reference=data.validated_data["reference"],
                note=data.validated_data["note"],
            )
            return status.HTTP_200_OK, self.render_rows([sku])[0]

        return idempotent_response(request, adjust)


class StockCountsApi(StockMixin, GenericAPIView):
    """Set counted stock (棚卸) for many SKUs at once, all rows or none. Invalid rows answer 400 and rows
    that cannot be applied (a count below what is allocated) 409 `counts_refused`, each problem with the
    row's index in `field` (e.g. `3.on_hand`)."""

    required_scope = "stock:write"
    serializer_class = StockCountSerializer

    @extend_schema(
        operation_id="stock_counts_set",
        tags=["stock"],
        request=StockCountListSerializer(child=StockCountSerializer()),
        responses=dict(
            sorted(
                {
                    **api_responses(
                        {200: StockSerializer(many=True)}, 409, conflict_examples=COUNTS_CONFLICTS
                    ),
                    400: COUNTS_INVALID,
                }.items()
            )
        ),
        examples=[
            OpenApiExample(
                "counts",
                value=[
                    {"sku": "TSHIRT-BLK-M", "on_hand": 12},
                    {"sku": "HONEY-300G", "on_hand": 40, "warehouse": "MAIN"},
                ],
                request_only=True,
            )
        ],
    )
    def post(self, request):
        data = counts_serializer(request.data)
        data.is_valid(raise_exception=True)
        actions.stock_counts_set(
            rows=data.validated_data, actor=request_actor(request), reference="api:count"
        )
        return Response(self.render_rows([row.sku for row in data.validated_data]))
