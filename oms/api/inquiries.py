"""Inquiry endpoints (問い合わせ), for a customer-service agency: list (filters, cursor pages), one thread with
its messages, reply (text or a reply template) and close. Writes go through notifications.inquiry_services.

A thread carries only what the shop shows about the buyer (Yahoo: no name); the order is named by id and
number, its buyer data stays behind the `orders:read` scope. A reply is `pending` until the shop accepted it.
"""

from django.core.exceptions import ValidationError
from django.template import TemplateSyntaxError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from notifications.inquiry_replies import reply_text
from notifications.inquiry_selectors import inquiry_get, inquiry_list, reply_templates
from notifications.inquiry_services import inquiry_close, inquiry_reply
from notifications.models import InquiryMessage, InquiryThread
from oms.api.authentication import request_actor, request_user
from oms.api.errors import ApiError
from oms.api.fields import DisplayField
from oms.api.pagination import ApiCursorPagination
from oms.api.schema import api_responses

Status = InquiryThread.Status
State = InquiryMessage.State
# The list's status filter: a status, or `open` for every status but closed (oms.settings names the enum).
STATUS_FILTER_CHOICES = [*Status.choices, ("open", "未完了")]


class InquiryCursorPagination(ApiCursorPagination):
    """Newest threads first (by id: stable while messages keep arriving)."""

    ordering = ("-pk",)

    def position_is_valid(self, position: str) -> bool:
        return position.isdigit()


# ---- output ----------------------------------------------------------------------------------------------


class InquiryOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The order's id (GET /api/v1/orders/{id}/ with `orders:read`).")
    external_id = serializers.CharField(help_text="The shop's order number.")


class InquiryMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    direction = serializers.ChoiceField(
        choices=InquiryMessage.Direction.choices, help_text="`in`: the buyer's; `out`: ours."
    )
    body = serializers.CharField()
    state = serializers.ChoiceField(
        choices=State.choices,
        help_text="`received` (the buyer's); ours: `pending`, `sending`, `sent` (the shop accepted it) or "
        "`failed` (see `error`; retried automatically while `retry_at` is set).",
    )
    sent = serializers.SerializerMethodField(help_text="True once the shop accepted the message.")
    error = serializers.CharField(help_text="Why the last attempt failed, or empty.")
    retry_at = serializers.DateTimeField(allow_null=True, help_text="When a failed reply is tried again.")
    sent_at = serializers.DateTimeField(allow_null=True, help_text="When the shop shows it as sent.")
    template = serializers.CharField(source="template.code", allow_null=True, default=None)
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_sent(self, message: InquiryMessage) -> bool:
        return message.state in (State.SENT, State.RECEIVED)


class InquirySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    channel = serializers.CharField(source="channel.name", help_text="The shop (channel name).")
    marketplace = serializers.CharField(source="channel.kind", help_text="rakuten, yahoo or amazon.")
    external_id = serializers.CharField(help_text="The shop's id of the thread.")
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = DisplayField(choice_field="status", help_text="Japanese status name.")
    unread = serializers.BooleanField()
    order = InquiryOrderSerializer(allow_null=True, help_text="The linked order, or null.")
    external_order_id = serializers.CharField(help_text="The order number the shop names, or empty.")
    buyer_name = serializers.CharField(help_text="As the shop shows it: empty where it hides it (Yahoo).")
    buyer_contact = serializers.CharField(help_text="As the shop shows it (masked or relay address).")
    assignee = serializers.CharField(source="assignee.get_username", allow_null=True, default=None)
    message_count = serializers.IntegerField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class InquiryDetailSerializer(InquirySerializer):
    message_count = serializers.SerializerMethodField()
    memo = serializers.CharField(help_text="Internal memo (never sent to the buyer).")
    messages = InquiryMessageSerializer(source="messages.all", many=True, help_text="Oldest first.")

    @extend_schema_field(OpenApiTypes.INT)
    def get_message_count(self, thread: InquiryThread) -> int:
        return len(thread.messages.all())  # prefetched by inquiry_get


# ---- input -----------------------------------------------------------------------------------------------


class InquiryFilterSerializer(serializers.Serializer):
    channel = serializers.CharField(required=False, help_text="Channel name, e.g. `rakuten`.")
    status = serializers.ChoiceField(
        choices=STATUS_FILTER_CHOICES,
        required=False,
        help_text="A status, or `open`: every status but closed.",
    )
    order = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Only the threads of this order id."
    )
    unread = serializers.BooleanField(required=False, help_text="true: unread only; false: read only.")


