"""Admin for webhooks: subscriptions (the secret is shown once, in the message after saving a new one or
rotating), and deliveries with their attempts (read-only; "send again" is an action)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from oms.actors import user_actor
from oms.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from oms.webhooks.services import (
    delivery_redeliver,
    subscription_create,
    subscription_rotate_secret,
    subscription_update,
)
from oms.webhooks.transport import AddressRefused, url_check


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "events", "active")

    def clean_url(self) -> str:
        """The services refuse an internal address too; checked here so the form shows it at the field."""
        url = self.cleaned_data["url"]
        if url and not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("Only http and https URLs."), code="invalid_url")
        if url and url != self.initial.get("url"):
            try:
                url_check(url)
            except AddressRefused as exc:
                raise forms.ValidationError(exc.message(), code="address_not_public") from None
        return url


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("__str__", "url", "event_list", "active", "created_at")
    list_filter = ("active",)
    readonly_fields = ("created_at", "created_by")
    actions = ["rotate_secret"]

    @admin.display(description=_("events"))
    def event_list(self, obj: WebhookSubscription) -> str:
        return ", ".join(obj.events)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ("name", "url", "events", "active")}
        if change:
            subscription_update(subscription=obj, **data)
            return
        created, secret = subscription_create(**data, actor=user_actor(request.user))
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False
        self._show_secret(request, created, secret)

    def _show_secret(self, request, subscription, secret: str) -> None:
        self.message_user(
            request,
            gettext("Signing secret of %(name)s (copy it now, it is not shown again): %(secret)s")
            % {"name": subscription, "secret": secret},
            messages.WARNING,
        )

    @admin.action(description=_("Rotate the signing secret"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        for subscription in queryset:
            self._show_secret(request, subscription, subscription_rotate_secret(subscription=subscription))


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "duration_ms", "status_code", "error", "response_body")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("pk", "event", "subscription", "status", "attempts", "last_status_code", "created_at")
    list_filter = ("status", "event")
    list_select_related = ("subscription",)
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Send the selected deliveries again"), permissions=["view"])
    def redeliver(self, request, queryset):
        count = sum(delivery_redeliver(delivery=delivery) for delivery in queryset)
        self.message_user(
            request,
            ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
