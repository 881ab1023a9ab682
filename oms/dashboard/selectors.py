"""Dashboard reads: status counts, orders per shop and day, channel health, and the order list's query.

Every function here costs a fixed number of queries, whatever the number of orders or shops.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import jaconv
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Replace, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Channel, ChannelAlert, Listing, QuarantinedPayload
from inventory.models import Allocation
from notifications.models import OutboundMail
from oms.actors import SYSTEM
from orders.models import Hold, Order, OrderEvent, OrderLine, OrderStatus, ShipTo
from shipping.models import Shipment

S = OrderStatus
# The nine work queues of the home page and the order list, in workflow order (ネクストエンジン's tabs).
STATUS_TABS = [S.NEW, S.ON_HOLD, S.AWAITING_STOCK, S.AWAITING_PAYMENT, S.SCHEDULED, S.READY, S.PRINTED]
STATUS_TABS += [S.SHIPPED, S.CANCELLED]


@dataclass(frozen=True)
class StatusTab:
    status: str
    label: str
    count: int


def status_tabs() -> list[StatusTab]:
    """One tab per status with its number of orders (one grouped query over the status index)."""
    counts = dict(Order.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return [StatusTab(status, S(status).label, counts.get(status, 0)) for status in STATUS_TABS]


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


@dataclass(frozen=True)
class ShopDay:
    channel: Channel
    orders: int
    total: int


def orders_today_by_channel(*, today: date, channels: list[Channel] | None = None) -> list[ShopDay]:
    """Today's orders (Japan time) and their amount, per shop, every shop listed."""
    start = _day_start(today)
    rows = {
        row["channel_id"]: row
        for row in Order.objects.filter(ordered_at__gte=start, ordered_at__lt=start + timedelta(days=1))
        .exclude(status=S.CANCELLED)
        .order_by()
        .values("channel_id")
        .annotate(n=Count("pk"), amount=Sum("total"))
    }
    return [
        ShopDay(channel, rows.get(channel.pk, {}).get("n", 0), rows.get(channel.pk, {}).get("amount") or 0)
        for channel in (channels if channels is not None else Channel.objects.order_by("name"))
    ]


@dataclass(frozen=True)
class DayCounts:
    day: date
    per_channel: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.per_channel.values())


def daily_order_counts(*, today: date, days: int = 14) -> list[DayCounts]:
    """Orders per day (Japan time) and shop for the last `days` days up to today, oldest first."""
    first = today - timedelta(days=days - 1)
    rows = (
        Order.objects.filter(ordered_at__gte=_day_start(first))
        .exclude(status=S.CANCELLED)
        .annotate(day=TruncDate("ordered_at"))
        .order_by()
        .values_list("day", "channel_id")
        .annotate(n=Count("pk"))
    )
    per_day: dict[date, dict[int, int]] = {first + timedelta(days=i): {} for i in range(days)}
    for day, channel_id, n in rows:
        if day in per_day:
            per_day[day][channel_id] = n
    return [DayCounts(day, counts) for day, counts in per_day.items()]


# Marketplace credentials that expire (Rakuten's licence key every 90 days, Yahoo's authorization every
# 4 weeks): warn this many days before. Amazon's refresh token does not expire.
CREDENTIAL_LIFETIME_DAYS = {Channel.Kind.RAKUTEN: 90, Channel.Kind.YAHOO: 28}
CREDENTIAL_WARNING_DAYS = {Channel.Kind.RAKUTEN: 14, Channel.Kind.YAHOO: 7}
# A poll that has not succeeded for this many intervals (and at least STALE_MIN_SECONDS) is late.
STALE_POLL_INTERVALS = 4
STALE_MIN_SECONDS = 300


@dataclass(frozen=True)
class ChannelHealth:
    channel: Channel
    poll_state: str  # ok | late | never | disabled | error
    open_quarantine: int
    open_alerts: int
    pending_pushes: int
    credential_state: str  # ok | soon | expired | unknown | none (does not expire)
    credential_days_left: int | None
    credential_lifetime_days: int | None

    @property
    def needs_attention(self) -> bool:
        return (
            self.poll_state in {"late", "error"}
            or self.credential_state in {"soon", "expired"}
            or bool(self.open_quarantine or self.open_alerts)
        )


