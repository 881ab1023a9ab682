"""The demo data set: a Japanese apparel and food shop on three marketplaces, pointed at the local simulators.

`demo_seed()` only creates what is missing, so running it twice changes nothing. The simulators keep nothing
between runs, so `seed_demo` (each `make run`, compose's setup) also has every listing of a shop that points
at a simulator sent again: `demo_simulators_restock()`.
"""

import os
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlparse

from django.contrib.auth import get_user_model
from django.db import transaction

from channels.models import Channel, Listing
from channels.services import channel_listings_mark_all_for_push, channel_schedule_sync
from inventory.models import SKU, Product, SetComponent, StockMovement, TaxRate, Temperature, Warehouse
from inventory.services import stock_adjust
from notifications.models import MailTemplate
from oms.demo_catalogue import CATALOGUE, SETS, variant_price_weight
from oms.demo_endpoints import AMAZON_SIM_SMTP_PORT, SIMULATOR_HOST, SIMULATOR_PORTS, amazon_maildir
from oms.paths import VAR_DIR
from shipping.models import Carrier

# The simulators accept exactly these (GET /_sim/credentials returns them).
DEMO_CREDENTIALS = {
    "rakuten": {
        "service_secret": "SP100001_demo_secret",  # nosec B105 # demo credentials of the local simulators
        "license_key": "SL100001_demo_license",
        "shop_id": "100001",
    },
    "yahoo": {
        "client_id": "dj00demo-yahoo-client",
        "client_secret": "demo-yahoo-secret",  # nosec B105 # demo credentials of the local simulators
        "refresh_token": "demo-yahoo-refresh-token",  # nosec B105 # demo credentials of the local simulators
        "seller_id": "demo-store",
    },
    "amazon": {
        "lwa_app_id": "amzn1.application-oa2-client.demo",
        "lwa_client_secret": "demo-amazon-secret",  # nosec B105 # demo credentials of the local simulators
        "refresh_token": "Atzr|demo-amazon-refresh",  # nosec B105 # demo credentials of the local simulators
        "seller_id": "A1DEMOSELLER",
        "marketplace_id": "A1VC38T7YXB528",
    },
}
DEMO_CHANNELS = [
    ("rakuten", "rakuten", "さくら堂 楽天市場店", 15),
    ("yahoo", "yahoo", "さくら堂 Yahoo!店", 15),
    # getOrders refills one request a minute (burst 20): polling more often only waits for the quota.
    ("amazon", "amazon", "さくら堂 Amazon店", 60),
]
ADMIN_USERNAME = "admin"
LOGIN_FILE = VAR_DIR / "demo-login.txt"

# 軽減税率 (8%): food. 天然醸造みそ is unpasteurised and travels chilled (クール便 冷蔵); the rest is ambient.
REDUCED_TAX_PRODUCTS = {"COFFEE", "TEA", "SENBEI", "HONEY", "RICE", "MISO", "SET"}
CHILLED_PRODUCTS = {"MISO"}
CARRIERS = [
    ("yamato", "ヤマト運輸", "https://jizen.kuronekoyamato.co.jp/jizen/servlet/crjz.b.NQ0010?id={number}"),
    ("sagawa", "佐川急便", "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo={number}"),
    (
        "japanpost",
        "日本郵便",
        "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1={number}",
    ),
]
MAIL_TEMPLATES = [
    (
        "order_confirmation",
        "ご注文確認メール",
        "【{{ shop_name }}】ご注文ありがとうございます（注文番号 {{ order.external_id }}）",
        "{{ order.buyer_name }} 様\n\n{{ shop_name }}をご利用いただき、誠にありがとうございます。\n"
        "以下の内容でご注文を承りました。\n\n注文番号：{{ order.external_id }}\n"
        "{% for line in order.lines.all %}・{{ line.name }} × {{ line.quantity }}\n{% endfor %}"
        "合計金額：{{ order.total }}円\n"
        "{% if order.delivery_date %}お届け希望日：{{ order.delivery_date|date:'Y年n月j日' }}\n{% endif %}"
        "{% if order.delivery_time %}お届け希望時間帯：{{ order.get_delivery_time_display }}\n{% endif %}"
        "\n発送の準備が整いましたら、あらためてご連絡いたします。\n\n{{ shop_name }}",
    ),
    (
        "shipping_notice",
        "発送完了メール",
        "【{{ shop_name }}】商品を発送いたしました（注文番号 {{ order.external_id }}）",
        "{{ order.buyer_name }} 様\n\nご注文の商品を本日発送いたしました。\n\n注文番号：{{ order.external_id }}\n"
        "{% for shipment in order.shipments.all %}配送業者：{{ shipment.carrier.name }}\n"
        "お問い合わせ番号：{{ shipment.tracking_number }}\n"
        "配送状況：{{ shipment.tracking_url }}\n{% endfor %}"
        "\n商品の到着まで今しばらくお待ちください。\n\n{{ shop_name }}",
    ),
    (
        "delivery_date_change",
        "お届け日変更のお知らせ",
        "【{{ shop_name }}】お届け日についてのご連絡（注文番号 {{ order.external_id }}）",
        "{{ order.buyer_name }} 様\n\nご指定いただいたお届け日にお届けすることが難しいため、"
        "お届け日を変更させていただきたくご連絡いたしました。\n\n注文番号：{{ order.external_id }}\n"
        "変更後のお届け予定日：{{ new_delivery_date|date:'Y年n月j日' }}\n\n"
        "ご不便をおかけし申し訳ございません。ご都合が悪い場合はご返信ください。\n\n{{ shop_name }}",
    ),
]


