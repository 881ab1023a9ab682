"""One order's parcels for a label export: carrier-neutral, Shift_JIS-safe, with everything the carrier needs
(one parcel per ship-to that has lines), and every problem and notice on the order's FieldWriter.

The carrier modules (yamato, sagawa, japanpost) turn a Parcel into their columns.
"""

from dataclasses import dataclass
from datetime import date

from inventory.models import Temperature
from orders.checks.slots import carrier_name, carrier_slot_code
from orders.models import PaymentMethod
from shipping.labels.encoding import FieldWriter
from shipping.labels.refs import ship_to_ref
from shipping.labels.source import LabelLine, coldest
from shipping.tax import tax_breakdown, total_tax

TEMPERATURE_NAMES = {Temperature.AMBIENT: "常温", Temperature.CHILLED: "冷蔵", Temperature.FROZEN: "冷凍"}


@dataclass(slots=True)  # not frozen: a frozen dataclass sets each field through object.__setattr__, slowly
class Parcel:
    """One label, carrier-neutral; text fields are already Shift_JIS-safe."""

    customer_ref: str
    name: str
    kana: str
    postal_code: str
    prefecture: str
    city: str
    address1: str
    address2: str
    phone: str
    items: list[str]
    delivery_date: date | None
    slot_code: str
    cod_amount: int
    cod_tax: int
    is_gift: bool
    temperature: str = Temperature.AMBIENT  # inventory.models.Temperature: ambient, chilled or frozen


def order_parcels(
    order,
    ref: str,
    carrier: str,
    ship_tos: list,
    lines: list[LabelLine],
    writer: FieldWriter,
    slot_codes: dict[str, str | None],
) -> list[Parcel]:
    """The order's parcels: one per ship-to that has lines (lines without a ship-to go to the first one).
    `slot_codes` caches the carrier's time-slot codes across the orders of an export. The ship date is not
    theirs: the export writes its day in the layout's SHIP_DATE_COLUMN (and checks the wished delivery date
    against it: delivery_date_problem)."""
    if not ship_tos:
        writer.problems.append("お届け先がありません")
    if not lines:
        writer.problems.append("商品の行がありません")
    if not ship_tos or not lines:
        return []
    if len(ship_tos) == 1:
        lines_of = {ship_tos[0].pk: lines}
    else:
        lines_of = {ship_to.pk: [] for ship_to in ship_tos}
        for line in lines:
            lines_of[line.ship_to_id if line.ship_to_id in lines_of else ship_tos[0].pk].append(line)
        for ship_to in ship_tos:
            if not lines_of[ship_to.pk]:
                writer.notices.append(f"お届け先「{ship_to.name}」には商品がないため送り状を作りません")
    targets = [ship_to for ship_to in ship_tos if lines_of[ship_to.pk]]
    cod_amount = cod_tax = 0
    if order.payment_method == PaymentMethod.COD:
        cod_amount, cod_tax = _cod(order, lines, len(targets), writer)
    slot_code = _slot_code(carrier, order.delivery_time, writer, slot_codes)
    parcels = []
    for ship_to in targets:
        parcel = Parcel(
            # one label per ship-to: each names its ship-to, so its tracking number goes to the right one
            customer_ref=ship_to_ref(order.pk, ship_tos.index(ship_to) + 1) if len(targets) > 1 else ref,
            name=writer.clean("お届け先名", ship_to.name),
            kana=writer.clean("お届け先名カナ", ship_to.kana),
            postal_code=writer.postal_code("お届け先郵便番号", ship_to.postal_code),
            prefecture=writer.clean("お届け先住所", ship_to.prefecture),
            city=writer.clean("お届け先住所", ship_to.city),
            address1=writer.clean("お届け先住所", ship_to.address1),
            address2=writer.clean("お届け先住所", ship_to.address2),
            phone=_phone(ship_to.phone, order.buyer_phone, writer),
            items=_item_names(lines_of[ship_to.pk], writer),
            delivery_date=order.delivery_date,
            slot_code=slot_code,
            cod_amount=cod_amount,
            cod_tax=cod_tax,
            is_gift=order.is_gift,
            temperature=_temperature(ship_to, lines_of[ship_to.pk], writer),
        )
        _check_required(parcel, writer)
        parcels.append(parcel)
    return parcels


