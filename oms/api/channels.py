"""Channel health (read-only): is each shop polled and pushed, and the last error. Never credentials."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from channels.models import Channel
from oms.api import selectors
from oms.api.pagination import NameCursorPagination
from oms.api.schema import api_responses


class ChannelHealthSerializer(serializers.Serializer):
    name = serializers.CharField()
    display_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Channel.Kind.choices)
    enabled = serializers.BooleanField()
    healthy = serializers.BooleanField(
        help_text="False after a poll or push failed; true again after a success."
    )
    health_error = serializers.CharField(help_text="The last error, or empty.")
    last_polled_at = serializers.DateTimeField(allow_null=True, help_text="Last successful order poll.")
    last_pushed_at = serializers.DateTimeField(allow_null=True, help_text="Last stock push.")
    credentials_expire_at = serializers.DateTimeField(
        allow_null=True, help_text="When the shop's API credentials expire (renew before)."
    )


CHANNEL_EXAMPLE = {
    "name": "rakuten",
    "display_name": "楽天市場店",
    "kind": "rakuten",
    "enabled": True,
    "healthy": True,
    "health_error": "",
    "last_polled_at": "2026-11-26T10:16:00+09:00",
    "last_pushed_at": "2026-11-26T10:16:05+09:00",
    "credentials_expire_at": "2027-02-01T00:00:00+09:00",
}


class ChannelMixin:
    required_scope = "channels:read"
    filter_backends: list = []
    serializer_class = ChannelHealthSerializer


class ChannelListApi(ChannelMixin, GenericAPIView):
    """Every channel (shop) with its health."""

    pagination_class = NameCursorPagination

    @extend_schema(
        operation_id="channels_list",
        tags=["channels"],
        responses=api_responses({200: ChannelHealthSerializer(many=True)}, 400),
        examples=[OpenApiExample("page", value=CHANNEL_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.channel_list())
        return self.get_paginated_response(ChannelHealthSerializer(page, many=True).data)


class ChannelDetailApi(ChannelMixin, GenericAPIView):
    """One channel's health."""

    @extend_schema(
        operation_id="channels_retrieve",
        tags=["channels"],
        responses=api_responses({200: ChannelHealthSerializer}, 404),
        examples=[OpenApiExample("channel", value=CHANNEL_EXAMPLE, response_only=True)],
    )
    def get(self, request, name: str):
        channel = selectors.channel_list().filter(name=name).first()
        if channel is None:
            raise NotFound(_("No channel %(name)s.") % {"name": name})
        return Response(ChannelHealthSerializer(channel).data)
