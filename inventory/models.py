"""Inventory tables: catalogue (Product, SKU, set components), warehouses, stock levels, ledger, allocations."""

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

sku_code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9_-]{0,63}$", _("Use upper-case letters, digits, - and _.")
)
jan_validator = RegexValidator(r"^(\d{8}|\d{13})$", _("A JAN code has 8 or 13 digits."))


class Product(models.Model):
    """What the shop sells; its variations (colour, size) are SKUs."""

    code = models.CharField(_("product code"), max_length=32, unique=True, validators=[sku_code_validator])
    name = models.CharField(_("name"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TaxRate(models.IntegerChoices):
    """Japanese consumption tax (消費税) rates in percent: 10 standard, 8 reduced (軽減税率: food and drink
    other than alcohol and eating out, newspapers on subscription)."""

    STANDARD = 10, _("10% (standard)")
    REDUCED = 8, _("8% (reduced, 軽減税率)")


class Temperature(models.TextChoices):
    """How a SKU must travel, from warm to cold: the carriers' クール便 (cool delivery) classes."""

    AMBIENT = "ambient", _("ambient (常温)")
    CHILLED = "chilled", _("chilled (冷蔵)")
    FROZEN = "frozen", _("frozen (冷凍)")


# Coldest wins: a parcel travels at the coldest temperature any of its items needs.
TEMPERATURE_ORDER = {Temperature.AMBIENT: 0, Temperature.CHILLED: 1, Temperature.FROZEN: 2}


class SKU(models.Model):
    """One sellable variation. A set SKU (セット商品) has components and no stock of its own.

    The tax rate and temperature are per SKU rather than per product because order lines point at SKUs and a
    set SKU belongs to the catch-all product SET whatever its contents."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="skus")
    code = models.CharField(_("SKU code"), max_length=64, unique=True, validators=[sku_code_validator])
    name = models.CharField(_("name"), max_length=255)
    jan = models.CharField(_("JAN code"), max_length=13, blank=True, validators=[jan_validator])
    location_code = models.CharField(_("location"), max_length=32, blank=True, help_text=_("e.g. A-01-03"))
    weight_g = models.PositiveIntegerField(_("weight (g)"), default=0)
    price = models.PositiveIntegerField(_("price (JPY, tax incl.)"), default=0)
    is_set = models.BooleanField(_("set product"), default=False)
    tax_rate = models.PositiveSmallIntegerField(
        _("consumption tax rate (%)"), choices=TaxRate.choices, default=TaxRate.STANDARD
    )
    temperature = models.CharField(
        _("temperature"), max_length=8, choices=Temperature.choices, default=Temperature.AMBIENT
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        indexes = [models.Index(fields=["jan"])]
        constraints = [
            models.CheckConstraint(condition=Q(tax_rate__in=TaxRate.values), name="sku_tax_rate_known"),
            models.CheckConstraint(
                condition=Q(temperature__in=Temperature.values), name="sku_temperature_known"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class SetComponent(models.Model):
    """A set SKU holds `quantity` units of a component SKU."""

    set_sku = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey(SKU, on_delete=models.PROTECT, related_name="in_sets")
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["set_sku", "component"], name="setcomponent_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="setcomponent_quantity_positive"),
            models.CheckConstraint(condition=~Q(set_sku=F("component")), name="setcomponent_not_self"),
        ]
        verbose_name = _("set component")
        verbose_name_plural = _("set components")

    def __str__(self) -> str:
        return f"{self.set_sku_id} ⊃ {self.quantity}× {self.component_id}"


class Warehouse(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=255)
    priority = models.PositiveIntegerField(_("allocation priority"), default=100, help_text=_("Lower first."))

    class Meta:
        ordering = ["priority", "code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")

    def __str__(self) -> str:
        return self.code


class StockLevel(models.Model):
    """The one stock truth per (SKU, warehouse). Free = on_hand - allocated; the database refuses oversell."""

    sku = models.ForeignKey(SKU, on_delete=models.PROTECT, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(_("on hand"), default=0)
    allocated = models.IntegerField(_("allocated"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["sku", "warehouse"], name="stocklevel_unique_sku_warehouse"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0) & Q(allocated__lte=F("on_hand")),
                name="stocklevel_allocated_within_on_hand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}@{self.warehouse_id}: {self.on_hand}/{self.allocated}"

    @property
    def free(self) -> int:
        return self.on_hand - self.allocated


class StockMovement(models.Model):
    """Ledger: every change of on_hand or allocated, with why and by whom. Counters equal the sums."""

    class Reason(models.TextChoices):
        ADJUST = "adjust", _("adjustment")
        RECEIVE = "receive", _("receipt")
        COUNT = "count", _("stock count")
        ALLOCATE = "allocate", _("allocation")
        DEALLOCATE = "deallocate", _("deallocation")
        CONSUME = "consume", _("shipment")

    stock_level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="movements")
    on_hand_delta = models.IntegerField(default=0)
    allocated_delta = models.IntegerField(default=0)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    actor = models.CharField(max_length=150, help_text=_("user:<name>, system, or channel:<name>"))
    reference = models.CharField(max_length=255, blank=True, help_text=_("order number, CSV file, …"))
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")

    def __str__(self) -> str:
        return f"{self.reason} {self.on_hand_delta:+d}/{self.allocated_delta:+d}"


class Allocation(models.Model):
    """Units of one stock level reserved for one order line (引当). A set line allocates its components."""

    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.CASCADE, related_name="allocations")
    stock_level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="allocations")
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.UniqueConstraint(
                fields=["order_line", "stock_level"], name="allocation_unique_line_level"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="allocation_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity}× {self.stock_level_id} for line {self.order_line_id}"