def delivery_date_problem(delivery_date: date | None, ship_date: date) -> str | None:
    """A wished delivery date before the day the parcel leaves cannot be kept: the carrier refuses it."""
    if delivery_date and delivery_date < ship_date:
        return f"お届け予定日 {delivery_date:%Y/%m/%d} が出荷予定日より前です"
    return None


def _check_required(parcel: Parcel, writer: FieldWriter) -> None:
    """A label without a name, an address or a 品名 cannot be delivered (or is refused at the counter), and
    a value of only spaces or of characters the Shift_JIS rule removes is empty once cleaned: checked here,
    after cleaning, so such an order is reported rather than written with blank columns."""
    if not parcel.name:
        writer.problems.append("お届け先名がありません")
    if not (parcel.prefecture or parcel.city or parcel.address1 or parcel.address2):
        writer.problems.append("お届け先住所がありません")
    if not parcel.items:
        writer.problems.append("品名がありません")


def _phone(ship_to_phone: str, buyer_phone: str, writer: FieldWriter) -> str:
    """The ship-to's phone, or else the buyer's: intake accepts an order on the buyer's number
    (orders.checks.run), so the label must carry the number intake relied on. Using the buyer's is noted,
    with the number as stored so that anonymising the order finds it in the export's record."""
    if ship_to_phone.strip() or not buyer_phone.strip():
        return writer.phone("お届け先電話番号", ship_to_phone)
    phone = writer.phone("お届け先電話番号（注文者の電話番号）", buyer_phone)
    if phone:
        writer.notices.append(
            f"お届け先電話番号がないため注文者の電話番号「{buyer_phone.strip()}」を書きました"
        )
    return phone


def _temperature(ship_to, lines: list[LabelLine], writer: FieldWriter) -> str:
    """The coldest temperature the parcel's items need; items of several temperatures in one parcel are
    reported, since the ambient ones then travel chilled or frozen (or the order should be split)."""
    temperatures = {line.temperature for line in lines}
    if len(temperatures) == 1:
        return lines[0].temperature
    parcel = coldest(temperatures)
    mixed = "・".join(TEMPERATURE_NAMES[name] for name in TEMPERATURE_NAMES if name in temperatures)
    writer.notices.append(
        f"お届け先「{ship_to.name}」の荷物に{mixed}の商品が混在しています: "
        f"{TEMPERATURE_NAMES[parcel]}で送ります（分けて送る場合は注文を分割してください）"
    )
    return parcel


def _cod(order, lines: list[LabelLine], labels: int, writer: FieldWriter) -> tuple[int, int]:
    """代引: the order total (what the buyer pays at the door) and the consumption tax inside it, per rate
    (shipping.tax), as the packing slip shows them."""
    if labels > 1:
        writer.problems.append(
            "代引の注文に複数のお届け先があります（どの荷物で代金を受け取るか決められません）"
        )
    if order.is_gift:
        writer.problems.append("ギフトの注文が代引です（受取人が代金を払うことになります）")
    if order.total <= 0:
        writer.problems.append(f"代引金額が{order.total}円です")
    rates = tax_breakdown(
        lines=[(line.tax_rate, line.amount) for line in lines],
        fees=order.shipping_fee + order.payment_fee,
        total=order.total,
    )
    return order.total, total_tax(rates)


def _slot_code(carrier: str, slot: str, writer: FieldWriter, known: dict[str, str | None]) -> str:
    if slot not in known:
        try:
            known[slot] = carrier_slot_code(carrier, slot)
        except ValueError:
            known[slot] = None
    code = known[slot]
    if code is None:
        writer.problems.append(f"{carrier_name(carrier)}は配達時間帯「{slot}」を扱っていません")
        return ""
    return code


def _item_names(lines: list[LabelLine], writer: FieldWriter) -> list[str]:
    """The parcel's 品名, one per line. A line whose name is empty once cleaned is left out with a notice: it
    would print a blank 品名 (or a bare " ×2"); a parcel with no name left is a problem (_check_required)."""
    names = [_item_name(line, writer) for line in lines]
    nameless = names.count("")
    if nameless and nameless < len(names):
        writer.notices.append(f"品名のない商品の行が{nameless}行あります（送り状の品名には書きません）")
    return [name for name in names if name]


def _item_name(line: LabelLine, writer: FieldWriter) -> str:
    name = writer.clean("品名", line.name)
    return f"{name} ×{line.quantity}" if name and line.quantity > 1 else name
