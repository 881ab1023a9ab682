"""A demo-like order book for the browser tests and the dashboard screenshots: the demo shop (oms.demo) with
a fortnight of orders on its three marketplaces, imported through the real intake so the checks put holds
where a seller would see them."""

from dataclasses import replace
from datetime import datetime, timedelta

from django.utils import timezone

from channels.adapters.base import CanonicalAddress, CanonicalLine
from channels.models import Channel, Listing
from inventory.models import SKU
from oms.demo import listing_ids
from orders.intake import order_import
from orders.models import Order
from orders.services import order_status_change
from shipping.models import Carrier, Shipment
from tests.orders.test_intake import canonical

# (name, kana, postal code, prefecture, city, street, phone)
PEOPLE = [
    ("佐藤 花子", "サトウ ハナコ", "530-0001", "大阪府", "大阪市北区", "梅田2-4-9", "090-1111-2222"),
    ("鈴木 一郎", "スズキ イチロウ", "060-0001", "北海道", "札幌市中央区", "北一条西3-2", "080-2345-6789"),
    ("高橋 美咲", "タカハシ ミサキ", "980-0811", "宮城県", "仙台市青葉区", "一番町4-1-1", "070-3456-7890"),
    ("田中 健太", "タナカ ケンタ", "460-0008", "愛知県", "名古屋市中区", "栄3-5-12", "052-123-4567"),
    ("伊藤 さくら", "イトウ サクラ", "810-0001", "福岡県", "福岡市中央区", "天神1-8-1", "092-987-6543"),
    ("渡辺 翔", "ワタナベ ショウ", "150-0001", "東京都", "渋谷区", "神宮前6-1-1", "03-5555-0101"),
    ("山本 由美", "ヤマモト ユミ", "220-0012", "神奈川県", "横浜市西区", "みなとみらい2-2-1", "045-222-3333"),
    ("中村 大輔", "ナカムラ ダイスケ", "600-8216", "京都府", "京都市下京区", "東塩小路町721", "075-444-5555"),
    ("小林 直子", "コバヤシ ナオコ", "730-0011", "広島県", "広島市中区", "基町6-78", "082-666-7777"),
    ("加藤 蓮", "カトウ レン", "900-0006", "沖縄県", "那覇市", "おもろまち4-1", "098-888-9999"),
]
ITEMS = [("TSHIRT-BLK-M", 2980), ("HOODIE-BLK-L", 6980), ("COFFEE-200G", 1680), ("TEA-SENCHA", 1080)]
ITEMS += [("SOCKS-WHT-M", 980), ("SENBEI-12P", 1296), ("TOTE-NAT", 3480), ("HONEY-300G", 2160)]
KINDS = ["rakuten", "yahoo", "amazon"]
UNIQUE_PHONE = "090-7777-1234"  # only the `phone` order's buyer has it
PREFIXES = {"rakuten": "100001-{day}-{n:08d}", "yahoo": "demo-store-{n:05d}", "amazon": "503-{n:07d}-{day4}"}


def _line(kind: str, code: str, price: int, quantity: int) -> CanonicalLine:
    item_id, variant_id = listing_ids(kind, code)
    return CanonicalLine("1", item_id, variant_id, SKU.objects.get(code=code).name, quantity, price)


def _address(person, *, prefecture=None, city=None) -> CanonicalAddress:
    name, kana, postal_code, pref, town, street, phone = person
    return CanonicalAddress(
        name=name,
        kana=kana,
        postal_code=postal_code,
        prefecture=prefecture or pref,
        city=city or town,
        address1=street,
        phone=phone,
        external_id="1",
    )


def _order(kind: str, n: int, ordered_at: datetime, person, **changes) -> Order:
    channel = Channel.objects.get(name=kind)
    code, price = ITEMS[n % len(ITEMS)]
    quantity = 1 + n % 2
    external_id = PREFIXES[kind].format(
        day=ordered_at.strftime("%Y%m%d"), day4=ordered_at.strftime("%m%d"), n=n
    )
    name, kana, *_rest, phone = person
    order = canonical(
        external_id=external_id,
        ordered_at=ordered_at,
        buyer_name=name,
        buyer_kana=kana,
        buyer_email=f"buyer{n}@example.jp",
        buyer_phone=phone,
        ship_tos=[_address(person)],
        lines=[_line(kind, code, price, quantity)],
        subtotal=price * quantity,
        total=price * quantity,
        delivery_time=["", "08-12", "14-16", "18-20"][n % 4],
    )
    return order_import(
        channel=channel, canonical=replace(order, **changes), payload={"orderNumber": external_id}
    ).order


def demo_orders_seed(*, now: datetime | None = None) -> dict[str, Order]:
    """About thirty orders over the last two weeks; returns the ones the browser tests act on by role:
    `mismatch` (postal code ≠ address, one-click fix), `remarks` (a hold to release), `phone` (found by phone
    search), and `ready` (印刷待ち)."""
    now = timezone.localtime(now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    made: list[Order] = []
    for n in range(26):
        kind = KINDS[n % 3]
        ordered_at = now - timedelta(days=(n * 5) % 14, hours=n % 9)
        made.append(_order(kind, n + 1, ordered_at, PEOPLE[n % len(PEOPLE)]))
    yamato = Carrier.objects.get(code="yamato")
    for order in made[10:18]:  # a week ago: picked and shipped
        order_status_change(order=order, to_status="printed", actor="demo")
        order_status_change(order=order, to_status="shipped", actor="demo")
        Shipment.objects.create(
            order=order, carrier=yamato, tracking_number=f"4444{order.pk:07d}", shipped_at=timezone.now()
        )
    for order in made[18:20]:
        order_status_change(order=order, to_status="printed", actor="demo")
    order_status_change(order=made[20], to_status="cancelled", actor="demo")
    special = {
        "mismatch": _order(
            "rakuten",
            90,
            now - timedelta(minutes=40),
            PEOPLE[0],
            remarks="",
            ship_tos=[
                _address(PEOPLE[5], prefecture="大阪府", city="大阪市北区")  # 150-0001 is 渋谷区, 東京都
            ],
        ),
        "remarks": _order(
            "yahoo", 91, now - timedelta(minutes=25), PEOPLE[6], remarks="のし紙（御祝）をお願いします"
        ),
        "phone": _order("amazon", 92, now - timedelta(minutes=10), PEOPLE[7], buyer_phone=UNIQUE_PHONE),
    }
    special["ready"] = made[0]
    # The shops answer: polled a minute ago, stock pushed, credentials with their renewal dates ahead.
    for channel, days_left in zip(Channel.objects.order_by("name"), (None, 61, 5), strict=True):
        channel.last_polled_at = timezone.now() - timedelta(minutes=1, seconds=10)
        channel.last_pushed_at = timezone.now() - timedelta(minutes=3)
        channel.credentials_expire_at = timezone.now() + timedelta(days=days_left) if days_left else None
        channel.save(update_fields=["last_polled_at", "last_pushed_at", "credentials_expire_at"])
    Listing.objects.update(needs_push=False, last_pushed_at=timezone.now() - timedelta(minutes=3))
    return special
