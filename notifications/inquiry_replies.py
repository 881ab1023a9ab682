"""Reply templates (返信テンプレート): rendered on a thread with its order's variables, previewed before sending,
and the one-click tracking number offer.

Variables (plain text, autoescape off):
  shop_name        the shop's display name
  buyer_name       the buyer as the shop shows them: empty for Yahoo (write {% if buyer_name %}..{% endif %})
  subject          the thread's subject
  order_number     the shop's order number ("" when the thread names none)
  ordered_at       when the order was placed
  delivery_date    the wished delivery date (a date, or None); delivery_time its time slot ("14時～16時")
  carrier_name, tracking_number, tracking_url   the newest parcel with a tracking number
  tracking_links   every parcel: [{carrier, number, url}]
  shipped_at       when the newest parcel left
  items            [{name, quantity}]
Only what the shop shows the seller about the buyer is offered: no address, phone or e-mail, and no name
where the shop hides it. Links a shop does not take in replies (Rakuten: only its own domains) are left
out: tracking_url is empty there, and the tracking number and carrier remain.
"""

from dataclasses import dataclass

from django.db.models import F, Prefetch
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation

from channels.adapters.inquiries import inquiry_adapter_for
from notifications.models import InquiryThread, ReplyTemplate
from orders.models import CUSTOMER_LANGUAGE, Order, in_japanese
from shipping.models import Shipment


@dataclass(frozen=True)
class TrackingLink:
    carrier: str
    number: str
    url: str


@dataclass(frozen=True)
class TrackingOffer:
    """The tracking number of the thread's order, ready to go into a reply in one click."""

    carrier: str
    number: str
    url: str  # "" where the shop does not take the carrier's link
    text: str  # the sentence to insert


def _order(thread: InquiryThread) -> Order | None:
    if thread.order_id is None:
        return None
    shipments = Shipment.objects.select_related("carrier").order_by(
        F("shipped_at").desc(nulls_last=True), "-pk"
    )
    return (
        Order.objects.select_related("channel")
        .prefetch_related("lines", Prefetch("shipments", queryset=shipments))
        .filter(pk=thread.order_id)
        .first()
    )


def _links(thread: InquiryThread, order: Order | None) -> list[TrackingLink]:
    if order is None:
        return []
    adapter = inquiry_adapter_for(thread.channel)
    links = []
    for shipment in order.shipments.all():
        if not shipment.tracking_number:
            continue
        url = shipment.carrier.tracking_url(shipment.tracking_number)
        links.append(
            TrackingLink(
                carrier=shipment.carrier.name,
                number=shipment.tracking_number,
                url=url if url and adapter.link_allowed(url) else "",
            )
        )
    return links


def reply_context(*, thread: InquiryThread) -> dict:
    """What a reply template can use (module docstring)."""
    order = _order(thread)
    links = _links(thread, order)
    newest = links[0] if links else None
    shipped = [s for s in order.shipments.all() if s.tracking_number] if order else []
    return {
        "shop_name": thread.channel.display_name or thread.channel.name,
        "buyer_name": thread.buyer_name,
        "subject": thread.subject,
        "order_number": order.external_id if order else thread.external_order_id,
        "ordered_at": order.ordered_at if order else None,
        "delivery_date": order.delivery_date if order else None,
        "delivery_time": in_japanese(order.get_delivery_time_display)
        if order and order.delivery_time
        else "",
        "carrier_name": newest.carrier if newest else "",
        "tracking_number": newest.number if newest else "",
        "tracking_url": newest.url if newest else "",
        "tracking_links": links,
        "shipped_at": shipped[0].shipped_at if shipped else None,
        "items": [{"name": line.name, "quantity": line.quantity} for line in order.lines.all()]
        if order
        else [],
    }


def reply_render(*, template: ReplyTemplate, thread: InquiryThread) -> str:
    """The template's text for this thread; raises TemplateSyntaxError when it does not compile."""
    with translation.override(CUSTOMER_LANGUAGE):  # the buyer's language, not the dashboard user's
        text = Template(template.body).render(Context(reply_context(thread=thread), autoescape=False))
    return text.replace("\r\n", "\n").strip("\n")


def reply_preview(template: ReplyTemplate, thread: InquiryThread) -> str:
    """The reply as it would go out (the dashboard shows it before sending; staff may still edit it)."""
    return reply_render(template=template, thread=thread)


def tracking_offer(*, thread: InquiryThread) -> TrackingOffer | None:
    """The newest tracking number of the thread's order, with the sentence to insert; None without one."""
    links = _links(thread, _order(thread))
    if not links:
        return None
    newest = links[0]
    text = f"{newest.carrier}のお問い合わせ番号は {newest.number} です。"
    if newest.url:
        text += f"\n配送状況はこちらからご確認いただけます: {newest.url}"
    return TrackingOffer(carrier=newest.carrier, number=newest.number, url=newest.url, text=text)


def reply_text(*, thread: InquiryThread, body: str, template: ReplyTemplate | None) -> str:
    """What a reply would say: the text written, or (none written) the template rendered for the thread."""
    body = (body or "").replace("\r\n", "\n").strip("\n")
    if not body.strip() and template is not None:
        return reply_render(template=template, thread=thread)
    return body


def reply_problems(*, thread: InquiryThread, body: str) -> list[str]:
    """Why this reply would be refused (the thread is closed, or the shop's length and link rules); [] when
    inquiry_services.inquiry_reply would take it. For the preview, before anything is written."""
    problems = []
    if thread.status == InquiryThread.Status.CLOSED:
        problems.append("完了した問い合わせには返信できません")
    return problems + inquiry_adapter_for(thread.channel).reply_problems(body)


def reply_template_error(source: str) -> str | None:
    """The compile error of a template body, for admin validation; None when it compiles."""
    try:
        Template(source)
    except TemplateSyntaxError as exc:
        return str(exc)
    return None
