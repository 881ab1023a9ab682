"""Inbox forms: the thread list's filters, a thread's status / assignee / memo, and the reply.

Forms only parse what a person typed; notifications.inquiry_services decides what is allowed.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from channels.models import Channel
from notifications.inquiry_selectors import inquiry_assignees, reply_templates
from notifications.models import InquiryThread

Status = InquiryThread.Status

# The statuses in the person's language (the model's labels are the Japanese names the shops' staff use).
STATUS_LABELS = {
    Status.NEW: pgettext_lazy("inquiry", "Unanswered"),
    Status.IN_PROGRESS: pgettext_lazy("inquiry", "In progress"),
    Status.REPLIED: pgettext_lazy("inquiry", "Replied"),
    Status.CLOSED: pgettext_lazy("inquiry", "Done"),
}
NOBODY = "none"


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def _assignee_label(user) -> str:
    return user.get_full_name() or user.get_username()


class InboxFilterForm(forms.Form):
    """The list's filters (GET). Every field is optional; an invalid value is ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    channel = forms.ModelChoiceField(
        label=_("Shop"), queryset=Channel.objects.order_by("name"), required=False, empty_label=_("All shops")
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    unread = forms.BooleanField(label=_("Unread only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("All statuses")),
            ("open", pgettext_lazy("inquiry", "Not done")),
            *STATUS_LABELS.items(),
        ]
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            (NOBODY, _("Nobody")),
            *((str(user.pk), _assignee_label(user)) for user in inquiry_assignees()),
        ]
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("Order number, subject or words of a message"), "type": "search"}
        )

    def filters(self) -> dict:
        """notifications.inquiry_selectors.inquiry_list's filters (a field with an invalid value is left out)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        filters = {name: data[name] for name in ("q", "status", "assignee") if data.get(name)}
        if data.get("channel"):
            filters["channel"] = data["channel"].pk
        if data.get("unread"):
            filters["unread"] = True
        return filters

    def active_filters(self) -> bool:
        return bool(self.filters())


class ThreadUpdateForm(forms.Form):
    """Status (完了 closes the thread, in the shop too), who answers it, and the internal memo."""

    status = forms.ChoiceField(label=_("Status"), choices=list(STATUS_LABELS.items()))
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=inquiry_assignees(), required=False, empty_label=_("Nobody")
    )
    memo = forms.CharField(
        label=_("Internal memo"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only staff see it; it is never sent to the buyer."),
    )

    def __init__(self, *args, thread: InquiryThread, **kwargs):
        kwargs.setdefault(
            "initial", {"status": thread.status, "assignee": thread.assignee_id, "memo": thread.memo}
        )
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = inquiry_assignees()
        self.fields["assignee"].label_from_instance = _assignee_label


class ReplyForm(forms.Form):
    """A reply: written, or a template rendered with the order's variables (and then edited)."""

    template = forms.ModelChoiceField(
        label=_("Reply template"),
        queryset=reply_templates(),
        required=False,
        empty_label=_("(none: write it yourself)"),
    )
    body = forms.CharField(
        label=_("Reply"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 10})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = reply_templates()
