"""Admin pages for carriers, shipments and label exports."""

from django.contrib import admin

from shipping.models import Carrier, LabelExport, Shipment


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "tracking_url_template")
    search_fields = ("code", "name")


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ("order", "carrier", "tracking_number", "shipped_at")
    list_filter = ("carrier",)
    search_fields = ("tracking_number", "order__external_id")
    list_select_related = ("order", "carrier")
    raw_id_fields = ("order",)
    date_hierarchy = "shipped_at"


@admin.register(LabelExport)
class LabelExportAdmin(admin.ModelAdmin):
    """Read-only: an export is history (its orders' timelines show it)."""

    list_display = ("pk", "created_at", "carrier", "order_count", "label_count", "actor")
    list_filter = ("carrier",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
