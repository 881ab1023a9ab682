"""Admin pages for orders with their addresses, lines, holds and audit trail."""

from django.contrib import admin
from django.db.models import Count, Q

from orders.models import Hold, HoldRule, Order, OrderEvent, OrderLine, ShipTo


class ShipToInline(admin.StackedInline):
    model = ShipTo
    extra = 0


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fk_name = "order"
    extra = 0
    raw_id_fields = ("sku", "ship_to")
    readonly_fields = ("allocated_quantity", "shipped_quantity", "bought_on")


class HoldInline(admin.TabularInline):
    model = Hold
    extra = 0
    readonly_fields = ("code", "message", "created_at", "resolved_at", "resolved_by")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    readonly_fields = ("created_at", "kind", "actor", "message", "before", "after")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "external_id",
        "channel",
        "status",
        "ordered_at",
        "buyer_name",
        "total",
        "payment_method",
        "delivery_date",
        "delivery_time",
        "active_holds",
    )
    list_filter = ("status", "channel", "payment_method", "holds__code")
    search_fields = ("external_id", "buyer_name", "buyer_kana", "buyer_phone", "buyer_email")
    list_select_related = ("channel",)
    raw_id_fields = ("carrier",)
    readonly_fields = ("status", "raw_payload", "created_at", "updated_at")
    date_hierarchy = "ordered_at"
    inlines = [ShipToInline, OrderLineInline, HoldInline, OrderEventInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_hold_count=Count("holds", filter=Q(holds__resolved_at__isnull=True), distinct=True)
            )
        )

    @admin.display(description="holds", ordering="active_hold_count")
    def active_holds(self, obj):
        return obj.active_hold_count


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    list_display = ("order", "code", "message", "created_at", "resolved_at", "resolved_by")
    list_filter = ("code", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("order__external_id", "code")
    list_select_related = ("order", "resolved_by")
    raw_id_fields = ("order",)
    readonly_fields = ("resolved_by", "resolved_at")


@admin.register(OrderEvent)
class OrderEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "order", "kind", "actor", "message")
    list_filter = ("kind",)
    search_fields = ("order__external_id", "actor")
    list_select_related = ("order",)
    raw_id_fields = ("order",)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(HoldRule)
class HoldRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "action", "channel", "pattern", "enabled", "note")
    list_filter = ("code", "action", "enabled", "channel")
    search_fields = ("code", "pattern", "note")
    list_select_related = ("channel",)
