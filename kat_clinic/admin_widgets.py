"""Admin form pieces shared by the apps' admins: human durations, choice checkboxes, searchable zones."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError

_UNITS = {
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}  # fmt: skip
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")


def human_duration(value: dt.timedelta | None) -> str:
    """ "3 days", "24 h", "90 min": whole days from two days up, then hours, then minutes."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    if seconds % 86400 == 0 and seconds >= 2 * 86400:
        return f"{seconds // 86400} days"
    if seconds % 3600 == 0 and seconds:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def parse_duration(text: str) -> dt.timedelta:
    """ "24 h", "3 days", "1 day 12 h", "90 min", "2 weeks" -> timedelta; ValueError otherwise."""
    cleaned = text.strip().lower().replace(",", " ")
    parts = _PART.findall(cleaned)
    if not parts or _PART.sub("", cleaned).strip():
        raise ValueError(text)
    total = 0.0
    for number, unit in parts:
        if unit not in _UNITS:
            raise ValueError(text)
        total += float(number) * _UNITS[unit]
    return dt.timedelta(seconds=round(total))


class HumanDurationField(forms.Field):
    """A duration typed and shown as days, hours or minutes ("3 days", "24 h"), never "1 day, 0:00:00"."""

    widget = forms.TextInput
    default_error_messages = {"invalid": 'Enter a duration such as "24 h", "3 days" or "90 min".'}

    def __init__(self, *, max_value=None, min_value=None, **kwargs):
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("placeholder", "e.g. 24 h, 3 days")
        self.widget.attrs.setdefault("size", "10")

    def prepare_value(self, value):
        return human_duration(value) if isinstance(value, dt.timedelta) else value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.timedelta):
            return value
        try:
            return parse_duration(str(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class ChoiceArrayField(forms.MultipleChoiceField):
    """An ArrayField of choices as a list of checkboxes."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, base_field=None, max_length=None, **kwargs):
        kwargs.setdefault("choices", base_field.choices if base_field is not None else ())
        super().__init__(**kwargs)


def timezone_field(**kwargs) -> forms.ChoiceField:
    """The IANA zones as a choice; typing in the box narrows the list (a datalist-backed input)."""
    zones = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return forms.ChoiceField(
        choices=[(z, z) for z in zones],
        widget=_ZoneInput(zones),
        help_text="Start typing a city, e.g. New_York, Chicago, Los_Angeles.",
        **kwargs,
    )


class _ZoneInput(forms.TextInput):
    template_name = "admin/widgets/zone_input.html"

    def __init__(self, zones, attrs=None):
        super().__init__({"list": "timezone-choices", "autocomplete": "off", "size": "30", **(attrs or {})})
        self.zones = zones

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["zones"] = self.zones
        return context


class LabelledInlineMixin:
    """Tabular inlines name each input by its column header only; give every input its own label."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        for name, field in formset.form.base_fields.items():
            field.widget.attrs.setdefault("aria-label", str(field.label or name).capitalize())

        class Labelled(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                if "DELETE" in form.fields:
                    form.fields["DELETE"].widget.attrs.setdefault("aria-label", "Delete this row")

        Labelled.__name__ = formset.__name__
        return Labelled