def simulator_url(kind: str) -> str:
    """Where the demo channel finds its simulator: loopback, unless OMS_SIM_<KIND>_URL says otherwise
    (docker-compose runs each simulator as its own service)."""
    return os.environ.get(f"OMS_SIM_{kind.upper()}_URL") or f"http://{SIMULATOR_HOST}:{SIMULATOR_PORTS[kind]}"


REPLY_TEMPLATES = [
    (
        "shipping_status",
        "配送状況のご案内",
        "{% if buyer_name %}{{ buyer_name }} 様{% else %}お客様{% endif %}\n\nお問い合わせありがとうございます。"
        "{{ shop_name }}です。\n"
        "{% if tracking_number %}ご注文（{{ order_number }}）は{{ carrier_name }}にて発送済みです。"
        "お問い合わせ番号は {{ tracking_number }} です。\n"
        "{% else %}ご注文（{{ order_number }}）は現在発送の準備中です。"
        "発送後にあらためてご連絡いたします。\n{% endif %}"
        "今しばらくお待ちくださいませ。",
    ),
    (
        "address_change",
        "お届け先変更のご依頼",
        "{% if buyer_name %}{{ buyer_name }} 様{% else %}お客様{% endif %}\n\nお問い合わせありがとうございます。"
        "{{ shop_name }}です。\nご注文（{{ order_number }}）のお届け先変更を承りました。"
        "発送前のため、ご指定の住所へお届けいたします。",
    ),
]


def jan_with_check_digit(first12: str) -> str:
    """JAN-13 (EAN-13): weights 1,3 alternate from the left; check digit makes the sum a multiple of 10."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def listing_ids(kind: str, sku_code: str) -> tuple[str, str]:
    """The shop's ids for our SKU (the rule the simulators follow too)."""
    product_code = sku_code.split("-", 1)[0].lower()
    if kind == "amazon":
        return sku_code, ""
    return product_code, sku_code


@dataclass
class DemoResult:
    created: dict[str, int] = field(default_factory=dict)
    admin_password: str | None = None

    def add(self, what: str, created: bool) -> None:
        if created:
            self.created[what] = self.created.get(what, 0) + 1


def _tax_and_temperature(product_code: str) -> dict:
    return {
        "tax_rate": TaxRate.REDUCED if product_code in REDUCED_TAX_PRODUCTS else TaxRate.STANDARD,
        "temperature": Temperature.CHILLED if product_code in CHILLED_PRODUCTS else Temperature.AMBIENT,
    }


def _catalogue(result: DemoResult) -> list[SKU]:
    skus = []
    serial = 0
    for index, (code, name, variants, price, weight) in enumerate(CATALOGUE):
        product, created = Product.objects.get_or_create(code=code, defaults={"name": name})
        result.add("products", created)
        for v_index, variant in enumerate(variants):
            suffix, variant_name = variant[:2]
            sku_price, sku_weight = variant_price_weight(variant, price, weight)
            serial += 1
            sku, created = SKU.objects.get_or_create(
                code=f"{code}-{suffix}",
                defaults={
                    "product": product,
                    "name": f"{name} {variant_name}",
                    "jan": jan_with_check_digit(f"4580000{serial:05d}"),
                    "location_code": f"{'ABCDE'[index % 5]}-{index + 1:02d}-{v_index + 1:02d}",
                    "weight_g": sku_weight,
                    "price": sku_price,
                    **_tax_and_temperature(code),
                },
            )
            result.add("skus", created)
            skus.append(sku)
    set_product, created = Product.objects.get_or_create(code="SET", defaults={"name": "ギフトセット"})
    result.add("products", created)
    for code, name, price, parts in SETS:
        sku, created = SKU.objects.get_or_create(
            code=code,
            defaults={
                "product": set_product,
                "name": name,
                "price": price,
                "is_set": True,
                **_tax_and_temperature("SET"),
            },
        )
        result.add("skus", created)
        for part_code, quantity in parts:
            _c, created = SetComponent.objects.get_or_create(
                set_sku=sku, component=SKU.objects.get(code=part_code), defaults={"quantity": quantity}
            )
            result.add("set components", created)
        skus.append(sku)
    return skus