def _grouped_counts(queryset: QuerySet) -> dict[int, int]:
    return dict(queryset.order_by().values_list("channel_id").annotate(n=Count("pk")))


def _poll_state(channel: Channel, now: datetime) -> str:
    if not channel.enabled:
        return "disabled"
    if not channel.healthy:
        return "error"
    if channel.last_polled_at is None:
        return "never"
    late_after = max(channel.poll_interval_seconds * STALE_POLL_INTERVALS, STALE_MIN_SECONDS)
    return "late" if (now - channel.last_polled_at).total_seconds() > late_after else "ok"


def _credential_state(channel: Channel, now: datetime) -> tuple[str, int | None]:
    warning_days = CREDENTIAL_WARNING_DAYS.get(channel.kind)
    if warning_days is None:
        return "none", None
    if channel.credentials_expire_at is None:
        return "unknown", None
    left = channel.credentials_expire_at - now
    days = left.days
    if left.total_seconds() <= 0:
        return "expired", days
    return ("soon" if days < warning_days else "ok"), days


def channel_health(
    *, now: datetime | None = None, channels: list[Channel] | None = None
) -> list[ChannelHealth]:
    """Per shop: is polling on time, open quarantined payloads and alerts, stock pushes waiting, and
    whether its credentials expire soon."""
    now = now or timezone.now()
    quarantine = _grouped_counts(QuarantinedPayload.objects.filter(resolved_at__isnull=True))
    alerts = _grouped_counts(ChannelAlert.objects.filter(resolved_at__isnull=True))
    pushes = _grouped_counts(Listing.objects.filter(needs_push=True))
    health = []
    for channel in channels if channels is not None else Channel.objects.order_by("name"):
        state, days = _credential_state(channel, now)
        health.append(
            ChannelHealth(
                channel=channel,
                poll_state=_poll_state(channel, now),
                open_quarantine=quarantine.get(channel.pk, 0),
                open_alerts=alerts.get(channel.pk, 0),
                pending_pushes=pushes.get(channel.pk, 0),
                credential_state=state,
                credential_days_left=days,
                credential_lifetime_days=CREDENTIAL_LIFETIME_DAYS.get(channel.kind),
            )
        )
    return health


# --- the order list ---------------------------------------------------------------------------------


def phone_digits(expression):
    """A phone column without the hyphens and spaces people and shops put in ("090-1234-5678" ->
    "09012345678"). On PostgreSQL an expression index of exactly this form backs the search
    (orders/migrations/0007_dashboard_search_indexes)."""
    return Replace(Replace(expression, Value("-"), Value("")), Value(" "), Value(""))


# The spaces people put between family and given name, or leave out: half width and 全角 (U+3000).
NAME_SPACES = (" ", "\u3000")


def without_spaces(expression):
    """A name or kana column without its spaces ("山崎　凛" -> "山崎凛"), so a search matches however the shop
    and the person searching spaced the name. On PostgreSQL a trigram index on UPPER() of exactly this
    expression serves the search: `UPPER(REPLACE(REPLACE(col, ' ', ''), '　', '')::text) gin_trgm_ops`."""
    for space in NAME_SPACES:
        expression = Replace(expression, Value(space), Value(""))
    return expression


def _spaceless(term: str) -> str:
    return "".join(term.split())  # str.split() splits on U+3000 too


_NOT_DIGITS = re.compile(r"\D")


