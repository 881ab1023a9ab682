"""Admin pages of the inquiry inbox: threads (messages read-only inline), replies (retry / mark sent) and reply
templates (with a preview on a real thread). Every change goes through notifications.inquiry_services."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from notifications.inquiry_replies import reply_preview, reply_template_error
from notifications.inquiry_sending import (
    reply_confirm_sent,
    reply_requeue,
)
from notifications.inquiry_services import (
    inquiry_assign,
    inquiry_close,
    inquiry_set_memo,
)
from notifications.models import InquiryMessage, InquiryThread, ReplyTemplate
from oms.actors import user_actor


class InquiryMessageInline(admin.TabularInline):
    model = InquiryMessage
    extra = 0
    can_delete = False
    fields = ("direction", "body", "sent_at", "state", "error", "created_by", "external_id")
    readonly_fields = fields
    ordering = ("sent_at", "pk")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InquiryThread)
class InquiryThreadAdmin(admin.ModelAdmin):
    list_display = (
        "last_message_at",
        "channel",
        "subject",
        "status",
        "unread",
        "assignee",
        "order",
        "buyer_name",
    )
    list_filter = ("status", "unread", "channel")
    search_fields = ("subject", "external_id", "external_order_id", "buyer_name")
    list_select_related = ("channel", "order", "assignee")
    # Only the assignee and the memo are edited here (through the services); the rest comes from the shop.
    readonly_fields = (
        "channel", "external_id", "order", "external_order_id", "buyer_name", "buyer_contact", "subject",
        "status", "shop_completed", "unread", "last_message_at", "shop_data", "created_at", "updated_at",
    )  # fmt: skip
    fields = ("assignee", "memo", *readonly_fields)
    inlines = [InquiryMessageInline]
    actions = ["close_threads"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        actor = user_actor(request.user)
        if "assignee" in form.changed_data:
            inquiry_assign(thread=obj, assignee=obj.assignee, actor=actor)
        if "memo" in form.changed_data:
            inquiry_set_memo(thread=obj, memo=obj.memo, actor=actor)

    @admin.action(description="完了にする（ショップにも伝える）", permissions=["change"])
    def close_threads(self, request, queryset):
        actor = user_actor(request.user)
        done = sum(inquiry_close(thread=thread, actor=actor) for thread in queryset)
        self.message_user(request, f"{done} 件を完了にしました")


@admin.register(InquiryMessage)
class InquiryMessageAdmin(admin.ModelAdmin):
    """Replies that need a person (failed, or of unknown outcome) are found and settled here."""

    list_display = ("created_at", "thread", "direction", "state", "attempts", "sent_at", "short_error")
    list_filter = ("state", "direction", "thread__channel")
    search_fields = ("body", "external_id", "thread__subject", "thread__external_order_id")
    list_select_related = ("thread",)
    readonly_fields = (
        "thread", "direction", "body", "external_id", "sent_at", "state", "error", "attempts", "claimed_at",
        "retry_at", "outcome_unknown", "reply_key", "template", "created_by", "created_at",
    )  # fmt: skip
    actions = ["resend", "confirm_sent"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="error")
    def short_error(self, obj):
        return obj.error[:80]

    @admin.action(description="再送（送信失敗・送信結果不明の返信）", permissions=["change"])
    def resend(self, request, queryset):
        actor = user_actor(request.user)
        done = sum(reply_requeue(reply=reply, actor=actor) for reply in queryset)
        self.message_user(request, f"{done} 件を再送待ちにしました")

    @admin.action(description="送信済みにする（ショップで届いたのを確認済み）", permissions=["change"])
    def confirm_sent(self, request, queryset):
        actor = user_actor(request.user)
        done = sum(reply_confirm_sent(reply=reply, actor=actor) for reply in queryset)
        self.message_user(request, f"{done} 件を送信済みにしました")


class ReplyTemplateForm(forms.ModelForm):
    class Meta:
        model = ReplyTemplate
        fields = ["code", "name", "body", "enabled"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16, "cols": 100})}

    def clean_body(self) -> str:
        source = self.cleaned_data["body"]
        if error := reply_template_error(source):
            raise forms.ValidationError(f"テンプレートの書式エラー: {error}")
        return source


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    form = ReplyTemplateForm
    list_display = ("code", "name", "enabled", "updated_at")
    list_filter = ("enabled",)
    search_fields = ("code", "name", "body")
    readonly_fields = ("preview",)

    @admin.display(description="プレビュー（注文のある最新の問い合わせで表示）")
    def preview(self, obj):
        if obj.pk is None:
            return "保存するとプレビューできます"
        thread = InquiryThread.objects.select_related("channel").filter(order__isnull=False).first()
        if thread is None:
            return "注文に紐づいた問い合わせがまだありません"
        try:
            text = reply_preview(obj, thread)
        except Exception as exc:  # show the template error to the person editing it
            return f"{type(exc).__name__}: {exc}"
        return format_html("<p>{}</p><pre style='white-space: pre-wrap'>{}</pre>", thread, text)