def _stock(result: DemoResult, warehouse: Warehouse, skus: list[SKU]) -> None:
    for index, sku in enumerate(skus):
        if sku.is_set or StockMovement.objects.filter(stock_level__sku=sku).exists():
            continue
        quantity = 20 + (index * 37) % 100
        stock_adjust(
            sku=sku,
            delta=quantity,
            actor="system",
            warehouse=warehouse,
            reason=StockMovement.Reason.RECEIVE,
            reference="demo: initial receipt",
        )
        result.add("stock receipts", True)


def _channels(result: DemoResult, skus: list[SKU]) -> None:
    for name, kind, display_name, interval in DEMO_CHANNELS:
        channel = Channel.objects.filter(name=name).first()
        if channel is None:
            channel = Channel(
                name=name,
                kind=kind,
                display_name=display_name,
                base_url=simulator_url(kind),
                poll_interval_seconds=interval,
                stock_buffer=1 if kind == "amazon" else 0,
            )
            credentials = dict(DEMO_CREDENTIALS[kind])
            if kind == "amazon":
                credentials.update(
                    inquiry_maildir=amazon_maildir(),
                    reply_from="shop@example.jp",
                    smtp_host=urlparse(simulator_url("amazon")).hostname or SIMULATOR_HOST,
                    smtp_port=AMAZON_SIM_SMTP_PORT,
                )
            channel.credentials = credentials
            channel.save()
            channel_schedule_sync(channel=channel)
            result.add("channels", True)
        for sku in skus:
            item_id, variant_id = listing_ids(kind, sku.code)
            _l, created = Listing.objects.get_or_create(
                channel=channel,
                sku=sku,
                defaults={"external_item_id": item_id, "external_variant_id": variant_id},
            )
            result.add("listings", created)


DEMO_USERS = [  # (username, role); the administrator is also a superuser for the Django admin (settings)
    (ADMIN_USERNAME, "administrator"),
    ("operator", "operator"),
    ("warehouse", "warehouse"),
    ("support", "customer_service"),
]


def _users(result: DemoResult) -> None:
    """One demo user per role, each with a generated password, written once to var/demo-login.txt."""
    from django.contrib.auth.models import Group

    from oms.roles import roles_ensure

    roles_ensure()
    user_model = get_user_model()
    lines = []
    for username, role in DEMO_USERS:
        if user_model.objects.filter(username=username).exists():
            continue
        password = secrets.token_urlsafe(12)
        if role == "administrator":
            user = user_model.objects.create_superuser(
                username=username, email="admin@example.jp", password=password
            )
            result.admin_password = password
        else:
            user = user_model.objects.create_user(username=username, password=password)
        user.groups.add(Group.objects.get(name=role))
        lines.append(f"{username} {password} {role}")
        result.add("users", True)
    if lines:
        # a user made now replaces the line of a user of that name seeded into another database before (make
        # run prints every line: an old password for the same name only misleads)
        made = {line.split(" ", 1)[0] for line in lines}
        kept = []
        if LOGIN_FILE.exists():
            kept = [
                line
                for line in LOGIN_FILE.read_text(encoding="utf-8").splitlines()
                if line.strip() and line.split(" ", 1)[0] not in made
            ]
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        LOGIN_FILE.touch(mode=0o600)
        LOGIN_FILE.chmod(0o600)  # before the passwords are in it
        LOGIN_FILE.write_text("\n".join(kept + lines) + "\n", encoding="utf-8")


def demo_simulators_restock() -> int:
    """Mark every listing of the shops that point at a simulator to be sent again; the listings marked.

    A simulator starts empty: until it is told each quantity again it shows no stock and its shoppers buy
    nothing. Beat's stock push sends them as soon as the simulators answer (a push that fails stays pending)."""
    marked = 0
    for channel in Channel.objects.filter(kind__in=sorted(SIMULATOR_PORTS)):
        if channel.base_url.rstrip("/") == simulator_url(channel.kind).rstrip("/"):
            marked += channel_listings_mark_all_for_push(channel=channel)
    return marked


@transaction.atomic
def demo_seed() -> DemoResult:
    result = DemoResult()
    warehouse, created = Warehouse.objects.get_or_create(
        code="MAIN", defaults={"name": "本社倉庫（東京都江東区）"}
    )
    result.add("warehouses", created)
    for code, name, url in CARRIERS:
        _c, created = Carrier.objects.get_or_create(
            code=code, defaults={"name": name, "tracking_url_template": url}
        )
        result.add("carriers", created)
    for code, name, subject, body in MAIL_TEMPLATES:
        _t, created = MailTemplate.objects.get_or_create(
            code=code, defaults={"name": name, "subject": subject, "body": body}
        )
        result.add("mail templates", created)
    from notifications.models import ReplyTemplate

    for code, name, body in REPLY_TEMPLATES:
        _t, created = ReplyTemplate.objects.get_or_create(code=code, defaults={"name": name, "body": body})
        result.add("reply templates", created)
    skus = _catalogue(result)
    _stock(result, warehouse, skus)
    _channels(result, skus)
    _users(result)
    return result
