"""Order intake: turn a shop's canonical order into our Order, idempotently on (channel, external id).

A new order is stored with its addresses and lines, its lines are mapped to SKUs through the channel's
listings, stock is allocated in the same transaction, the checks put holds on it, and its status is set.
A re-fetched order that did not change is left alone; a changed one is updated; a cancelled one releases
its stock.
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.adapters.base import CanonicalOrder
from channels.models import Channel, Listing
from inventory.services import (
    InsufficientStock,
    StockError,
    allocation_request,
    order_allocate,
    order_deallocate,
    stock_allocate_many,
)
from oms import webhooks
from oms.actors import channel_actor
from oms.webhooks.payloads import order_created_events, order_held_payload
from orders.checks.run import AddressFacts, CheckFacts, run_checks
from orders.holds import hold_code
from orders.matching import merge_key
from orders.models import Hold, Order, OrderEvent, OrderLine, OrderStatus, ShipTo
from orders.privacy import ANONYMISED
from orders.rules import apply_rules, rules_for
from orders.services import (
    CONFIRMED,
    event_record,
    insufficient_stock_message,
    order_hold_resolve,
    order_refresh_status,
    order_status_change,
    status_for_holds,
)

S = OrderStatus
EDITABLE = {S.NEW, S.ON_HOLD, S.AWAITING_STOCK, S.AWAITING_PAYMENT, S.SCHEDULED, S.READY}
# Holds about facts a person cannot accept away: re-checked every time, whoever released them.
FACT_HOLDS = {"insufficient_stock", "payment_pending", "unknown_sku"}
HEADER_FIELDS = (
    "ordered_at",
    "buyer_name",
    "buyer_kana",
    "buyer_email",
    "buyer_phone",
    "payment_method",
    "subtotal",
    "shipping_fee",
    "payment_fee",
    "discount",
    "total",
    "remarks",
    "is_gift",
    "delivery_date",
    "delivery_time",
)


@dataclass(frozen=True)
class ImportResult:
    order: Order
    created: bool
    changed: bool


def _json_value(value):
    """json.dumps fallback: a dataclass as its fields (what dataclasses.asdict gives, without its deep
    copies), anything else (dates, Decimals) as its str."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    return str(value)


BOOKKEEPING = ("updated_at", "needs_ack")


def fingerprint(canonical: CanonicalOrder) -> str:
    """What the shop says about the order, minus bookkeeping (update time, whether it waits for our ack)."""
    data = {name: value for name, value in _json_value(canonical).items() if name not in BOOKKEEPING}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=_json_value).encode()).hexdigest()


def _header(canonical: CanonicalOrder) -> dict:
    values = {name: getattr(canonical, name) for name in HEADER_FIELDS}
    values["paid_at"] = timezone.now() if canonical.paid else None
    return values


def _listing_map(
    channel: Channel, canonicals: list[CanonicalOrder]
) -> dict[tuple[str, str], tuple[int, str]]:
    """(shop item id, variant id) -> (SKU id, SKU code) for every line of these orders, in one query."""
    keys = {(line.item_id, line.variant_id) for c in canonicals for line in c.lines}
    rows = Listing.objects.filter(
        channel=channel,
        external_variant_id__in=sorted({v for _i, v in keys}),
        external_item_id__in=sorted({i for i, _v in keys}),
    ).values_list("external_item_id", "external_variant_id", "sku_id", "sku__code")
    return {(item, variant): (sku, code) for item, variant, sku, code in rows}


