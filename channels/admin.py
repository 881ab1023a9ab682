"""Admin pages for channels (credentials are write-only), listings and sync cursors."""

import json

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from channels.models import Channel, ChannelAlert, Listing, QuarantinedPayload, SyncCursor
from channels.services import channel_schedule_sync


class ChannelForm(forms.ModelForm):
    base_url = forms.URLField(label=_("API base URL"), max_length=255, assume_scheme="https")
    new_credentials = forms.CharField(
        label=_("new credentials (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text=_(
            "Write-only: stored encrypted and never shown again. Leave empty to keep the current ones."
        ),
    )

    class Meta:
        model = Channel
        fields = (
            "kind",
            "name",
            "display_name",
            "base_url",
            "enabled",
            "poll_interval_seconds",
            "stock_buffer",
            "stock_percent",
            "stock_cap",
            "default_carrier",
            "credentials_expire_at",
            "personal_data_retention_days",
        )

    def clean_new_credentials(self):
        raw = self.cleaned_data["new_credentials"].strip()
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc.msg}) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Credentials are a JSON object."))
        return value

    def save(self, commit=True):
        channel = super().save(commit=False)
        if self.cleaned_data.get("new_credentials"):
            channel.credentials = self.cleaned_data["new_credentials"]
        if commit:
            channel.save()
        return channel


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = (
        "name",
        "kind",
        "enabled",
        "healthy",
        "poll_interval_seconds",
        "last_polled_at",
        "last_pushed_at",
    )
    list_filter = ("kind", "enabled", "healthy")
    search_fields = ("name", "display_name")
    readonly_fields = ("healthy", "health_error", "last_polled_at", "last_pushed_at", "has_credentials")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        channel_schedule_sync(channel=obj)

    @admin.display(description=_("credentials set"), boolean=True)
    def has_credentials(self, obj):
        return bool(obj.credentials_encrypted)


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = (
        "channel",
        "sku",
        "external_item_id",
        "external_variant_id",
        "last_pushed_quantity",
        "last_pushed_at",
        "needs_push",
    )
    list_filter = ("channel", "needs_push")
    search_fields = ("sku__code", "external_item_id", "external_variant_id")
    list_select_related = ("channel", "sku")
    autocomplete_fields = ("sku",)


@admin.register(SyncCursor)
class SyncCursorAdmin(admin.ModelAdmin):
    list_display = ("channel", "feed", "position", "updated_at")
    list_filter = ("channel", "feed")
    list_select_related = ("channel",)


@admin.register(QuarantinedPayload)
class QuarantinedPayloadAdmin(admin.ModelAdmin):
    list_display = ("updated_at", "channel", "external_id", "short_error", "attempts", "resolved_at")
    list_filter = ("channel", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("external_id", "error")
    list_select_related = ("channel",)
    readonly_fields = ("channel", "external_id", "payload", "error", "attempts", "created_at", "resolved_at")
    actions = ["retry_import"]

    @admin.display(description=_("error"))
    def short_error(self, obj):
        return obj.error[:120]

    @admin.action(description=_("Import the selected payloads again"))
    def retry_import(self, request, queryset):
        from channels.sync import quarantine_retry

        rows = list(queryset.filter(resolved_at__isnull=True).select_related("channel"))
        imported = sum(quarantine_retry(row=row) for row in rows)
        self.message_user(request, _("%(ok)d of %(total)d imported.") % {"ok": imported, "total": len(rows)})


@admin.register(ChannelAlert)
class ChannelAlertAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "kind", "message", "resolved_at")
    list_filter = ("channel", "kind", ("resolved_at", admin.EmptyFieldListFilter))
    list_select_related = ("channel",)
    search_fields = ("message",)
