"""The order slip's history (履歴) in words a person reads: field names as the slip labels them, status, hold,
time slot and carrier codes by their display names, mail templates by their names, actors by name.

Events are stored with internal keys and codes (orders.services.event_record) and stay so; only their
display is translated here. The raw values stay at hand as `raw` (the slip shows them as a tooltip).
"""

from dataclasses import dataclass, field

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from notifications.models import MailTemplate
from oms.dashboard.labels import hold_label
from oms.dashboard.selectors import actor_names
from orders.models import Order, ShipTo
from shipping.models import Carrier

register = template.Library()

# Keys that only link rows together (ids, Message-ID): kept in `raw`, not shown.
INTERNAL_KEYS = {"mail_id", "message_id", "thread_id", "export", "line", "component"}
# Kinds whose message already says what most keys hold: only these keys are shown besides it.
SHOWN_KEYS = {"labels_exported": {"replacements", "notices"}}
# Keys that are no model field (or not the field of that name).
KEY_LABELS = {
    "hold": _("Hold"),
    "carrier": _("Carrier"),
    "template": capfirst(MailTemplate._meta.verbose_name),
    "replacements": _("Characters replaced"),
    "notices": _("Notes"),
    "code": "JAN",
}
EMPTY = "—"


@dataclass
class TimelineEntry:
    event: object
    actor: str
    before: list[tuple[str, str]] = field(default_factory=list)
    after: list[tuple[str, str]] = field(default_factory=list)
    raw: str = ""


def _model_field(model, key: str):
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def _label(key: str, model) -> str:
    if key in KEY_LABELS:
        return str(KEY_LABELS[key])
    model_field = _model_field(model, key)
    return str(capfirst(model_field.verbose_name)) if model_field is not None else key


def _value(key: str, value, model, templates: dict[str, str]) -> str:
    if value is None or value in ("", "None"):
        choices = getattr(_model_field(model, key), "flatchoices", None) or []
        return str(dict(choices).get("", EMPTY))  # an empty time slot is 指定なし, anything else —
    if isinstance(value, list | tuple):
        return "、".join(str(item) for item in value)
    if isinstance(value, dict):
        return _raw(value)
    if key == "hold":
        return str(hold_label(value))
    if key == "template":
        return templates.get(value, value)
    if key == "carrier" and value in Carrier.Code.values:
        return str(Carrier.Code(value).label)
    model_field = _model_field(model, key)
    if isinstance(model_field, models.DateTimeField) and parse_datetime(str(value)):
        return date_format(localtime(parse_datetime(str(value))), "Y-m-d H:i")
    choices = dict(getattr(model_field, "flatchoices", None) or [])
    return str(choices.get(value, value))


def _pairs(event, values, templates: dict[str, str]) -> list[tuple[str, str]]:
    if not isinstance(values, dict):
        return [("", str(values))] if values else []
    model = ShipTo if event.kind == "address_edited" else Order
    shown = SHOWN_KEYS.get(event.kind)
    return [
        (_label(key, model), _value(key, value, model, templates))
        for key, value in values.items()
        if key not in INTERNAL_KEYS and (shown is None or key in shown)
    ]


def _raw(values) -> str:
    if isinstance(values, dict):
        return ", ".join(f"{key}: {value}" for key, value in values.items())
    return "" if values is None else str(values)


@register.filter
def readable_timeline(events, order) -> list[TimelineEntry]:
    """The slip's events, each with its actor's name and its before/after values as (label, value) pairs.
    Mail template names come from the order's prefetched mails; actor names cost at most two queries."""
    events = list(events)
    templates = {mail.template.code: mail.template.name for mail in order.mails.all() if mail.template_id}
    names = actor_names(actors={event.actor for event in events})
    entries = []
    for event in events:
        raw = " → ".join(text for text in (_raw(event.before), _raw(event.after)) if text)
        entries.append(
            TimelineEntry(
                event=event,
                actor=names.get(event.actor, event.actor),
                before=_pairs(event, event.before, templates),
                after=_pairs(event, event.after, templates),
                raw=raw,
            )
        )
    return entries
