"""Serializer fields of the API.

JSON-strict input fields: DRF would take 0 for a string or a boolean and "5" for a number; the schema says
otherwise, so these refuse any other JSON type (schemathesis checks that the API rejects it).
DisplayField: an output field for a model choice's label."""

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class DisplayField(serializers.CharField):
    """The label of a model choice field: DisplayField(choice_field="status") gives get_status_display().

    DRF would inspect the method's signature for every row before calling it; on a page of orders that cost
    more than the rest of the field's work."""

    def __init__(self, *, choice_field: str, **kwargs):
        self.display_method = f"get_{choice_field}_display"
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return getattr(instance, self.display_method)()
