"""Roles are held per clinic membership. What each role may do lives in `kat_clinic.access.matrix`."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    SCHEDULER = "scheduler", "Scheduler (front desk)"
    NURSE = "nurse", "Nurse"
    PRESCRIBER = "prescriber", "Prescriber"
    THERAPIST = "therapist", "Therapist"


ALL_ROLES: frozenset[str] = frozenset(Role.values)
CLINICAL_ROLES: frozenset[str] = frozenset({Role.NURSE, Role.PRESCRIBER, Role.THERAPIST})


class LicenceKind(models.TextChoices):
    RN = "rn", "Registered nurse"
    NP = "np", "Nurse practitioner"
    MD = "md", "Physician (MD)"
    DO = "do", "Physician (DO)"
    PA = "pa", "Physician assistant"
    PSYCHOLOGIST = "psychologist", "Psychologist"
    LCSW = "lcsw", "Licensed clinical social worker"
    LPC = "lpc", "Licensed professional counselor"
    LMFT = "lmft", "Licensed marriage and family therapist"
    DEA = "dea", "DEA registration"


# A clinical role can be booked on a day only if the staff member holds, valid that day, one
# licence of each group below (any kind within a group).
ROLE_CREDENTIALS: dict[str, tuple[frozenset[str], ...]] = {
    Role.ADMIN: (),
    Role.SCHEDULER: (),
    Role.NURSE: (frozenset({LicenceKind.RN, LicenceKind.NP}),),
    Role.PRESCRIBER: (
        frozenset({LicenceKind.MD, LicenceKind.DO, LicenceKind.NP, LicenceKind.PA}),
        frozenset({LicenceKind.DEA}),
    ),
    Role.THERAPIST: (
        frozenset(
            {
                LicenceKind.PSYCHOLOGIST,
                LicenceKind.LCSW,
                LicenceKind.LPC,
                LicenceKind.LMFT,
                LicenceKind.MD,
                LicenceKind.DO,
                LicenceKind.NP,
            }
        ),
    ),
}
