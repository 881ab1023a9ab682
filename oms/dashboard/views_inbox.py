"""The inbox (問い合わせ): every shop's buyer questions in one list, one thread with its messages both ways, and
the reply: a template rendered with the order's variables, the one-click tracking number, a preview, then send.

Writes go through notifications.inquiry_services; a reply is shown as sent only once the shop accepted it
(notifications.inquiry_sending). A thread shows only what the shop shows about the buyer (Yahoo: no name), so
the order's own buyer data (name, address) stays on the order slip.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateSyntaxError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels.models import Channel
from notifications.inquiry_replies import reply_problems, reply_render, reply_text, tracking_offer
from notifications.inquiry_selectors import inquiry_counts, inquiry_get, inquiry_list
from notifications.inquiry_sending import reply_confirm_sent, reply_requeue
from notifications.inquiry_services import (
    inquiry_assign,
    inquiry_close,
    inquiry_mark_read,
    inquiry_reply,
    inquiry_set_memo,
    inquiry_set_status,
)
from notifications.models import InquiryMessage, InquiryThread
from oms.actors import user_actor
from oms.dashboard.forms_inbox import (
    STATUS_LABELS,
    InboxFilterForm,
    ReplyForm,
    ThreadUpdateForm,
    status_label,
)
from oms.dashboard.views_orders import _querystring
from oms.roles import capability_required

PAGE_SIZE = 50
Status = InquiryThread.Status
State = InquiryMessage.State


@dataclass(frozen=True)
class Preview:
    text: str
    problems: list[str]


def _thread_url(thread_pk: int) -> str:
    return reverse("dashboard:inbox_thread", args=[thread_pk])


def _load(thread_pk: int) -> InquiryThread:
    try:
        return inquiry_get(thread_id=thread_pk)
    except InquiryThread.DoesNotExist:
        raise Http404 from None


def _label(threads) -> None:
    for thread in threads:
        thread.status_label = status_label(thread.status)


@require_GET
@capability_required("inquiries")
def inbox(request):
    form = InboxFilterForm(request.GET or None)
    filters = form.filters()
    page = Paginator(inquiry_list(filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    threads = list(page.object_list)
    _label(threads)
    counts = inquiry_counts()
    channels = list(Channel.objects.order_by("name"))
    context = {
        "form": form,
        "page": page,
        "threads": threads,
        "counts": counts,
        "status_tabs": [
            {
                "status": status,
                "label": label,
                "count": counts.by_status.get(status, 0),
                "query": _querystring(request.GET, status=status, page=None),
            }
            for status, label in STATUS_LABELS.items()
        ],
        "current_status": filters.get("status", ""),
        "unread_by_shop": [
            {"channel": channel, "unread": counts.unread_by_channel.get(channel.name, 0)}
            for channel in channels
        ],
        "page_query": _querystring(request.GET, page=None),
    }
    return render(request, "dashboard/inbox.html", context)


def _thread_context(request, thread: InquiryThread, *, reply_form=None, preview=None) -> dict:
    thread.status_label = status_label(thread.status)
    order = thread.order
    shipments = []
    if order is not None:
        shipments = list(order.shipments.select_related("carrier").order_by("pk"))
        for shipment in shipments:
            shipment.tracking_link = shipment.carrier.tracking_url(shipment.tracking_number)
    return {
        "thread": thread,
        "thread_messages": list(thread.messages.all()),
        "order": order,
        "shipments": shipments,
        "offer": tracking_offer(thread=thread),
        "update_form": ThreadUpdateForm(thread=thread),
        "reply_form": reply_form or ReplyForm(),
        "preview": preview,
        "closed": thread.status == Status.CLOSED,
    }


@require_GET
@capability_required("inquiries")
def inbox_thread(request, thread_pk: int):
    thread = _load(thread_pk)
    if thread.unread:
        inquiry_mark_read(thread=thread)  # opened by a person: read
        thread.unread = False
    return render(request, "dashboard/inbox_thread.html", _thread_context(request, thread))


@require_http_methods(["GET", "POST"])
@capability_required("inquiries")
def inbox_preview(request, thread_pk: int):
    """The reply as it would go out, with the shop's objections, before anything is written. `action`:
    `template` fills the text with the chosen template, `tracking` adds the tracking number sentence,
    anything else previews the text as written (or the template, when nothing is written). The reply form
    comes back with the text (an htmx fragment, or the whole thread page without JavaScript)."""
    thread = _load(thread_pk)
    data = request.POST if request.method == "POST" else request.GET
    form = ReplyForm(data)
    form.is_valid()
    template = form.cleaned_data.get("template")
    body = form.cleaned_data.get("body") or ""
    action = data.get("action", "")
    problems = []
    try:
        if action == "template" and template is not None:
            body = reply_render(template=template, thread=thread)
        elif action == "tracking":
            offer = tracking_offer(thread=thread)
            if offer is not None:
                body = f"{body.rstrip()}\n\n{offer.text}" if body.strip() else offer.text
        text = reply_text(thread=thread, body=body, template=template)
    except TemplateSyntaxError as exc:
        text, problems = body, [_("The template cannot be rendered: %(error)s") % {"error": exc}]
    preview = Preview(text=text, problems=problems + reply_problems(thread=thread, body=text))
    reply_form = ReplyForm(initial={"template": template, "body": text})
    context = _thread_context(request, thread, reply_form=reply_form, preview=preview)
    if request.headers.get("HX-Request"):
        return render(request, "dashboard/inbox_reply_form.html", context)
    return render(request, "dashboard/inbox_thread.html", context)


@require_POST
@capability_required("inquiries")
def inbox_reply(request, thread_pk: int):
    thread = get_object_or_404(InquiryThread.objects.select_related("channel"), pk=thread_pk)
    form = ReplyForm(request.POST)
    form.is_valid()
    template = form.cleaned_data.get("template")
    try:
        text = reply_text(thread=thread, body=form.cleaned_data.get("body") or "", template=template)
    except TemplateSyntaxError as exc:
        messages.error(request, _("The template cannot be rendered: %(error)s") % {"error": exc})
        return redirect(_thread_url(thread.pk))
    if not text.strip():
        messages.error(request, _("Write a reply or choose a template."))
        return redirect(_thread_url(thread.pk))
    previewed = request.POST.get("previewed")
    if previewed is None or reply_text(thread=thread, body=previewed, template=None) != text:
        # Nothing goes out that the person has not seen as it will be sent: show it first.
        messages.info(request, _("Check the reply as it will be sent, then send it."))
        return _preview_page(request, thread, text=text, template=template)
    try:
        reply = inquiry_reply(
            thread=thread, body=text, actor=user_actor(request.user), user=request.user, template=template
        )
    except ValidationError as refusal:
        # Shown again with the shop's objections, so nothing typed is lost.
        return _preview_page(
            request, thread, text=text, template=template, problems=refusal.messages, status=409
        )
    reply.refresh_from_db(fields=["state"])
    if reply.state == State.SENT:
        messages.success(request, _("The reply was sent; the shop accepted it."))
    else:
        messages.success(request, _("The reply is on its way; it shows as sent once the shop accepts it."))
    return redirect(_thread_url(thread.pk))


@require_POST
@capability_required("inquiries")
def inbox_update(request, thread_pk: int):
    """Status, assignee and memo: each changed field through its service."""
    thread = get_object_or_404(InquiryThread, pk=thread_pk)
    form = ThreadUpdateForm(request.POST, thread=thread)
    if not form.is_valid():
        messages.error(request, _("Nothing was changed: %(errors)s") % {"errors": _errors(form)})
        return redirect(_thread_url(thread.pk))
    actor = user_actor(request.user)
    changed = form.changed_data
    if "assignee" in changed:
        thread = inquiry_assign(thread=thread, assignee=form.cleaned_data["assignee"], actor=actor)
    if "memo" in changed:
        thread = inquiry_set_memo(thread=thread, memo=form.cleaned_data["memo"], actor=actor)
    if "status" in changed:
        status = form.cleaned_data["status"]
        if status == Status.CLOSED:
            inquiry_close(thread=thread, actor=actor)
        else:
            inquiry_set_status(thread=thread, status=status, actor=actor)
    if changed:
        messages.success(request, _("Saved."))
    else:
        messages.info(request, _("Nothing was changed."))
    return redirect(_thread_url(thread.pk))


@require_POST
@capability_required("inquiries")
def inbox_reply_settle(request, thread_pk: int, message_pk: int):
    """A reply that failed, or whose outcome is unknown: send it again, or say it did reach the buyer."""
    reply = get_object_or_404(
        InquiryMessage, pk=message_pk, thread_id=thread_pk, direction=InquiryMessage.Direction.OUT
    )
    actor = user_actor(request.user)
    if request.POST.get("action") == "confirm":
        done = reply_confirm_sent(reply=reply, actor=actor)
        text = _("Marked as sent.")
    else:
        done = reply_requeue(reply=reply, actor=actor)
        text = _("The reply will be sent again.")
    if done:
        messages.success(request, text)
    else:
        messages.info(request, _("The reply is not waiting for a decision."))
    return redirect(_thread_url(thread_pk))


def _preview_page(request, thread, *, text: str, template, problems=None, status: int = 200):
    problems = problems if problems is not None else reply_problems(thread=thread, body=text)
    reply_form = ReplyForm(initial={"template": template, "body": text})
    preview = Preview(text=text, problems=list(problems))
    context = _thread_context(request, _load(thread.pk), reply_form=reply_form, preview=preview)
    return render(request, "dashboard/inbox_thread.html", context, status=status)


def _errors(form) -> str:
    return " ".join(f"{form.fields[name].label if name in form.fields else ''} {' '.join(errors)}".strip()
                    for name, errors in form.errors.items())  # fmt: skip
