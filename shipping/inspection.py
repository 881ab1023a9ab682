"""検品 (scan-to-verify, step F): the packer scans the slip's order barcode, then every unit's JAN.

Each accepted unit is checked off; a wrong item or an extra unit is refused with a Japanese message and
changes nothing. When every line is complete the order gets `verified_at` and an event, and only then
may it ship (shipping.services.order_ship checks the lines).

Sets (セット商品). The picker picks a set's components (the picking list expands them), so the packer
scans the components' JANs: a set line of quantity Q whose set holds q units of component C needs
Q × q scans of C. The set SKU's own JAN is refused with a hint to scan the components, because a
whole-set scan and component scans could not be told apart when counting. A set line's
`verified_quantity` counts *complete sets* (the least, over its components, of scans // q), so it keeps
meaning "units of this line's SKU" like every other line and reaches `quantity` exactly when every
component unit is scanned. The per-component counts have no column of their own: each accepted
component scan is an `inspection_component` order event, and the counts are those events since the
session began (the last `inspection_started` or `inspection_reset` event). The order row lock taken by
every scan makes the count and the check one step.

Which line a unit counts for. Units with the same JAN are the same thing in the box, so a JAN that fits
several lines (the same SKU on two lines, or a SKU sold alone and inside a set) fills plain lines
first, then set components, each in line order; the order completes exactly when the total scanned
equals the total needed, whichever line a unit was booked to.

A code matches a SKU by its JAN (a 12-digit UPC-A reading of a JAN starting with 0 matches too) or by
its SKU code, for items without a JAN that carry the warehouse's own label.
"""

import unicodedata
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from inventory.models import SKU, SetComponent
from orders.models import Order, OrderEvent, OrderLine, OrderStatus, in_japanese
from orders.services import event_record

S = OrderStatus
INSPECTABLE = (S.READY, S.PRINTED)
SESSION_START_KINDS = ("inspection_started", "inspection_reset")
COMPONENT_SCAN_KIND = "inspection_component"


class InspectionRefused(Exception):
    """The order cannot be inspected at all (its status); the message says why, for a person."""


class Outcome:
    """Stable codes for what a scan did, for a scanning screen to pick a sound or a colour."""

    STARTED = "started"
    ALREADY_VERIFIED = "already_verified"
    COUNTED = "counted"
    COMPLETED = "completed"
    NOT_ON_ORDER = "not_on_order"
    OVER_QUANTITY = "over_quantity"
    SCAN_COMPONENTS = "scan_components"
    OTHER_ORDER = "other_order"
    AMBIGUOUS_JAN = "ambiguous_jan"


REFUSAL_MESSAGES = {
    Outcome.NOT_ON_ORDER: "この商品は注文にありません（{code}）。",
    Outcome.OVER_QUANTITY: "数量を超えています（{code}）。この商品は注文の数量分すべて検品済みです。",
    Outcome.SCAN_COMPONENTS: "セット商品です。セットの構成品をそれぞれスキャンしてください（{code}）。",
    Outcome.OTHER_ORDER: "別の注文の伝票です（{code}）。検品中の注文は {order} です。",
    Outcome.AMBIGUOUS_JAN: "この JAN（{code}）は複数の SKU（{skus}）に登録されています。"
    "どれか確かめられないため、SKU コードのラベルをスキャンしてください（JAN の重複は商品マスタで直してください）。",
}


@dataclass(frozen=True)
class ComponentProgress:
    sku_code: str
    name: str
    jan: str
    needed: int
    scanned: int


@dataclass(frozen=True)
class LineProgress:
    line_id: int
    sku_code: str
    name: str
    jan: str
    quantity: int
    verified: int
    components: tuple[ComponentProgress, ...] = ()

    @property
    def complete(self) -> bool:
        return self.verified >= self.quantity

    @property
    def units_needed(self) -> int:
        """Scans the line needs: a set line counts its components' units, as the packer scans them."""
        return sum(part.needed for part in self.components) if self.components else self.quantity

    @property
    def units_scanned(self) -> int:
        return sum(part.scanned for part in self.components) if self.components else self.verified


@dataclass(frozen=True)
class ScanResult:
    outcome: str
    message: str
    lines: tuple[LineProgress, ...]
    line_id: int | None = None  # the line the scanned unit was checked off on
    verified_at: object = None

    @property
    def ok(self) -> bool:
        return self.outcome not in REFUSAL_MESSAGES

    @property
    def complete(self) -> bool:
        return self.verified_at is not None


