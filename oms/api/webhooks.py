"""Webhook endpoints: manage subscriptions (secret shown once) and read each delivery with its attempts."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from oms.api.authentication import request_actor
from oms.api.errors import ApiError, ErrorSerializer
from oms.api.fields import StrictBooleanField, StrictCharField
from oms.api.pagination import ApiCursorPagination
from oms.api.schema import ERROR_EXAMPLES, api_responses
from oms.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from oms.webhooks.services import (
    delivery_redeliver,
    subscription_create,
    subscription_delete,
    subscription_rotate_secret,
    subscription_update,
)
from oms.webhooks.transport import AddressRefused

SIGNATURE_HELP = (
    "Each delivery is a POST with a JSON body `{id, event, created_at, data}` and the headers `X-OMS-Event`, "
    "`X-OMS-Delivery` (the delivery id; the same on every retry, deduplicate on it) and "
    '`X-OMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. Verify the '
    "signature over the raw body bytes and reject a `t` older than 5 minutes; answer 2xx within 10 s. "
    "Failures (timeouts, non-2xx) are retried with exponential backoff (30 s, 1, 2, 4 … min), 8 attempts.\n\n"
    "The URL must reach a public address: a host that is, or resolves to, a loopback, private, link-local, "
    "multicast, reserved or unspecified address (IPv4 or IPv6) is refused (400 `address_not_public`), and "
    "every delivery checks the address it connects to again."
)


class StrictURLField(serializers.URLField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# ---- serializers -----------------------------------------------------------------------------------------


class SubscriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    url = StrictURLField(
        max_length=500, help_text="The receiver: an http(s) URL answering 2xx, at a public address."
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        allow_empty=False,
        max_length=len(WebhookEvent.values),
        help_text="The events to receive.",
    )
    active = StrictBooleanField(required=False, default=True)
    created_at = serializers.DateTimeField(read_only=True)

    def validate_url(self, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError(_("Only http and https URLs."), code="invalid_url")
        return value


class SubscriptionUpdateSerializer(SubscriptionSerializer):
    url = StrictURLField(max_length=500, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        allow_empty=False,
        max_length=len(WebhookEvent.values),
        required=False,
    )
    name = StrictCharField(max_length=100, required=False, allow_blank=True)
    active = StrictBooleanField(required=False)


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        help_text="The signing secret. Shown only in this answer (and on rotation): store it now."
    )


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret, shown only now.")


class AttemptSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    duration_ms = serializers.IntegerField()
    status_code = serializers.IntegerField(
        allow_null=True, help_text="The receiver's HTTP status; null if none."
    )
    response_body = serializers.CharField(help_text="The start of the receiver's answer (2,000 characters).")
    error = serializers.CharField(help_text="Timeout, connection error or `HTTP <status>`; empty on success.")


class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The `X-OMS-Delivery` header and the body's `id`.")
    subscription = serializers.IntegerField(source="subscription_id")
    event = serializers.ChoiceField(choices=WebhookEvent.choices)
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    payload = serializers.JSONField(help_text="The event's `data`.")
    attempt_log = AttemptSerializer(many=True, help_text="Every attempt, oldest first.")


class DeliveryFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices, required=False)
    event = serializers.ChoiceField(choices=WebhookEvent.choices, required=False)


# ---- views -----------------------------------------------------------------------------------------------

SUBSCRIPTION_EXAMPLE = {
    "name": "ERP",
    "url": "https://erp.example.jp/oms-webhooks",
    "events": ["order.created", "order.shipped"],
    "active": True,
}


def _invalid_example(name: str, field: str, code: str, message: str) -> OpenApiExample:
    return OpenApiExample(
        name,
        value={
            "error": {
                "code": "validation_error",
                "message": message,
                "field": field,
                "details": [{"field": field, "code": code, "message": message}],
            }
        },
    )


# The subscription's own refusals (the shared 400 example names `note`, which a subscription has not).
SUBSCRIPTION_INVALID = OpenApiResponse(
    ErrorSerializer,
    description=ERROR_EXAMPLES[400][0],
    examples=[
        _invalid_example(
            "address_not_public",
            "url",
            "address_not_public",
            "127.0.0.1 is a loopback address; webhooks can only be sent to public addresses.",
        ),
        _invalid_example("invalid_url", "url", "invalid_url", "Only http and https URLs."),
        _invalid_example(
            "invalid_choice", "events.0", "invalid_choice", '"order.exploded" is not a valid choice.'
        ),
    ],
)


def url_refusal(exc: AddressRefused) -> ValidationError:
    """The 400 of a URL the services refused, shaped like any other invalid field."""
    return ValidationError({"url": [ErrorDetail(exc.message(), code="address_not_public")]})


class IdCursorPagination(ApiCursorPagination):
    ordering = ("-pk",)

    def position_is_valid(self, position: str) -> bool:
        return position.isdigit()


class WebhookMixin:
    required_scope = "webhooks:manage"
    filter_backends: list = []

    def get_subscription(self, subscription_id: int) -> WebhookSubscription:
        try:
            return WebhookSubscription.objects.get(pk=subscription_id)
        except WebhookSubscription.DoesNotExist:
            raise NotFound(_("No webhook subscription with id %(id)s.") % {"id": subscription_id}) from None


class WebhookListApi(WebhookMixin, GenericAPIView):
    __doc__ = f"""Webhook subscriptions, newest first; POST makes one and answers its secret, once.

    {SIGNATURE_HELP}"""

    pagination_class = IdCursorPagination
    serializer_class = SubscriptionSerializer

    @extend_schema(
        operation_id="webhooks_list",
        tags=["webhooks"],
        responses=api_responses({200: SubscriptionSerializer(many=True)}, 400),
    )
    def get(self, request):
        page = self.paginate_queryset(WebhookSubscription.objects.all())
        return self.get_paginated_response(SubscriptionSerializer(page, many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        tags=["webhooks"],
        request=SubscriptionSerializer,
        responses=dict(
            sorted({**api_responses({201: SubscriptionCreatedSerializer}), 400: SUBSCRIPTION_INVALID}.items())
        ),
        examples=[OpenApiExample("ERP", value=SUBSCRIPTION_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        data = SubscriptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            subscription, secret = subscription_create(**data.validated_data, actor=request_actor(request))
        except AddressRefused as exc:
            raise url_refusal(exc) from None
        body = {**SubscriptionSerializer(subscription).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookDetailApi(WebhookMixin, GenericAPIView):
    """One subscription: read, change (any field; `active: false` pauses it), delete (with its deliveries).
    A new URL must reach a public address, as when subscribing (400 `address_not_public`)."""

    serializer_class = SubscriptionSerializer

    @extend_schema(
        operation_id="webhooks_retrieve",
        tags=["webhooks"],
        responses=api_responses({200: SubscriptionSerializer}, 404),
    )
    def get(self, request, subscription_id: int):
        return Response(SubscriptionSerializer(self.get_subscription(subscription_id)).data)

    @extend_schema(
        operation_id="webhooks_partial_update",
        tags=["webhooks"],
        request=SubscriptionUpdateSerializer,
        responses=dict(
            sorted({**api_responses({200: SubscriptionSerializer}, 404), 400: SUBSCRIPTION_INVALID}.items())
        ),
        examples=[OpenApiExample("pause", value={"active": False}, request_only=True)],
    )
    def patch(self, request, subscription_id: int):
        subscription = self.get_subscription(subscription_id)
        data = SubscriptionUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            subscription = subscription_update(subscription=subscription, **data.validated_data)
        except AddressRefused as exc:
            raise url_refusal(exc) from None
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(
        operation_id="webhooks_destroy",
        tags=["webhooks"],
        responses=api_responses({204: None}, 404),
    )
    def delete(self, request, subscription_id: int):
        subscription_delete(subscription=self.get_subscription(subscription_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretApi(WebhookMixin, GenericAPIView):
    """A new signing secret, answered once; deliveries signed from now on use it."""

    serializer_class = None

    @extend_schema(
        operation_id="webhooks_rotate_secret",
        tags=["webhooks"],
        request=None,
        responses=api_responses({200: SecretSerializer}, 404),
    )
    def post(self, request, subscription_id: int):
        secret = subscription_rotate_secret(subscription=self.get_subscription(subscription_id))
        return Response({"secret": secret})


class WebhookDeliveryListApi(WebhookMixin, GenericAPIView):
    """The subscription's deliveries, newest first, each with every attempt's status code and answer."""

    pagination_class = IdCursorPagination
    serializer_class = DeliverySerializer

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        tags=["webhooks"],
        parameters=[DeliveryFilterSerializer],
        responses=api_responses({200: DeliverySerializer(many=True)}, 400, 404),
    )
    def get(self, request, subscription_id: int):
        subscription = self.get_subscription(subscription_id)
        filters = DeliveryFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        deliveries = WebhookDelivery.objects.filter(
            subscription=subscription, **filters.validated_data
        ).prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number", "pk")))
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


class WebhookRedeliverApi(WebhookMixin, GenericAPIView):
    """Send a failed or delivered delivery again (same id and body). 409 `not_redeliverable` while it is
    still pending or being delivered."""

    serializer_class = None

    @extend_schema(
        operation_id="webhooks_deliveries_redeliver",
        tags=["webhooks"],
        request=None,
        responses=api_responses(
            {202: DeliverySerializer},
            404,
            409,
            conflict_examples=[
                OpenApiExample(
                    "not_redeliverable",
                    value={
                        "error": {
                            "code": "not_redeliverable",
                            "message": "The delivery is still pending.",
                            "field": None,
                            "details": [],
                        }
                    },
                )
            ],
        ),
    )
    def post(self, request, subscription_id: int, delivery_id: int):
        subscription = self.get_subscription(subscription_id)
        try:
            delivery = subscription.deliveries.get(pk=delivery_id)
        except WebhookDelivery.DoesNotExist:
            raise NotFound(_("No delivery with id %(id)s.") % {"id": delivery_id}) from None
        if not delivery_redeliver(delivery=delivery):
            raise ApiError(
                status_code=status.HTTP_409_CONFLICT,
                code="not_redeliverable",
                message=_("The delivery is still pending."),
            )
        delivery = WebhookDelivery.objects.prefetch_related("attempt_log").get(pk=delivery.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
