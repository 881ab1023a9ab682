"""The project's own app: API keys for integrations and the REST API under /api/v1/."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OmsConfig(AppConfig):
    name = "oms"
    verbose_name = _("API access")
    default_auto_field = "django.db.models.BigAutoField"