@dataclass
class _Line:
    """An order line with what the session has scanned for it."""

    line: OrderLine
    parts: list[SetComponent]  # empty for a plain line
    scanned: Counter  # component SKU id -> units scanned this session (sets only)

    @property
    def is_set(self) -> bool:
        return bool(self.parts)

    def needed(self, part: SetComponent) -> int:
        return self.line.quantity * part.quantity

    def scans_left(self) -> int:
        """Units still to scan: set lines count component units, as the packer scans them."""
        if not self.is_set:
            return self.line.quantity - self.line.verified_quantity
        return sum(self.needed(part) - self.scanned[part.component_id] for part in self.parts)

    def complete_sets(self) -> int:
        return min(self.scanned[part.component_id] // part.quantity for part in self.parts)

    def progress(self) -> LineProgress:
        sku = self.line.sku
        return LineProgress(
            line_id=self.line.pk,
            sku_code=sku.code if sku else "",
            name=self.line.name,
            jan=sku.jan if sku else "",
            quantity=self.line.quantity,
            verified=self.line.verified_quantity,
            components=tuple(
                ComponentProgress(
                    sku_code=part.component.code,
                    name=part.component.name,
                    jan=part.component.jan,
                    needed=self.needed(part),
                    scanned=self.scanned[part.component_id],
                )
                for part in self.parts
            ),
        )


def _normalise(code: str) -> str:
    # A keyboard-wedge scanner types into whatever input has focus; an IME may turn digits full-width.
    return unicodedata.normalize("NFKC", code).strip()


def _matches(sku: SKU, code: str) -> bool:
    if sku.jan and (code == sku.jan or (len(code) == 12 and code.isdigit() and "0" + code == sku.jan)):
        return True
    return code.upper() == sku.code


def _skus_sharing_jan(code: str) -> list[str]:
    """The codes of the SKUs whose JAN the scanned code is: more than one means the unit in hand cannot be
    told apart (a JAN entered twice in the catalogue), so the scan must not be counted for either."""
    if not code.isdigit():
        return []
    candidates = [code, "0" + code] if len(code) == 12 else [code]
    return sorted(SKU.objects.filter(jan__in=candidates).values_list("code", flat=True))


def _session_start_pk(order: Order) -> int:
    last = (
        OrderEvent.objects.filter(order=order, kind__in=SESSION_START_KINDS)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return last or 0


def inspection_in_progress(order: Order) -> bool:
    """Whether the order's slip was scanned and its 検品 neither reset since nor (necessarily) complete."""
    last = (
        OrderEvent.objects.filter(order=order, kind__in=SESSION_START_KINDS)
        .order_by("-pk")
        .values_list("kind", flat=True)
        .first()
    )
    return last == "inspection_started"


def _load(order: Order) -> list[_Line]:
    lines = list(order.lines.select_related("sku").order_by("pk"))
    set_ids = {line.sku_id for line in lines if line.sku and line.sku.is_set}
    parts_by_set: dict[int, list[SetComponent]] = {}
    for part in (
        SetComponent.objects.filter(set_sku_id__in=set_ids).select_related("component").order_by("pk")
    ):
        parts_by_set.setdefault(part.set_sku_id, []).append(part)
    scanned_by_line: dict[int, Counter] = {}
    if parts_by_set:
        for after in OrderEvent.objects.filter(
            order=order, kind=COMPONENT_SCAN_KIND, pk__gt=_session_start_pk(order)
        ).values_list("after", flat=True):
            scanned_by_line.setdefault(after["line"], Counter())[after["component"]] += 1
    return [
        _Line(
            line=line,
            parts=parts_by_set.get(line.sku_id, []) if line.sku else [],
            scanned=scanned_by_line.get(line.pk, Counter()),
        )
        for line in lines
    ]


def _lock_inspectable(order: Order) -> Order:
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status not in INSPECTABLE:
        raise InspectionRefused(
            f"注文 {locked.external_id} は「{in_japanese(locked.get_status_display)}」のため検品できません"
            "（検品できるのは印刷待ち・印刷済みの注文です）。"
        )
    return locked


def _result(outcome: str, message: str, order: Order, lines: list[_Line], line_id=None) -> ScanResult:
    return ScanResult(
        outcome=outcome,
        message=message,
        lines=tuple(entry.progress() for entry in lines),
        line_id=line_id,
        verified_at=order.verified_at,
    )


def inspection_lines(order: Order) -> tuple[LineProgress, ...]:
    """What the packer still has to scan for the order (read only)."""
    return tuple(entry.progress() for entry in _load(order))


def _start(order: Order, lines: list[_Line], actor: str) -> ScanResult:
    if order.verified_at is not None:
        return _result(
            Outcome.ALREADY_VERIFIED,
            f"注文 {order.external_id} は検品済みです。やり直す場合は検品をリセットしてください。",
            order,
            lines,
        )
    # Scanning the slip again starts over: what is in the box is scanned anew, nothing is half-known.
    OrderLine.objects.filter(order=order).update(verified_quantity=0)
    event_record(order=order, kind="inspection_started", actor=actor, message="検品開始")
    for entry in lines:
        entry.line.verified_quantity = 0
        entry.scanned.clear()
    units = sum(entry.scans_left() for entry in lines)
    return _result(
        Outcome.STARTED, f"注文 {order.external_id} の検品を開始します（{units}点）。", order, lines
    )


def _book(entries: list[_Line], code: str) -> tuple[_Line, SetComponent | None] | str:
    """The line (and set component) the scanned unit counts for, or the outcome of a refusal."""
    plain = [
        entry for entry in entries if not entry.is_set and entry.line.sku and _matches(entry.line.sku, code)
    ]
    in_sets = [(entry, part) for entry in entries for part in entry.parts if _matches(part.component, code)]
    if not plain and not in_sets:
        if any(entry.is_set and _matches(entry.line.sku, code) for entry in entries):
            return Outcome.SCAN_COMPONENTS
        return Outcome.NOT_ON_ORDER
    for entry in plain:
        if entry.line.verified_quantity < entry.line.quantity:
            return entry, None
    for entry, part in in_sets:
        if entry.scanned[part.component_id] < entry.needed(part):
            return entry, part
    return Outcome.OVER_QUANTITY


def _count(order: Order, entry: _Line, part: SetComponent | None, code: str, actor: str) -> None:
    line = entry.line
    if part is None:
        line.verified_quantity += 1
    else:
        entry.scanned[part.component_id] += 1
        event_record(
            order=order,
            kind=COMPONENT_SCAN_KIND,
            actor=actor,
            message=f"{line.sku.code} の構成品 {part.component.code}",
            after={"line": line.pk, "component": part.component_id, "code": code},
        )
        line.verified_quantity = entry.complete_sets()
    OrderLine.objects.filter(pk=line.pk).update(verified_quantity=line.verified_quantity)


def _item_label(entry: _Line, part: SetComponent | None) -> str:
    return part.component.name if part else entry.line.name


@transaction.atomic
def inspection_scan(*, order: Order, code: str, actor: str) -> ScanResult:
    """One scan at the packing table: the order number (starts the session over, returns the lines to
    check) or an item's JAN (checks off one unit). Refusals change nothing and say why in Japanese.

    Raises InspectionRefused for an order that is not 印刷待ち or 印刷済み. Takes the order row lock, so two
    scanners on one order are applied one scan after the other."""
    order = _lock_inspectable(order)
    code = _normalise(code)
    lines = _load(order)
    if code == order.external_id:
        return _start(order, lines, actor)
    booked = _book(lines, code)
    if booked == Outcome.NOT_ON_ORDER and Order.objects.filter(external_id=code).exists():
        booked = Outcome.OTHER_ORDER
    shared_by = _skus_sharing_jan(code) if not isinstance(booked, str) else []
    if len(shared_by) > 1:
        booked = Outcome.AMBIGUOUS_JAN
    if isinstance(booked, str):
        skus = "、".join(shared_by)
        message = REFUSAL_MESSAGES[booked].format(code=code, order=order.external_id, skus=skus)
        return _result(booked, message, order, lines)
    entry, part = booked
    _count(order, entry, part, code, actor)
    if all(item.line.verified_quantity >= item.line.quantity for item in lines):
        order.verified_at = timezone.now()
        Order.objects.filter(pk=order.pk).update(verified_at=order.verified_at, updated_at=order.verified_at)
        event_record(order=order, kind="inspection_completed", actor=actor, message="検品完了")
        return _result(
            Outcome.COMPLETED,
            f"検品が完了しました（注文 {order.external_id}）。",
            order,
            lines,
            entry.line.pk,
        )
    remaining = sum(item.scans_left() for item in lines)
    return _result(
        Outcome.COUNTED,
        f"{_item_label(entry, part)} を検品しました（残り {remaining} 点）。",
        order,
        lines,
        entry.line.pk,
    )


@transaction.atomic
def inspection_reset(*, order: Order, actor: str) -> Order:
    """Forget every scan of the order (and its completion) so it can be inspected again from zero.

    Raises InspectionRefused for an order that is not 印刷待ち or 印刷済み (a shipped order stays verified)."""
    order = _lock_inspectable(order)
    before = {"verified_at": order.verified_at.isoformat() if order.verified_at else None}
    OrderLine.objects.filter(order=order).update(verified_quantity=0)
    order.verified_at = None
    Order.objects.filter(pk=order.pk).update(verified_at=None, updated_at=timezone.now())
    event_record(order=order, kind="inspection_reset", actor=actor, message="検品リセット", before=before)
    return order