def _search_ids(term: str) -> QuerySet:
    """The ids of the orders one search box term finds, as one UNION of index-backed lookups: order number,
    buyer and ship-to name or kana (hiragana finds katakana; spaces, half or full width, do not matter:
    「山崎凛」 and 「山崎 凛」 find 「山崎　凛」), e-mail, phone (any hyphenation, full-width digits too), SKU
    code, tracking number."""
    text = jaconv.z2h(term, kana=False, ascii=True, digit=True).strip()
    name = _spaceless(term)
    kana = _spaceless(jaconv.hira2kata(jaconv.h2z(term, kana=True, ascii=False, digit=False)))
    digits = _NOT_DIGITS.sub("", text)
    orders = Order.objects.order_by()
    ship_tos = ShipTo.objects.order_by()

    def spaceless_match(queryset: QuerySet, column: str, value: str, key: str) -> QuerySet:
        return (
            queryset.alias(spaceless=without_spaces(F(column))).filter(spaceless__icontains=value).values(key)
        )

    branches = [
        orders.filter(external_id__icontains=text).values("pk"),
        spaceless_match(orders, "buyer_name", name, "pk"),
        spaceless_match(orders, "buyer_kana", kana, "pk"),
        spaceless_match(ship_tos, "name", name, "order_id"),
        spaceless_match(ship_tos, "kana", kana, "order_id"),
        OrderLine.objects.order_by().filter(sku__code=text.upper()).values("order_id"),
        Shipment.objects.order_by().filter(tracking_number__in={text, digits} - {""}).values("order_id"),
    ]
    if "@" in text:
        branches.append(orders.filter(buyer_email__icontains=text).values("pk"))
    if 10 <= len(digits) <= 11:  # a whole Japanese phone number
        branches.append(orders.alias(d=phone_digits(F("buyer_phone"))).filter(d=digits).values("pk"))
        branches.append(ship_tos.alias(d=phone_digits(F("phone"))).filter(d=digits).values("order_id"))
    return branches[0].union(*branches[1:])


# Sortable columns: the key in the URL -> the fields to order by (the primary key breaks ties).
SORTS = {
    "ordered_at": ("ordered_at",),
    "external_id": ("external_id",),
    "channel": ("channel__name",),
    "buyer": ("buyer_kana", "buyer_name"),
    "total": ("total",),
    "status": ("status",),
    "delivery_date": ("delivery_date",),
}
DEFAULT_SORT = "-ordered_at"
NULLABLE_SORTS = {"delivery_date"}


def sort_fields(sort: str) -> list:
    descending = sort.startswith("-")
    fields = SORTS.get(sort.lstrip("-"))
    if fields is None:
        return sort_fields(DEFAULT_SORT)
    # Orders without a wished date go last either way. Only nullable columns say so: "NULLS LAST" on a
    # NOT NULL column would stop PostgreSQL from reading the (status, -ordered_at) indexes in order.
    ordering = [
        (F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True))
        if name in NULLABLE_SORTS
        else (f"-{name}" if descending else name)
        for name in fields
    ]
    return [*ordering, "-pk" if descending else "pk"]


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""
    channel: Channel | None = None
    hold: str = ""
    ordered_from: date | None = None
    ordered_to: date | None = None
    carrier: str = ""  # a Carrier code
    delivery_from: date | None = None
    delivery_to: date | None = None
    q: str = ""
    sort: str = DEFAULT_SORT


def order_list(*, filters: OrderFilters) -> QuerySet[Order]:
    """The order list's rows for these filters, sorted, with what each row shows loaded in a fixed number
    of queries (channel, carrier, active holds, ship-tos, shipments)."""
    queryset = Order.objects.all()
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.channel is not None:
        queryset = queryset.filter(channel=filters.channel)
    if filters.hold:
        active = Hold.objects.filter(order=OuterRef("pk"), code=filters.hold, resolved_at__isnull=True)
        queryset = queryset.filter(Exists(active))
    if filters.ordered_from:
        queryset = queryset.filter(ordered_at__gte=_day_start(filters.ordered_from))
    if filters.ordered_to:
        queryset = queryset.filter(ordered_at__lt=_day_start(filters.ordered_to + timedelta(days=1)))
    if filters.carrier:
        # An order without its own carrier ships with its shop's default carrier (as picking does).
        queryset = queryset.filter(
            Q(carrier__code=filters.carrier)
            | Q(carrier__isnull=True, channel__default_carrier=filters.carrier)
        )
    if filters.delivery_from:
        queryset = queryset.filter(delivery_date__gte=filters.delivery_from)
    if filters.delivery_to:
        queryset = queryset.filter(delivery_date__lte=filters.delivery_to)
    if filters.q.strip():
        queryset = queryset.filter(pk__in=_search_ids(filters.q.strip()))
    return (
        queryset.select_related("channel", "carrier")
        .prefetch_related(
            # Prefetch objects keep these to one query each, however many rows the page has.
            _active_holds(),
            "ship_tos",
            _shipments(),
        )
        .order_by(*sort_fields(filters.sort))
    )


