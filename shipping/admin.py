"""Admin pages for carriers and shipments."""

from django.contrib import admin

from shipping.models import Carrier, Shipment


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
