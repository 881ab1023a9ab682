"""Admin pages for mail templates (with a preview on a real order) and the outbox (with resend actions); the
inquiry inbox's pages are in notifications.inquiry_admin."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from notifications.models import MailTemplate, OutboundMail
from notifications.rendering import mail_render, template_syntax_error
from notifications.services import mail_confirm_sent, mail_requeue
from oms.actors import user_actor
from orders.models import Order


class MailTemplateForm(forms.ModelForm):
    class Meta:
        model = MailTemplate
        fields = ["code", "name", "subject", "body", "enabled"]
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "cols": 100})}

    def _compiled(self, field: str) -> str:
        source = self.cleaned_data[field]
        error = template_syntax_error(source)
        if error:
            raise forms.ValidationError(f"テンプレートの書式エラー: {error}")
        return source

    def clean_subject(self) -> str:
        return self._compiled("subject")

    def clean_body(self) -> str:
        return self._compiled("body")


def preview_extra_context() -> dict:
    """Values a real caller passes in extra_context, made up for the preview."""
    return {"new_delivery_date": timezone.localdate() + timedelta(days=3)}


@admin.register(MailTemplate)
class MailTemplateAdmin(admin.ModelAdmin):
    form = MailTemplateForm
    list_display = ("code", "name", "subject", "enabled", "updated_at")
    list_filter = ("enabled",)
    search_fields = ("code", "name", "subject")
    readonly_fields = ("preview_link",)

    def get_urls(self):
        preview = path(
            "<path:object_id>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="notifications_mailtemplate_preview",
        )
        return [preview, *super().get_urls()]

    @admin.display(description="プレビュー")
    def preview_link(self, obj):
        if obj.pk is None:
            return "保存するとプレビューできます"
        url = reverse("admin:notifications_mailtemplate_preview", args=[obj.pk])
        return format_html('<a href="{}">実際の注文で表示する</a>', url)

    def preview_view(self, request, object_id):
        """The saved template rendered on the order `?order=<id>` (the newest order when none is given)."""
        template = get_object_or_404(MailTemplate, pk=object_id)
        if not self.has_view_permission(request, template):
            raise PermissionDenied
        order_id = request.GET.get("order", "").strip()
        orders = Order.objects.select_related("channel")
        order = orders.filter(pk=order_id).first() if order_id.isdigit() else orders.order_by("-pk").first()
        rendered, error = None, ""
        if order is None:
            error = f"注文 {order_id} が見つかりません" if order_id else "注文がまだありません"
        else:
            try:
                rendered = mail_render(template=template, order=order, extra_context=preview_extra_context())
            except Exception as exc:  # show the template error to the person editing it
                error = f"{type(exc).__name__}: {exc}"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": template,
            "title": f"プレビュー: {template.name}",
            "mail_template": template,
            "order": order,
            "order_id": order_id or (order.pk if order else ""),
            "rendered": rendered,
            "error": error,
            "extra_context": preview_extra_context(),
        }
        return TemplateResponse(request, "admin/notifications/mailtemplate/preview.html", context)


@admin.register(OutboundMail)
class OutboundMailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "order", "template", "status", "attempts", "sent_at", "short_error")
    list_filter = ("status", "template")
    search_fields = ("order__external_id", "subject", "message_id")
    list_select_related = ("order", "template")
    # Status changes go through the services (the actions below), never through this form.
    readonly_fields = (
        "order",
        "template",
        "to",
        "subject",
        "body",
        "status",
        "attempts",
        "message_id",
        "last_error",
        "created_at",
        "sent_at",
    )
    actions = ["resend", "confirm_sent"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="last error")
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.action(description="再送（送信失敗・送信結果不明のメール）", permissions=["change"])
    def resend(self, request, queryset):
        actor = user_actor(request.user)
        done = 0
        for mail in queryset:
            try:
                done += mail_requeue(mail=mail, actor=actor)
            except Exception as exc:  # e.g. the template still does not compile
                self.message_user(request, f"{mail}: {exc}", messages.ERROR)
        self.message_user(request, f"{done} 件を再送待ちにしました")

    @admin.action(description="送信済みにする（メールサーバーのログで確認済み）", permissions=["change"])
    def confirm_sent(self, request, queryset):
        actor = user_actor(request.user)
        done = sum(mail_confirm_sent(mail=mail, actor=actor) for mail in queryset)
        self.message_user(request, f"{done} 件を送信済みにしました")


from notifications import inquiry_admin  # noqa: E402, F401  (registers the inbox's pages)
