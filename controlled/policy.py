"""The container policy: a dose of a controlled medication names the container it came from.

The draw service records the dose and its draw entry in one transaction, inside `drawing_from`.
Any other way a dose gets recorded (the chart's own endpoint, a script, the admin) reaches
`refuse_controlled_dose_without_draw` through monitoring's `dose_recorded` signal, in the same
transaction, and is refused there, which rolls the dose back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from kat_clinic.errors import RuleViolation
from programs.choices import Medication

# Ketamine and esketamine are both Schedule III.
CONTROLLED_MEDICATIONS = frozenset({Medication.KETAMINE, Medication.ESKETAMINE})

_drawing: ContextVar[int | None] = ContextVar("controlled_drawing_from", default=None)


@contextlib.contextmanager
def drawing_from(container_id: int) -> Iterator[None]:
    """Doses recorded inside this block are the draw service's own: it writes their draw entry."""
    token = _drawing.set(container_id)
    try:
        yield
    finally:
        _drawing.reset(token)


def policy_for(clinic_id: int):
    from controlled.models import ControlledPolicy

    return ControlledPolicy.objects.filter(clinic_id=clinic_id).first() or ControlledPolicy(clinic_id=clinic_id)


def container_required(*, clinic_id: int, medication: str) -> bool:
    """Whether a dose of `medication` at the clinic must come through a draw.

    The policy (on by default) applies to a clinic that keeps its ledger here, i.e. holds an active
    DEA registration in it; a clinic that has none recorded has no containers to name.
    """
    from controlled.models import Registration

    if medication not in CONTROLLED_MEDICATIONS:
        return False
    if not policy_for(clinic_id).require_container:
        return False
    return Registration.objects.filter(clinic_id=clinic_id, active=True).exists()


def refuse_controlled_dose_without_draw(sender, *, dose, **kwargs) -> None:
    if _drawing.get() is not None:
        return
    if container_required(clinic_id=dose.session.clinic_id, medication=dose.medication):
        raise RuleViolation(
            "A dose of a controlled medication is recorded with the container it was drawn from (record it as a draw).",
            code="container_required",
            errors={"container": ["Name the container the dose was drawn from."]},
        )
