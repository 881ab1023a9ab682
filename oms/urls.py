"""URL routes: admin, health probes and the OpenAPI schema; each app adds its own under here."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from oms import views

urlpatterns = [
    path("", include("oms.dashboard.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("oms.api.urls")),
]

admin.site.site_header = "OMS バックヤード"
admin.site.site_title = "OMS"
admin.site.index_title = "管理"
