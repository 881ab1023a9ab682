"""Admin pages for the catalogue and stock (the ledger is read-only: stock changes go through services)."""

from django.contrib import admin

from inventory.models import SKU, Allocation, Product, SetComponent, StockLevel, StockMovement, Warehouse


class SKUInline(admin.TabularInline):
    model = SKU
    extra = 0
    fields = (
        "code",
        "name",
        "jan",
        "location_code",
        "weight_g",
        "price",
        "tax_rate",
        "temperature",
        "is_set",
    )
    show_change_link = True


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "created_at")
    search_fields = ("code", "name")
    inlines = [SKUInline]


class SetComponentInline(admin.TabularInline):
    model = SetComponent
    fk_name = "set_sku"
    extra = 0
    autocomplete_fields = ("component",)


@admin.register(SKU)
class SKUAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "product",
        "jan",
        "location_code",
        "price",
        "tax_rate",
        "temperature",
        "is_set",
    )
    list_filter = ("is_set", "tax_rate", "temperature")
    search_fields = ("code", "name", "jan", "product__code", "product__name")
    list_select_related = ("product",)
    autocomplete_fields = ("product",)
    inlines = [SetComponentInline]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "priority")
    search_fields = ("code", "name")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services; the admin may look but not touch."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ("sku", "warehouse", "on_hand", "allocated", "free", "updated_at")
    list_filter = ("warehouse",)
    search_fields = ("sku__code", "sku__name", "sku__jan")
    list_select_related = ("sku", "warehouse")

    @admin.display(description="free")
    def free(self, obj):
        return obj.free


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "stock_level",
        "on_hand_delta",
        "allocated_delta",
        "reason",
        "actor",
        "reference",
    )
    list_filter = ("reason", "stock_level__warehouse")
    search_fields = ("stock_level__sku__code", "reference", "actor")
    list_select_related = ("stock_level",)
    date_hierarchy = "created_at"


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ("order_line", "stock_level", "quantity", "created_at")
    search_fields = ("order_line__order__external_id", "stock_level__sku__code")
    list_select_related = ("order_line", "stock_level")
