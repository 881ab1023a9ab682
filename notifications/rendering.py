"""Mail rendering: a MailTemplate's subject and body in the Django template language, on one order.

Mails are plain text, so autoescaping is off: a buyer called "R&D 株式会社" must not read "R&amp;D".
"""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation

from notifications.models import MailTemplate
from orders.models import CUSTOMER_LANGUAGE, Order
from shipping.models import Shipment

SUBJECT_MAX_LENGTH = 255  # OutboundMail.subject


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body: str


@dataclass(frozen=True)
class TrackingLink:
    carrier: str
    number: str
    url: str


def _orders_for_mail(order_ids) -> dict[int, Order]:
    """Fresh copies with what the templates walk over loaded up front (a fixed number of queries for any
    number of orders); each shipment gets `tracking_url`, which the shipping-notice template prints."""
    fresh = (
        Order.objects.defer("raw_payload")  # the shop's payload is large and no mail prints it
        .select_related("channel")
        .prefetch_related("lines", Prefetch("shipments", queryset=Shipment.objects.select_related("carrier")))
        .filter(pk__in=list(order_ids))
    )
    orders = {}
    for order in fresh:
        for shipment in order.shipments.all():
            number = shipment.tracking_number
            shipment.tracking_url = shipment.carrier.tracking_url(number) if number else ""
        orders[order.pk] = order
    return orders


class _Rows:
    """Related rows already in hand, answering what templates ask of a related manager."""

    def __init__(self, rows: list):
        self._rows = rows

    def all(self) -> list:
        return list(self._rows)

    def count(self) -> int:
        return len(self._rows)

    def exists(self) -> bool:
        return bool(self._rows)

    def first(self):
        return self._rows[0] if self._rows else None

    def __iter__(self):
        return iter(self._rows)


class OrderInHand:
    """An order just saved by its caller, with its lines as saved and no shipment yet (a new order), for
    rendering without reading it back. Anything else a template asks for is the order's own attribute."""

    def __init__(self, order: Order, lines: list):
        self._order = order
        self.lines = _Rows(lines)
        self.shipments = _Rows([])

    def __getattr__(self, name):
        return getattr(self._order, name)


def mail_context(*, order: Order, extra_context: dict | None = None, loaded: bool = False) -> dict:
    """What every template can use: `order`, `shop_name`, `tracking_links`, plus the caller's extra values
    (e.g. `new_delivery_date` for the delivery-date change mail). Extra values win over the defaults.
    `loaded`: the order comes from _orders_for_mail already."""
    order = order if loaded else _orders_for_mail([order.pk])[order.pk]
    tracking_links = [
        TrackingLink(carrier=s.carrier.name, number=s.tracking_number, url=s.tracking_url)
        for s in order.shipments.all()
        if s.tracking_number
    ]
    context = {
        "order": order,
        "shop_name": order.channel.display_name or order.channel.name,
        "tracking_links": tracking_links,
    }
    context.update(extra_context or {})
    return context


def mail_render(*, template: MailTemplate, order: Order, extra_context: dict | None = None) -> RenderedMail:
    """Render subject and body; raises TemplateSyntaxError when the template does not compile.

    The subject becomes one line (a header cannot hold a line break) of at most 255 characters."""
    context = mail_context(order=order, extra_context=extra_context)
    return _render(Template(template.subject), Template(template.body), context)


def _render(subject_template: Template, body_template: Template, context: dict) -> RenderedMail:
    # the buyer's language, not the dashboard user's: {{ order.get_payment_method_display }} is 代金引換
    with translation.override(CUSTOMER_LANGUAGE):
        subject = subject_template.render(Context(context, autoescape=False))
        body = body_template.render(Context(context, autoescape=False))
    subject = " ".join(subject.split())[:SUBJECT_MAX_LENGTH]
    body = body.replace("\r\n", "\n").strip("\n") + "\n"
    return RenderedMail(subject=subject, body=body)


def mail_render_many(
    *, template: MailTemplate, order_ids, in_hand: dict[int, OrderInHand] | None = None
) -> dict[int, RenderedMail]:
    """Render one template for many orders (intake confirms a whole page at once). Raises
    TemplateSyntaxError when the template does not compile; an order that fails to render is left out.
    `in_hand`: orders the caller has just saved, rendered as they are instead of read back."""
    subject_template, body_template = Template(template.subject), Template(template.body)
    rendered = {}
    in_hand = in_hand or {}
    orders: dict[int, object] = {pk: in_hand[pk] for pk in order_ids if pk in in_hand}
    if missing := [pk for pk in order_ids if pk not in in_hand]:
        orders.update(_orders_for_mail(missing))
    for pk, order in orders.items():
        try:
            rendered[pk] = _render(subject_template, body_template, mail_context(order=order, loaded=True))
        # That order is queued one by one, which records the error.
        except Exception:  # noqa: S112  # nosec B112
            continue
    return rendered


def template_syntax_error(source: str) -> str | None:
    """The compile error of a subject or body, for admin validation; None when it compiles."""
    try:
        Template(source)
    except TemplateSyntaxError as exc:
        return str(exc)
    return None