class TextField(serializers.CharField):
    """A JSON string, and only a string (DRF's CharField would take a number or a boolean as text)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ReplySerializer(serializers.Serializer):
    body = TextField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=10000,
        help_text="The reply. Leave it out to send the template as it renders for the thread.",
    )
    template = TextField(
        required=False,
        max_length=64,
        help_text="A reply template's id or code; rendered with the order's variables when `body` is empty.",
    )

    def validate_template(self, value: str):
        templates = reply_templates()
        found = templates.filter(pk=int(value)).first() if value.isdigit() else None
        found = found or templates.filter(code=value).first()
        if found is None:
            raise serializers.ValidationError(
                _("No enabled reply template %(template)s.") % {"template": value}
            )
        return found

    def validate(self, data):
        if not (data.get("body") or "").strip() and data.get("template") is None:
            raise serializers.ValidationError({"body": [_("Give a body or a template.")]})
        return data


# ---- views -----------------------------------------------------------------------------------------------

MESSAGE_EXAMPLE = {
    "id": 311,
    "direction": "out",
    "body": "お問い合わせありがとうございます。12月5日にお届けします。",
    "state": "pending",
    "sent": False,
    "error": "",
    "retry_at": None,
    "sent_at": None,
    "template": "shipped",
    "created_at": "2026-11-26T10:20:00+09:00",
}
INQUIRY_EXAMPLE = {
    "id": 42,
    "channel": "yahoo",
    "marketplace": "yahoo",
    "external_id": "T-100042",
    "subject": "配送について",
    "status": "new",
    "status_label": "未対応",
    "unread": True,
    "order": {"id": 1042, "external_id": "sakura-10000042"},
    "external_order_id": "sakura-10000042",
    "buyer_name": "",
    "buyer_contact": "",
    "assignee": None,
    "message_count": 1,
    "last_message_at": "2026-11-26T10:15:00+09:00",
    "created_at": "2026-11-26T10:16:00+09:00",
}
REPLY_REFUSED = [
    OpenApiExample(
        "reply_refused",
        value={
            "error": {
                "code": "reply_refused",
                "message": "楽天の返信に入れられるリンクは楽天のドメイン（https）だけです: https://example.com/",
                "field": "body",
                "details": [],
            }
        },
    )
]


class InquiryMixin:
    required_scope = "inquiries:write"
    filter_backends: list = []

    def get_thread(self, thread_id: int) -> InquiryThread:
        try:
            return inquiry_get(thread_id=thread_id)
        except InquiryThread.DoesNotExist:
            raise NotFound(_("No inquiry with id %(id)s.") % {"id": thread_id}) from None


class InquiryListApi(InquiryMixin, GenericAPIView):
    """Buyer inquiries from every shop, newest thread first. Filters combine (AND). Pages follow `next`."""

    required_scope = "inquiries:read"
    pagination_class = InquiryCursorPagination
    serializer_class = InquirySerializer

    @extend_schema(
        operation_id="inquiries_list",
        tags=["inquiries"],
        parameters=[InquiryFilterSerializer],
        responses=api_responses({200: InquirySerializer(many=True)}, 400),
        examples=[OpenApiExample("page", value=INQUIRY_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        filters = InquiryFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(inquiry_list(filters=filters.validated_data))
        return self.get_paginated_response(InquirySerializer(page, many=True).data)


class InquiryDetailApi(InquiryMixin, GenericAPIView):
    """One thread with its messages both ways, oldest first. Reading it through the API does not mark it read."""

    required_scope = "inquiries:read"
    serializer_class = InquiryDetailSerializer

    @extend_schema(
        operation_id="inquiries_retrieve",
        tags=["inquiries"],
        responses=api_responses({200: InquiryDetailSerializer}, 404),
    )
    def get(self, request, thread_id: int):
        return Response(InquiryDetailSerializer(self.get_thread(thread_id)).data)


class InquiryReplyApi(InquiryMixin, GenericAPIView):
    """Answer the buyer through the shop (Amazon: by e-mail to the relay address). The reply comes back
    `pending`; it is `sent` only once the shop accepted it (poll the thread). The shop's own rules (length,
    links: Rakuten takes only its own domains) and a closed thread answer 409 `reply_refused`, before anything
    is written."""

    serializer_class = ReplySerializer

    @extend_schema(
        operation_id="inquiries_reply",
        tags=["inquiries"],
        request=ReplySerializer,
        responses=api_responses(
            {201: InquiryMessageSerializer}, 400, 404, 409, conflict_examples=REPLY_REFUSED
        ),
        examples=[
            OpenApiExample("text", value={"body": "明日発送いたします。"}, request_only=True),
            OpenApiExample("template", value={"template": "shipped"}, request_only=True),
            OpenApiExample("written", value=MESSAGE_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request, thread_id: int):
        thread = self.get_thread(thread_id)
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        template = data.validated_data.get("template")
        try:
            body = reply_text(thread=thread, body=data.validated_data.get("body") or "", template=template)
            reply = inquiry_reply(
                thread=thread,
                body=body,
                actor=request_actor(request),
                user=request_user(request),
                template=template,
            )
        except TemplateSyntaxError as exc:
            raise ApiError(
                status_code=status.HTTP_409_CONFLICT, code="reply_refused", message=str(exc), field="template"
            ) from None
        except ValidationError as refusal:
            raise ApiError(
                status_code=status.HTTP_409_CONFLICT,
                code="reply_refused",
                message=" ".join(refusal.messages),
                field="body",
                details=[{"field": "body", "code": "reply_refused", "message": m} for m in refusal.messages],
            ) from None
        reply = InquiryMessage.objects.select_related("template").get(pk=reply.pk)
        return Response(InquiryMessageSerializer(reply).data, status=status.HTTP_201_CREATED)


class InquiryCloseApi(InquiryMixin, GenericAPIView):
    """完了: close the thread here and, where the shop has such a step (Rakuten, Yahoo), there too.
    Idempotent: closing a closed thread changes nothing."""

    serializer_class = None

    @extend_schema(
        operation_id="inquiries_close",
        tags=["inquiries"],
        request=None,
        responses=api_responses({200: InquiryDetailSerializer}, 404),
    )
    def post(self, request, thread_id: int):
        inquiry_close(thread=self.get_thread(thread_id), actor=request_actor(request))
        return Response(InquiryDetailSerializer(self.get_thread(thread_id)).data)
