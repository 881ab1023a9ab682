"""Admin pages for mail templates and the outbox."""

from django.contrib import admin

from notifications.models import MailTemplate, OutboundMail


@admin.register(MailTemplate)
class MailTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "subject", "enabled", "updated_at")
    list_filter = ("enabled",)
    search_fields = ("code", "name", "subject")


@admin.register(OutboundMail)
class OutboundMailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "order", "template", "status", "attempts", "sent_at")
    list_filter = ("status", "template")
    search_fields = ("order__external_id", "subject")
    list_select_related = ("order", "template")
    raw_id_fields = ("order",)
    readonly_fields = ("message_id", "last_error", "sent_at", "attempts")
