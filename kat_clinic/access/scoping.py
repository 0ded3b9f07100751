"""Who works where: a user's roles per clinic, and the clinics in which an operation is allowed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kat_clinic.access.matrix import roles_for
from kat_clinic.compiled_query import ParamIds

if TYPE_CHECKING:
    from kat_clinic.models import User

_CACHE_ATTR = "_kat_roles_by_clinic"


def roles_by_clinic(user: User) -> dict[int, frozenset[str]]:
    """{clinic_id: roles} for the user's active memberships; one query, cached on the user object."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from kat_clinic.models import ClinicMembership

    result: dict[int, set[str]] = {}
    if user.is_authenticated:
        rows = ClinicMembership.objects.filter(
            staff__user=user, active=True, staff__active=True, clinic__active=True
        ).values_list("clinic_id", "role")
        for clinic_id, role in rows:
            result.setdefault(clinic_id, set()).add(role)
    frozen = {clinic_id: frozenset(roles) for clinic_id, roles in result.items()}
    setattr(user, _CACHE_ATTR, frozen)
    return frozen


def set_roles_by_clinic(user: User, roles: dict[int, frozenset[str]]) -> None:
    """Hand over a roles map read elsewhere (token authentication reads it with the token)."""
    setattr(user, _CACHE_ATTR, roles)


def clinics_for(user: User, operation: str) -> frozenset[int]:
    """Ids of the clinics where one of the user's roles allows `operation`."""
    allowed = roles_for(operation)
    return frozenset(cid for cid, roles in roles_by_clinic(user).items() if roles & allowed)


def roles_at(user: User, clinic_id: int) -> frozenset[str]:
    return roles_by_clinic(user).get(clinic_id, frozenset())


def can(user: User, operation: str, clinic_id: int) -> bool:
    return bool(roles_at(user, clinic_id) & roles_for(operation))


def in_clinics(clinic_lookup: str, clinics) -> dict:
    """The filter keeping the objects of `clinics` (a set of ids, or `ParamIds` in a prepared
    query), reached through `clinic_lookup` ("id" for a clinic itself, "home_clinic", ...)."""
    field = "pk" if clinic_lookup == "id" else clinic_lookup
    return {f"{field}__in_array" if isinstance(clinics, ParamIds) else f"{field}__in": clinics}
