"""Shared by the ledger's services: who may act, second-person proof, writing an entry."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django_otp import match_token, user_has_device

from controlled.models import Container, LedgerEntry, Registration
from kat_clinic.errors import RuleViolation
from kat_clinic.models import Licence, StaffMember, User
from kat_clinic.roles import LicenceKind
from monitoring.services.common import require_operation

# A witness or a checker is a licensed clinician: a nurse's or a prescriber's licence, valid today.
WITNESS_LICENCES = frozenset({LicenceKind.RN, LicenceKind.NP, LicenceKind.MD, LicenceKind.DO, LicenceKind.PA})

# Database rules that refuse an entry, and the message each gives.
ENTRY_RULES = {
    "containerbalance_on_hand_not_negative": ("insufficient_stock", "The container does not hold that much."),
    "ledgerentry_whole_devices": ("whole_devices", "Nasal devices move as whole devices of their strength."),
    "ledgerentry_draw_is_its_dose": ("draw_is_not_the_dose", "A draw is what its dose gave; the rest is a waste."),
    "ledgerentry_waste_of_own_draw": ("waste_of_other_container", "A draw's waste comes from the same container."),
    "witnessing_second_person": ("witness_is_waster", "The witness is a second person, not the one who wasted."),
}


@dataclass(frozen=True)
class Credentials:
    """A second person's own credentials, typed by them into the request (never a bare id)."""

    username: str
    password: str
    otp: str = ""


def require(*, staff: StaffMember, operation: str, clinic_id: int, field: str = "by") -> None:
    require_operation(staff=staff, operation=operation, clinic_id=clinic_id, field=field)


def licensed_on(staff: StaffMember, day: dt.date) -> bool:
    return any(licence.is_valid_on(day) for licence in Licence.objects.filter(staff=staff, kind__in=WITNESS_LICENCES))


def second_person(
    *, credentials: Credentials | None, clinic_id: int, not_by: StaffMember, operation: str, field: str, on: dt.date
) -> StaffMember:
    """The staff member who re-authenticated with `credentials`: password, and their TOTP code when
    they have a device (django-otp). Refused (422 on `field`) unless it is someone other than
    `not_by`, licensed and allowed `operation` at the clinic."""

    def refuse(message: str, code: str) -> RuleViolation:
        return RuleViolation(message, code=code, errors={field: [message]})

    if credentials is None or not credentials.username or not credentials.password:
        raise refuse("The second person re-authenticates: their username and password.", "second_person_required")
    user = User.objects.filter(username=credentials.username, is_active=True).select_related("staff").first()
    if user is None or not user.check_password(credentials.password):
        raise refuse("The second person's credentials did not match.", "second_person_not_authenticated")
    if user_has_device(user) and (not credentials.otp or match_token(user, credentials.otp) is None):
        raise refuse("The second person's authenticator code did not match.", "second_person_not_authenticated")
    staff = getattr(user, "staff", None)
    if staff is None or not staff.active:
        raise refuse("The second person is not a member of staff.", "second_person_not_staff")
    if staff.pk == not_by.pk:
        raise refuse("The second person is someone other than the one who records it.", "second_person_is_self")
    check_second_person(staff=staff, clinic_id=clinic_id, operation=operation, field=field, on=on)
    return staff


def check_second_person(*, staff: StaffMember, clinic_id: int, operation: str, field: str, on: dt.date) -> None:
    require(staff=staff, operation=operation, clinic_id=clinic_id, field=field)
    if not licensed_on(staff, on):
        message = "The second person holds no licence valid today (a nurse's or a prescriber's)."
        raise RuleViolation(message, code="second_person_unlicensed", errors={field: [message]})


def require_registrant(*, staff: StaffMember, registration: Registration, field: str = "by") -> None:
    require(staff=staff, operation="controlled.signoff", clinic_id=registration.clinic_id, field=field)
    if registration.registrant_id != staff.pk:
        message = f"Only the registrant of {registration.number} signs this off."
        raise RuleViolation(message, code="registrant_required", errors={field: [message]})


def lock_container(*, container_id: int) -> Container:
    """Lock the container's balance row first (ordered: balance, then entries), then read it."""
    from controlled.models import ContainerBalance

    ContainerBalance.objects.select_for_update().filter(container_id=container_id).first()
    return Container.objects.select_related("product", "registration", "clinic", "balance").get(pk=container_id)


def units_to_mg(
    *, container: Container, quantity_mg: Decimal | None, devices: int | None
) -> tuple[Decimal, int | None]:
    """(mg, devices) of a movement: devices for a product in whole units, mg otherwise."""
    unit = container.product.unit_mg
    if unit is not None:
        if not devices or devices < 1:
            raise RuleViolation(
                "Nasal devices move as whole devices.",
                code="whole_devices",
                errors={"devices": ["Give the number of devices (28 mg each)."]},
            )
        return unit * devices, devices
    if quantity_mg is None or quantity_mg <= 0:
        raise RuleViolation("Give a positive quantity in mg.", code="invalid_quantity", errors={"quantity_mg": ["> 0"]})
    if devices:
        raise RuleViolation("Only nasal devices count devices.", code="invalid_quantity", errors={"devices": ["Omit."]})
    return quantity_mg, None


@contextlib.contextmanager
def entry_rules() -> Iterator[None]:
    """Turn a refusal by one of the ledger's database rules into a 422 that names it."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        cause = exc.__cause__
        constraint = getattr(getattr(cause, "diag", None), "constraint_name", None)
        if constraint in ENTRY_RULES:
            code, message = ENTRY_RULES[constraint]
            raise RuleViolation(message, code=code, constraint=constraint) from exc
        raise


def write_entry(**fields) -> LedgerEntry:
    """Insert one entry; the trigger moves the balance under its row lock and fills balance_after_mg."""
    with entry_rules():
        entry = LedgerEntry.objects.create(**fields)
    entry.refresh_from_db(fields=["balance_after_mg", "recorded_at"])
    return entry