def _active_holds() -> Prefetch:
    return Prefetch(
        "holds", queryset=Hold.objects.filter(resolved_at__isnull=True).order_by("pk"), to_attr="active_holds"
    )


def _shipments() -> Prefetch:
    return Prefetch("shipments", queryset=Shipment.objects.select_related("carrier").order_by("pk"))


# --- the order slip ---------------------------------------------------------------------------------

OPEN_STATUSES = {S.NEW, S.ON_HOLD, S.AWAITING_STOCK, S.AWAITING_PAYMENT, S.SCHEDULED, S.READY}


def order_slip(*, pk: int) -> Order:
    """One order with everything its slip shows (lines with SKU and allocations, ship-tos, holds, mails,
    shipments, the audit trail), in a fixed number of queries. Raises Order.DoesNotExist."""
    return (
        Order.objects.select_related("channel", "carrier", "merged_into", "split_from")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related("sku", "ship_to")
                .prefetch_related(
                    Prefetch(
                        "allocations",
                        queryset=Allocation.objects.select_related(
                            "stock_level__warehouse", "stock_level__sku"
                        ),
                    )
                )
                .order_by("pk"),
            ),
            Prefetch("ship_tos", queryset=ShipTo.objects.order_by("pk")),
            Prefetch(
                "holds", queryset=Hold.objects.select_related("resolved_by").order_by("-resolved_at", "pk")
            ),
            Prefetch("mails", queryset=OutboundMail.objects.select_related("template").order_by("pk")),
            _shipments(),
            Prefetch("events", queryset=OrderEvent.objects.order_by("-pk")),
            Prefetch("merged_from", queryset=Order.objects.order_by("pk")),
            Prefetch("split_into", queryset=Order.objects.order_by("pk")),
        )
        .get(pk=pk)
    )


def merge_candidates(*, order: Order) -> list[Order]:
    """Other open orders of the same shop to the same buyer and address (same merge key, 同梱候補). Orders
    split from one another are left out: they were separated on purpose."""
    if not order.merge_key or order.status not in OPEN_STATUSES:
        return []
    candidates = (
        Order.objects.filter(channel_id=order.channel_id, merge_key=order.merge_key, status__in=OPEN_STATUSES)
        .exclude(pk=order.pk)
        .exclude(split_from_id=order.pk)
    )
    if order.split_from_id:
        candidates = candidates.exclude(pk=order.split_from_id).exclude(split_from_id=order.split_from_id)
    return list(candidates.order_by("ordered_at", "pk"))


# --- who did it -------------------------------------------------------------------------------------


def actor_names(*, actors) -> dict[str, str]:
    """A person-readable name for each audit actor (oms.actors): `user:<username>` -> the user's full name,
    else the username; `channel:<name>` -> the shop's display name; `api:<key>` and `system` spelled out.
    Anything else stays as it is. At most two queries, whatever the number of actors."""
    actors = set(actors)
    usernames = {actor[5:] for actor in actors if actor.startswith("user:")}
    channel_names = {actor[8:] for actor in actors if actor.startswith("channel:")}
    user_model = get_user_model()
    users = user_model.objects.filter(**{f"{user_model.USERNAME_FIELD}__in": usernames}) if usernames else []
    shops = Channel.objects.filter(name__in=channel_names) if channel_names else []
    names = {f"user:{user.get_username()}": user.get_full_name() or user.get_username() for user in users}
    names |= {f"channel:{shop.name}": str(shop) for shop in shops}
    for actor in actors - names.keys():
        if actor == SYSTEM:
            names[actor] = _("System")
        elif actor.startswith("api:"):
            names[actor] = _("API key %(name)s") % {"name": actor[4:]}
        elif actor.startswith("user:"):  # a user deleted since
            names[actor] = actor[5:]
        else:
            names[actor] = actor
    return names