def _rows(order: Order, canonical: CanonicalOrder, skus) -> tuple[list[ShipTo], list[OrderLine]]:
    """Unsaved address and line rows of an order (lines point at their address through ship_to_index)."""
    ship_tos = [
        ShipTo(
            order=order,
            external_id=a.external_id,
            name=a.name,
            kana=a.kana,
            postal_code=a.postal_code,
            prefecture=a.prefecture,
            city=a.city,
            address1=a.address1,
            address2=a.address2,
            phone=a.phone,
        )
        for a in canonical.ship_tos
    ]
    lines = []
    for line in canonical.lines:
        sku_id, _code = skus.get((line.item_id, line.variant_id), (None, ""))
        row = OrderLine(
            order=order,
            sku_id=sku_id,
            external_line_id=line.external_line_id,
            external_item_id=f"{line.item_id}:{line.variant_id}" if line.variant_id else line.item_id,
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        row.ship_to_index = line.ship_to_index
        lines.append(row)
    return ship_tos, lines


def _save_rows(ship_tos: list[ShipTo], lines: list[OrderLine]) -> None:
    """Insert addresses, then lines linked to them (bulk, any number of orders at once)."""
    ShipTo.objects.bulk_create(ship_tos)
    by_order: dict[int, list[ShipTo]] = {}
    for address in ship_tos:
        by_order.setdefault(address.order_id, []).append(address)
    for line in lines:
        addresses = by_order.get(line.order_id, [])
        line.ship_to = addresses[line.ship_to_index] if line.ship_to_index < len(addresses) else None
    OrderLine.objects.bulk_create(lines)


def _write_lines(order: Order, canonical: CanonicalOrder, channel: Channel) -> None:
    ship_tos, lines = _rows(order, canonical, _listing_map(channel, [canonical]))
    _save_rows(ship_tos, lines)


def _facts(order: Order, lines, ship_tos) -> CheckFacts:
    return CheckFacts(
        unknown_sku=any(line.sku_id is None for line in lines),
        remarks=order.remarks,
        payment_method=order.payment_method,
        paid=order.paid_at is not None,
        channel_id=order.channel_id,
        ship_tos=tuple(
            AddressFacts(a.postal_code, a.prefecture, a.city, a.address1, a.address2, a.phone, a.pk)
            for a in ship_tos
        ),
        buyer_phone=order.buyer_phone,
        delivery_date=order.delivery_date,
        delivery_time=order.delivery_time,
        carrier=order.channel.default_carrier,
    )


def intake_holds(facts: CheckFacts, rules=None) -> tuple[dict[str, tuple[str, dict | None]], date | None]:
    """The holds the checks call for after the channel's hold rules (code -> (message, one-click fix)), and
    the print date of a far-future order. Stock and merge candidates are judged separately."""
    verdict = run_checks(facts, today=timezone.localdate())
    rules = rules_for(facts.channel_id) if rules is None else rules
    held = apply_rules(verdict.holds, rules, remarks=facts.remarks)
    if "unknown_sku" in verdict.holds:  # a line without a SKU cannot be allocated: no rule lets it pass
        held["unknown_sku"] = verdict.holds["unknown_sku"]
    return held, verdict.print_on


def _merge_partners(order: Order) -> list[Order]:
    """Other open orders of the same shop going to the same buyer and address (同梱候補). Orders split from
    one another are not candidates: they were separated on purpose."""
    if not order.merge_key:
        return []
    partners = (
        Order.objects.filter(channel_id=order.channel_id, merge_key=order.merge_key, status__in=EDITABLE)
        .exclude(pk=order.pk)
        .exclude(split_from_id=order.pk)
    )
    if order.split_from_id:
        partners = partners.exclude(pk=order.split_from_id).exclude(split_from_id=order.split_from_id)
    return list(partners)


def _flag_merge_partners(partners: list[Order], actor: str) -> None:
    """The older orders of a new merge candidate get the hold too, unless a person released it before."""
    for partner in partners:
        flagged = partner.holds.filter(code="merge_candidate").filter(
            Q(resolved_at__isnull=True) | Q(released_by_person=True)
        )
        if flagged.exists():
            continue
        _add_hold(partner, "merge_candidate", actor)
        codes = set(partner.holds.filter(resolved_at__isnull=True).values_list("code", flat=True))
        target = _status_after_checks(codes, partner.print_on)
        if target != partner.status:
            order_status_change(order=partner, to_status=target, actor=actor)


def _add_hold(order: Order, code: str, actor: str, message: str = "", suggestion: dict | None = None) -> None:
    message = message or hold_code(code).message
    Hold.objects.create(order=order, code=code, message=message, suggestion=suggestion)
    event_record(order=order, kind="hold_added", actor=actor, message=message)
    webhooks.emit("order.held", lambda: order_held_payload(order, code=code, message=message))


def _status_after_checks(codes: set[str], print_on: date | None) -> str:
    """The waiting status for these holds; with none, 印刷日待ち until a far-future order's print date."""
    target = status_for_holds(codes)
    if target == S.READY and print_on and print_on > timezone.localdate():
        return S.SCHEDULED
    return target


def order_lines_link(*, order: Order, lines: list[OrderLine], actor: str) -> None:
    """Give the lines imported without a SKU the SKU the channel now lists their item under (a listing links
    a shop's item to our SKU; it may have been added after the order came in). Updates `lines` in place.
    Caller holds the order's transaction."""
    unlinked = [line for line in lines if line.sku_id is None and line.external_item_id]
    if not unlinked:
        return
    # external_item_id is "item:variant" (or "item"); an item id may itself contain ":", so every prefix
    # before a ":" is a candidate and the listing's own item:variant must equal the whole id.
    candidates = set()
    for line in unlinked:
        text = line.external_item_id
        candidates.add(text)
        candidates.update(text[:i] for i, char in enumerate(text) if char == ":")
    listed = {
        f"{item}:{variant}" if variant else item: (sku_id, code)
        for item, variant, sku_id, code in Listing.objects.filter(
            channel_id=order.channel_id, external_item_id__in=sorted(candidates)
        ).values_list("external_item_id", "external_variant_id", "sku_id", "sku__code")
    }
    for line in unlinked:
        if line.external_item_id not in listed:
            continue
        line.sku_id, code = listed[line.external_item_id]
        OrderLine.objects.filter(pk=line.pk, sku__isnull=True).update(sku_id=line.sku_id)
        event_record(
            order=order,
            kind="edited",
            actor=actor,
            message=f"出品情報から SKU を紐付けました: {line.name} → {code}",
            before={"sku": None, "line": line.external_item_id},
            after={"sku": code, "line": line.external_item_id},
        )


def _holds_refresh(order: Order, wanted: dict[str, tuple[str, dict | None]]) -> None:
    """An active hold that the checks call for again gets their current message and one-click fix: the
    reason may have changed since it was raised (another wrong date, another postal code)."""
    for hold in order.holds.filter(code__in=list(wanted), resolved_at__isnull=True):
        message, suggestion = wanted[hold.code]
        message = message or hold_code(hold.code).message
        if (hold.message, hold.suggestion) != (message, suggestion):
            hold.message, hold.suggestion = message, suggestion
            hold.save(update_fields=["message", "suggestion"])


def order_evaluate(*, order: Order, actor: str) -> None:
    """Run the intake checks on an order that is not printed yet: link lines to SKUs through listings added
    since, allocate stock, add the holds that apply, bring the message and fix of those still active up to
    date, clear the ones whose reason has gone, and set the status the holds call for. Caller holds the
    order's transaction. A hold a person released is not raised again, except those about facts (stock, SKU,
    payment)."""
    holds = list(order.holds.values_list("code", "resolved_at", "released_by_person"))
    active = {code for code, resolved_at, _person in holds if resolved_at is None}
    accepted = {code for code, _resolved, person in holds if person} - FACT_HOLDS
    lines = list(order.lines.all())
    order_lines_link(order=order, lines=lines, actor=actor)
    facts = _facts(order, lines, list(order.ship_tos.all()))
    wanted, print_on = intake_holds(facts)
    if not facts.unknown_sku and any(line.allocated_quantity < line.quantity for line in lines):
        try:
            order_allocate(order=order, actor=actor)
        except InsufficientStock as shortage:
            wanted["insufficient_stock"] = (insufficient_stock_message(shortage), None)
    partners = _merge_partners(order)
    if partners:
        wanted["merge_candidate"] = ("", None)
    wanted = {code: value for code, value in wanted.items() if code not in accepted}
    for code, (message, suggestion) in wanted.items():
        if code not in active:
            _add_hold(order, code, actor, message, suggestion)
    _holds_refresh(order, {code: value for code, value in wanted.items() if code in active})
    cleared = active - wanted.keys()
    for code in sorted(cleared):
        order.holds.filter(code=code, resolved_at__isnull=True).update(resolved_at=timezone.now())
        event_record(order=order, kind="hold_resolved", actor=actor, message=hold_code(code).message)
    _flag_merge_partners(partners, actor)
    if print_on != order.print_on:
        order.print_on = print_on
        Order.objects.filter(pk=order.pk).update(print_on=print_on)
    target = _status_after_checks(set(wanted), print_on)
    if target != order.status:
        order_status_change(order=order, to_status=target, actor=actor)


def _create_many(channel: Channel, items: list[tuple[CanonicalOrder, object]], actor: str) -> list[Order]:
    """Insert new orders in bulk: rows, allocation (first come, first served), holds, statuses, events.

    A page of orders costs a fixed number of queries, whatever its size. Caller holds the transaction."""
    skus = _listing_map(channel, [canonical for canonical, _payload in items])
    orders = Order.objects.bulk_create(
        Order(
            channel=channel,
            external_id=c.external_id,
            raw_payload=payload,
            source_fingerprint=fingerprint(c),
            merge_key=_canonical_merge_key(c),
            status=S.NEW,
            **_header(c),
        )
        for c, payload in items
    )
    all_ship_tos, all_lines, lines_of, ship_tos_of = [], [], {}, {}
    for order, (canonical, _payload) in zip(orders, items, strict=True):
        ship_tos, lines = _rows(order, canonical, skus)
        all_ship_tos += ship_tos
        all_lines += lines
        lines_of[order.pk], ship_tos_of[order.pk] = lines, ship_tos
    _save_rows(all_ship_tos, all_lines)

    codes = dict(skus.values())
    rules = rules_for(channel.pk)
    wanted: dict[int, dict[str, str]] = {}
    requests = []
    print_on = {}
    for order, (canonical, _payload) in zip(orders, items, strict=True):
        order.channel = channel
        facts = _facts(order, lines_of[order.pk], ship_tos_of[order.pk])
        wanted[order.pk], print_on[order.pk] = intake_holds(facts, rules)
        if not facts.unknown_sku and not canonical.cancelled:
            requests.append(allocation_request(order=order, lines=lines_of[order.pk], sku_codes=codes))
    for order_pk, shortage in stock_allocate_many(requests=requests, actor=actor).items():
        wanted[order_pk]["insufficient_stock"] = (insufficient_stock_message(shortage), None)
    partners = _batch_merge_candidates(channel, orders, wanted, actor)

    holds, events, by_status = [], [], {}
    for order, (canonical, _payload) in zip(orders, items, strict=True):
        events.append(
            OrderEvent(order=order, kind="imported", actor=actor, message=f"{channel} から取り込み")
        )
        if canonical.cancelled:
            status = S.CANCELLED
        else:
            for code, (message, suggestion) in wanted[order.pk].items():
                message = message or hold_code(code).message
                holds.append(Hold(order=order, code=code, message=message, suggestion=suggestion))
                events.append(OrderEvent(order=order, kind="hold_added", actor=actor, message=message))
            status = _status_after_checks(set(wanted[order.pk]), print_on[order.pk])
        events.append(
            OrderEvent(
                order=order,
                kind="status_changed",
                actor=actor,
                before={"status": S.NEW},
                after={"status": status},
            )
        )
        by_status.setdefault(status, []).append(order.pk)
        order.status = status
    Hold.objects.bulk_create(holds)
    OrderEvent.objects.bulk_create(events)
    for status, pks in by_status.items():
        Order.objects.filter(pk__in=pks).update(status=status)
    # Webhooks: one query for the whole page, none when nobody subscribed.
    webhooks.emit_batch(lambda: order_created_events(orders, holds))
    scheduled = {pk: day for pk, day in print_on.items() if day}
    for order in orders:
        if order.pk in scheduled:
            order.print_on = scheduled[order.pk]
            Order.objects.filter(pk=order.pk).update(print_on=order.print_on)
    _flag_merge_partners(partners, actor)
    from notifications.services import mails_queue_many  # notifications renders orders; orders only asks it

    mails_queue_many(
        orders=[order for order in orders if order.status in CONFIRMED],
        template_code="order_confirmation",
        actor=actor,
        lines=lines_of,
    )
    return orders


def refresh_merge_key(order: Order) -> None:
    """Recompute the merge key from the order's first address (after staff edited it)."""
    address = order.ship_tos.order_by("pk").first()
    key = ""
    if address is not None:
        key = merge_key(
            name=address.name,
            postal_code=address.postal_code,
            prefecture=address.prefecture,
            city=address.city,
            address1=address.address1,
            address2=address.address2,
            phone=address.phone or order.buyer_phone,
        )
    order.merge_key = key
    Order.objects.filter(pk=order.pk).update(merge_key=key)


def _canonical_merge_key(canonical: CanonicalOrder) -> str:
    if not canonical.ship_tos:
        return ""
    a = canonical.ship_tos[0]
    return merge_key(
        name=a.name,
        postal_code=a.postal_code,
        prefecture=a.prefecture,
        city=a.city,
        address1=a.address1,
        address2=a.address2,
        phone=a.phone or canonical.buyer_phone,
    )


def _batch_merge_candidates(channel: Channel, orders: list[Order], wanted: dict, actor: str) -> list[Order]:
    """Flag new orders that share a merge key with another open order (new or old); returns the old ones."""
    keys: dict[str, list[Order]] = {}
    for order in orders:
        if order.merge_key and order.status != S.CANCELLED:
            keys.setdefault(order.merge_key, []).append(order)
    new_pks = {order.pk for order in orders}
    existing = [
        o
        for o in Order.objects.filter(channel=channel, merge_key__in=list(keys), status__in=EDITABLE)
        if o.pk not in new_pks
    ]
    shared = {o.merge_key for o in existing} | {key for key, group in keys.items() if len(group) > 1}
    for key in shared:
        for order in keys.get(key, []):
            wanted[order.pk]["merge_candidate"] = ("", None)
    return existing


def _cancel(order: Order, actor: str) -> None:
    order_deallocate(order=order, actor=actor)
    order_status_change(
        order=order, to_status=S.CANCELLED, actor=actor, note="ショップでキャンセルされました"
    )


def _update(order: Order, canonical: CanonicalOrder, payload, actor: str) -> bool:
    if order.raw_payload == payload:
        return False
    if order.buyer_name == ANONYMISED:  # its buyer data was erased (orders.privacy): never written back
        return False
    new_fingerprint = fingerprint(canonical)
    unchanged = new_fingerprint == order.source_fingerprint
    order.raw_payload, order.source_fingerprint = payload, new_fingerprint
    Order.objects.filter(pk=order.pk).update(raw_payload=payload, source_fingerprint=new_fingerprint)
    if unchanged:
        return False
    before = {"status": order.status}
    if order.status in (S.CANCELLED, S.SHIPPED):
        return True
    if canonical.cancelled:
        _cancel(order, actor)
        return True
    if order.status not in EDITABLE:
        event_record(
            order=order,
            kind="changed_after_print",
            actor=actor,
            message="印刷後にショップ側で注文内容が変更されました",
        )
        return True
    header = _header(canonical)
    if order.paid_at is not None and canonical.paid:
        header["paid_at"] = order.paid_at
    lines_now = sorted(order.lines.values_list("external_line_id", "external_item_id", "quantity"))
    lines_new = sorted(
        (
            line.external_line_id,
            f"{line.item_id}:{line.variant_id}" if line.variant_id else line.item_id,
            line.quantity,
        )
        for line in canonical.lines
    )
    header["merge_key"] = _canonical_merge_key(canonical)
    for name, value in header.items():
        setattr(order, name, value)
    order.save(update_fields=[*header.keys(), "updated_at"])
    address_fields = ("name", "kana", "postal_code", "prefecture", "city", "address1", "address2", "phone")
    ship_tos_now = [tuple(row) for row in order.ship_tos.order_by("pk").values_list(*address_fields)]
    ship_tos_new = [tuple(getattr(a, f) for f in address_fields) for a in canonical.ship_tos]
    if lines_now != lines_new or ship_tos_now != ship_tos_new:
        order_deallocate(order=order, actor=actor)
        order.lines.all().delete()
        order.ship_tos.all().delete()
        _write_lines(order, canonical, channel=order.channel)
    OrderEvent.objects.create(
        order=order, kind="updated", actor=actor, message="ショップ側の変更を反映", before=before
    )
    order_evaluate(order=order, actor=actor)
    return True


def orders_import(*, channel: Channel, items: list[tuple[CanonicalOrder, object]]) -> list[ImportResult]:
    """Create or update a page of orders (canonical order, the shop's payload) in one transaction.

    Idempotent: an order seen before with the same payload is left alone. Safe when two workers import
    the same orders at once: existing orders are locked; if a concurrent insert wins the race for a new
    one, the page is imported again order by order and finds it."""
    actor = channel_actor(channel)
    unique = list({c.external_id: (c, payload) for c, payload in items}.values())  # a page may repeat one
    with transaction.atomic():
        existing = {
            order.external_id: order
            for order in Order.objects.select_for_update()
            .filter(channel=channel, external_id__in=[c.external_id for c, _p in unique])
            .order_by("pk")
        }
        results = {
            c.external_id: ImportResult(
                existing[c.external_id], False, _update(existing[c.external_id], c, p, actor)
            )
            for c, p in unique
            if c.external_id in existing
        }
        new = [(c, p) for c, p in unique if c.external_id not in existing]
        if new:
            try:
                with transaction.atomic():
                    for order in _create_many(channel, new, actor):
                        results[order.external_id] = ImportResult(order, True, True)
            except IntegrityError:
                if len(unique) == 1:
                    order = Order.objects.select_for_update().get(
                        channel=channel, external_id=new[0][0].external_id
                    )
                    results[order.external_id] = ImportResult(order, False, _update(order, *new[0], actor))
                else:
                    for c, p in new:
                        results.update({c.external_id: orders_import(channel=channel, items=[(c, p)])[0]})
    return [results[c.external_id] for c, _p in unique]


def order_import(*, channel: Channel, canonical: CanonicalOrder, payload) -> ImportResult:
    """Create or update one order (see orders_import)."""
    return orders_import(channel=channel, items=[(canonical, payload)])[0]


def orders_allocate_waiting(*, limit: int = 500) -> int:
    """Try again to allocate orders waiting for stock (引当待ち), oldest first. Returns how many moved on.

    Each order is its own transaction, so one order's failure never blocks the queue behind it."""
    moved = 0
    waiting = list(
        Order.objects.filter(status=S.AWAITING_STOCK)
        .order_by("ordered_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for order_pk in waiting:
        with transaction.atomic():
            order = Order.objects.select_for_update().select_related("channel").get(pk=order_pk)
            if order.status != S.AWAITING_STOCK:
                continue
            order_evaluate(order=order, actor="system")
            moved += order.status != S.AWAITING_STOCK
    return moved


class HoldReleaseRefused(Exception):
    """The hold is about a fact that still holds (a line without a SKU, stock short, no payment): a person
    cannot accept it away. The message says what to do instead."""


def _release_refusal(order: Order, code: str, actor: str) -> str | None:
    """Why a person cannot release this fact hold now, or None once its fact is gone. Links lines to SKUs
    and allocates on the way, so a release that goes ahead finds the stock reserved."""
    if code == "unknown_sku":
        lines = list(order.lines.order_by("pk"))
        order_lines_link(order=order, lines=lines, actor=actor)
        unlinked = [line for line in lines if line.sku_id is None]
        if unlinked:
            names = "、".join(f"「{line.name}」({line.external_item_id})" for line in unlinked)
            return _(
                "This hold cannot be released while a line is not linked to a SKU: %(lines)s. Link the "
                "shop's item to a SKU (add the listing to the channel) first; releasing then allocates the "
                "stock and the order moves on."
            ) % {"lines": names}
    if code == "insufficient_stock":
        try:
            order_allocate(order=order, actor=actor)
        except InsufficientStock as shortage:
            return _(
                "This hold cannot be released while stock is short (%(shortage)s). The order is allocated "
                "and moves on by itself when stock arrives; or split off the unallocated part."
            ) % {"shortage": shortage}
        except StockError as error:
            return str(error)
    if code == "payment_pending":
        return _("This hold cannot be released: mark the order paid once the payment has arrived.")
    return None


@transaction.atomic
def order_hold_release(*, hold: Hold, actor: str, user=None) -> Order:
    """A person releases a hold on the order slip (確認済み・解除) and the order moves to the status its other
    holds call for (orders.services.order_refresh_status).

    A hold about a fact is checked again instead of accepted: unknown_sku is refused (HoldReleaseRefused,
    naming the lines) while a line has no SKU, and once every line is linked the release allocates, so the
    order goes to 印刷待ち or, stock short, 引当待ち; insufficient_stock is refused while stock is short;
    payment_pending is refused (入金確認 clears it). Releasing a released hold changes nothing."""
    order = Order.objects.select_for_update().get(pk=hold.order_id)
    hold = Hold.objects.get(pk=hold.pk)
    if hold.resolved_at is not None:
        return order
    refusal = _release_refusal(order, hold.code, actor) if hold.code in FACT_HOLDS else None
    if refusal:
        raise HoldReleaseRefused(refusal)
    order_hold_resolve(hold=hold, actor=actor, user=user)
    return order_refresh_status(order=order, actor=actor)
