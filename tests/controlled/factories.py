"""Ledger test data: products, registrations, and containers received through the service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from controlled.models import Container, Product, Registration
from controlled.services.common import Credentials
from controlled.services.stock import container_receive
from kat_clinic.models import StaffMember

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's password


class KetamineVialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("ndc",)

    name = "Ketamine HCl"
    medication = "ketamine"
    form = Product.Form.INJECTION
    strength = "50 mg/mL"
    concentration_mg_per_ml = Decimal("50.00")
    ndc = "0143-9508-10"


class EsketamineDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("ndc",)

    name = "Esketamine (Spravato)"
    medication = "esketamine"
    form = Product.Form.NASAL_SPRAY
    strength = "28 mg per device"
    unit_mg = Decimal("28.00")
    ndc = "50458-028-02"


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    number = factory.Sequence(lambda n: f"AB{n:07d}")
    name = factory.LazyAttribute(lambda r: str(r.registrant))
    expires_on = dt.date(2035, 12, 31)


def credentials(staff: StaffMember, otp: str = "") -> Credentials:
    return Credentials(username=staff.user.username, password=PASSWORD, otp=otp)


def receive(
    *,
    registration: Registration,
    by: StaffMember,
    checker: StaffMember,
    product: Product | None = None,
    quantity_mg: Decimal | None = Decimal("500.00"),
    devices: int | None = None,
    expires_on: dt.date | None = None,
    lot_number: str = "KET-2291",
) -> Container:
    product = product or KetamineVialFactory()
    return container_receive(
        clinic=registration.clinic,
        registration=registration,
        product=product,
        kind=Container.Kind.DEVICE_PACK if product.unit_mg else Container.Kind.VIAL,
        lot_number=lot_number,
        expires_on=expires_on or timezone.localdate() + dt.timedelta(days=365),
        received_at=timezone.now() - dt.timedelta(hours=1),
        by=by,
        checked_by=credentials(checker),
        supplier="Henry Schein",
        invoice="INV-1001",
        quantity_mg=None if product.unit_mg else quantity_mg,
        devices=devices,
    )
