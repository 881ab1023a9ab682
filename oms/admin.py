"""Admin for API keys (creating one shows the key once, never stored; revoking is an action) and for the
dead letters of tasks that failed for good (run again or dismiss)."""

from django import forms
from django.contrib import admin, messages
from django.template import engines
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from oms.actors import user_actor
from oms.api.keys import api_key_create, api_key_revoke
from oms.failed_tasks import failed_task_dismiss, failed_task_retry
from oms.models import ApiKey, FailedTask, Scope

CREATED_TEMPLATE = """{% extends "admin/base_site.html" %}
{% block content %}
<p>{{ intro }}</p>
<p><code id="api-key" style="font-size:1.2em;user-select:all">{{ raw_key }}</code></p>
<p><strong>{{ warning }}</strong></p>
<p>{{ scopes_label }}: {{ api_key.scopes|join:", " }}</p>
<p>{{ usage }} <code>Authorization: Token {{ raw_key }}</code></p>
<p><a href="{{ changelist_url }}">{{ back }}</a></p>
{% endblock %}"""


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiKey
        fields = ("name", "scopes")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "scope_list", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ["revoke"]

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    def get_readonly_fields(self, request, obj=None):
        # A revoked key stays revoked; its name and scopes are history.
        if obj is not None and obj.revoked_at is not None:
            return (*self.readonly_fields, "name", "scopes")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created, raw_key = api_key_create(
            name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"], actor=user_actor(request.user)
        )
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False
        request._oms_new_api_key = raw_key  # shown once by response_add, kept nowhere

    def response_add(self, request, obj, post_url_continue=None):
        raw_key = getattr(request, "_oms_new_api_key", None)
        if raw_key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": _("API key created"),
            "api_key": obj,
            "raw_key": raw_key,
            "changelist_url": "../",
            "intro": gettext("The API key for %(name)s:") % {"name": obj.name},
            "warning": gettext("Copy it now: it is stored only as a hash and cannot be shown again."),
            "scopes_label": gettext("Scopes"),
            "usage": gettext("Send it as"),
            "back": gettext("Back to the API keys"),
            "opts": self.model._meta,
        }
        template = engines["django"].from_string(CREATED_TEMPLATE)
        response = TemplateResponse(request, template, context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke the selected API keys"), permissions=["change"])
    def revoke(self, request, queryset):
        keys = list(queryset.filter(revoked_at__isnull=True))
        for api_key in keys:
            api_key_revoke(api_key=api_key)
        self.message_user(
            request,
            ngettext("%(count)d API key revoked.", "%(count)d API keys revoked.", len(keys))
            % {"count": len(keys)},
            messages.SUCCESS,
        )


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin):
    """Dead letters: what failed, how often, the error; run again (tasks are idempotent) or dismiss."""

    list_display = (
        "task_name",
        "args",
        "failures",
        "exception_line",
        "failed_at",
        "resolved_at",
        "resolution",
    )
    list_filter = (("resolved_at", admin.EmptyFieldListFilter), "task_name")
    search_fields = ("task_name", "task_id", "exception")
    readonly_fields = [f.name for f in FailedTask._meta.fields]
    actions = ["run_again", "dismiss"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("exception"))
    def exception_line(self, obj: FailedTask) -> str:
        return obj.exception.splitlines()[0][:120] if obj.exception else ""

    @admin.action(description=_("Run the selected tasks again"), permissions=["change"])
    def run_again(self, request, queryset):
        sent = 0
        for failed in queryset.filter(resolved_at__isnull=True):
            try:
                failed_task_retry(failed=failed)
            except ValueError as exc:
                self.message_user(request, f"{failed}: {exc}", messages.WARNING)
                continue
            sent += 1
        self.message_user(
            request,
            ngettext("%(count)d task sent again.", "%(count)d tasks sent again.", sent) % {"count": sent},
            messages.SUCCESS,
        )

    @admin.action(description=_("Dismiss the selected failures"), permissions=["change"])
    def dismiss(self, request, queryset):
        failures = list(queryset.filter(resolved_at__isnull=True))
        for failed in failures:
            failed_task_dismiss(failed=failed)
        self.message_user(
            request,
            ngettext("%(count)d failure dismissed.", "%(count)d failures dismissed.", len(failures))
            % {"count": len(failures)},
            messages.SUCCESS,
        )


from oms.webhooks import admin as webhook_admin  # noqa: E402, F401  (registers the webhook admin)
