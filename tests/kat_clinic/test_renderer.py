"""The API's JSON renderer writes the bytes DRF's JSONRenderer writes, only faster."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from kat_clinic.api.renderers import OrjsonRenderer, WrittenJson

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def both(data, media_type="application/json", context=None):
    return OrjsonRenderer().render(data, media_type, context), JSONRenderer().render(data, media_type, context)


def test_a_utc_datetime_a_decimal_and_a_uuid_are_the_exact_bytes():
    data = {
        "at": dt.datetime(2026, 1, 5, 14, 0, tzinfo=dt.UTC),
        "weight_kg": Decimal("72.5"),
        "request_id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    }

    ours, drf = both(data)

    assert ours == b'{"at":"2026-01-05T14:00:00Z","weight_kg":72.5,"request_id":"12345678-1234-5678-1234-567812345678"}'
    assert ours == drf


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 3, 8, 9, 30, 15, 123456, tzinfo=NEW_YORK),
        dt.datetime(2026, 3, 8, 9, 30, 15, 500, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 8, 9, 30),
        dt.date(2026, 2, 28),
        dt.time(9, 0),
        dt.time(9, 0, 0, 250000),
        dt.timedelta(minutes=90),
        Decimal("0.10"),
        Decimal("-12345.678"),
        gettext_lazy("This field is required."),
        ipaddress.ip_address("2001:db8::1"),
        {3, 1},
        b"bytes",
        None,
        True,
        2**63 - 1,
        -(2**63),
        1.5,
        0.30000000000000004,
        "",
        '\x00\x1f\x7f " \\ / \t\n\r é 😀 \u2028 \u2029',
        [1, [2, [3, {"a": None}]]],
        (1, 2),
        {1: "int key", None: "none key", "nested": {"k": []}},
        ReturnDict({"id": 1, "name": "Ada"}, serializer=None),
        ReturnList([{"id": 1}, {"id": 2}], serializer=None),
        {"count": 2, "next": None, "previous": None, "results": []},
    ],
)
def test_each_kind_of_value_renders_as_drf_renders_it(value):
    ours, drf = both({"value": value})

    assert ours == drf


def test_an_integer_beyond_64_bits_and_indentation_fall_back_to_drf():
    ours, drf = both({"big": 2**70})
    assert ours == drf == b'{"big":1180591620717411303424}'

    ours, drf = both({"a": [1]}, "application/json; indent=4", {"indent": None})
    assert ours == drf
    assert b"\n    " in ours


def test_what_drf_refuses_is_refused_the_same_way():
    @dataclasses.dataclass
    class Point:
        x: int

    with pytest.raises(TypeError):
        JSONRenderer().render({"p": Point(1)})
    with pytest.raises(TypeError):
        OrjsonRenderer().render({"p": Point(1)})
    with pytest.raises(ValueError):
        OrjsonRenderer().render({"t": dt.time(9, 0, tzinfo=dt.UTC)})


def test_given_written_json_then_it_is_sent_as_it_is_and_drf_reads_it_where_drf_writes():
    # given text written elsewhere (compact, as orjson writes), among values the renderer writes
    written = WrittenJson('{"id":7,"name":"A \\"Q\\"","tags":[true,null]}')
    data = {"before": 1, "sessions": [written, {"id": 8}], "after": "x"}

    # when rendered compactly: the text is in the body as it is
    assert OrjsonRenderer().render(data) == (
        b'{"before":1,"sessions":[{"id":7,"name":"A \\"Q\\"","tags":[true,null]},{"id":8}],"after":"x"}'
    )
    # when DRF's renderer writes it (indented): the text is read and written as DRF writes the values
    read = {"before": 1, "sessions": [{"id": 7, "name": 'A "Q"', "tags": [True, None]}, {"id": 8}], "after": "x"}
    indented = ("application/json; indent=2", {"indent": None})
    assert OrjsonRenderer().render(data, *indented) == JSONRenderer().render(read, *indented)
    assert b'\n  "sessions": [\n    {\n      "id": 7,' in OrjsonRenderer().render(data, *indented)
    # ... and where orjson refuses another value of the document
    assert OrjsonRenderer().render({**data, "big": 2**70}) == JSONRenderer().render({**read, "big": 2**70})


def test_nothing_renders_as_no_bytes():
    assert OrjsonRenderer().render(None) == JSONRenderer().render(None) == b""


@pytest.mark.django_db
def test_the_api_answers_with_it(api, scheduler, patient):
    from django.conf import settings

    response = api(scheduler).get(f"/api/v1/patients/{patient.pk}/")

    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"][0] == "kat_clinic.api.renderers.OrjsonRenderer"
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, OrjsonRenderer)
    assert response.content == JSONRenderer().render(response.data)
