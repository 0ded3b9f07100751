"""The project and the clinic itself: organisation, clinics, rooms, staff, patients; access control,
the audit trail, authentication and the API's error mapping. The lowest app: it imports no other.

Entry points other apps use: `kat_clinic.models` (Clinic, Room, StaffMember, Patient, ...),
`kat_clinic.roles`, `kat_clinic.access` (permission matrix, clinic-scoped viewsets and fields),
`kat_clinic.errors` (domain errors, plain exceptions), `kat_clinic.transitions.status_transition`
(the one conditional-UPDATE state change), `kat_clinic.services` / `kat_clinic.selectors`.
"""

# Load the Celery app with Django so that @shared_task binds to it.
from kat_clinic.celery import app as celery_app

__all__ = ("celery_app",)
