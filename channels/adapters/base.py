"""The one interface every marketplace adapter implements, and the canonical data it speaks.

Everything marketplace-specific (field names, date formats, codes) stays inside the adapter module;
the rest of the OMS sees only these types.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol


class AdapterError(Exception):
    """Base of everything an adapter raises."""


class AuthError(AdapterError):
    """The marketplace refused our credentials: retrying will not help; the channel is marked unhealthy."""


class TransientError(AdapterError):
    """A failure that may pass (5xx, timeout, throttling, broken body) and that survived our retries."""


class PayloadError(AdapterError):
    """One order's payload cannot be understood; it is quarantined with this message, the poll goes on."""


@dataclass
class CanonicalAddress:
    name: str
    postal_code: str
    prefecture: str
    city: str
    address1: str
    address2: str = ""
    kana: str = ""
    phone: str = ""
    external_id: str = ""  # Rakuten basketId (送付先ID)


@dataclass
class CanonicalLine:
    external_line_id: str
    item_id: str  # the shop's item id: Rakuten manageNumber, Yahoo ItemId, Amazon SellerSKU
    variant_id: str  # Rakuten variantId, Yahoo SubCode; "" for Amazon
    name: str
    quantity: int
    unit_price: int  # yen, tax included
    ship_to_index: int = 0


@dataclass
class CanonicalOrder:
    """An order as the OMS understands it, whatever shop it came from."""

    external_id: str
    ordered_at: datetime
    updated_at: datetime | None
    cancelled: bool
    buyer_name: str
    buyer_kana: str
    buyer_email: str
    buyer_phone: str
    payment_method: str  # orders.models.PaymentMethod value
    paid: bool
    subtotal: int
    shipping_fee: int
    payment_fee: int
    discount: int
    total: int
    remarks: str
    is_gift: bool
    delivery_date: date | None
    delivery_time: str  # orders.models.DeliveryTime value ("" = none)
    ship_tos: list[CanonicalAddress]
    lines: list[CanonicalLine]
    shipped_on_marketplace: bool = False
    # True while the shop waits for us to take the order (Rakuten orderProgress 100, Yahoo not seen yet).
    needs_ack: bool = False


@dataclass(frozen=True)
class RawOrder:
    """One order as fetched, before parsing: kept whole so a payload that fails to parse can be quarantined."""

    external_id: str
    payload: Any


@dataclass(frozen=True)
class StockUpdate:
    item_id: str
    variant_id: str
    quantity: int


@dataclass(frozen=True)
class ShipmentUpdate:
    external_order_id: str
    carrier_code: str  # shipping.Carrier.code: yamato | sagawa | japanpost
    tracking_number: str
    shipped_on: date
    # Amazon needs the order item ids and quantities in the parcel; others ignore them. None: the adapter
    # works them out (Amazon: the units not shipped yet); []: the parcel carries none (a later parcel).
    items: list[tuple[str, int]] | None = None
    ship_to_external_id: str = ""  # Rakuten basketId
    # Every tracking number of the order, this one included, oldest parcel first: Yahoo keeps two per order
    # (ShipInvoiceNumber1, 2) and each report replaces both.
    order_tracking_numbers: list[str] = field(default_factory=list)


@dataclass
class FetchResult:
    orders: list[RawOrder]
    # Where the next poll may start (the marketplace's own clock when it tells us, else our request window's end).
    next_position: datetime | None


class MarketplaceAdapter(Protocol):
    """What the OMS asks of a marketplace. Each method raises AuthError, TransientError or AdapterError.

    An adapter may set `fetch_ahead = True` when its next page can be fetched while the one before is
    imported (its fetching remembers nothing that must wait for an import); channels.sync then overlaps them."""

    def fetch_orders(self, *, since: datetime, until: datetime) -> Iterator[list[RawOrder]]:
        """Orders created or changed in [since, until], page by page (a page may repeat an order)."""
        ...

    def fetch_order(self, external_id: str) -> RawOrder: ...

    def parse_order(self, raw: RawOrder) -> CanonicalOrder:
        """Raises PayloadError when the payload cannot be understood."""
        ...

    def acknowledge(self, external_ids: list[str]) -> None:
        """Tell the shop we took the orders (Rakuten confirmOrder 100→300, Yahoo marked seen)."""
        ...

    def push_stock(self, updates: list[StockUpdate]) -> None:
        """Set the shown quantity of each listing (absolute values), in the marketplace's bulk form."""
        ...

    def fetch_stock(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The quantity the shop shows now for each (item_id, variant_id); unknown listings are left out."""
        ...

    def push_shipment(self, shipment: ShipmentUpdate) -> str:
        """Report a parcel shipped with its tracking number; returns the shop's answer for the timeline."""
        ...
