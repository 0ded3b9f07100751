"""Write paths for programs. Import from here: `from programs.services import enrollment_create`."""

from programs.services.enrollments import (
    ENROLLMENT_TRANSITIONS,
    enrollment_complete,
    enrollment_create,
    enrollment_pause,
    enrollment_resume,
    enrollment_withdraw,
    plan_for,
    planned_session_mark_booked,
    planned_session_mark_completed,
    planned_session_mark_to_book,
    planned_sessions_mark_booked,
)
from programs.services.templates import (
    STEP_FIELDS,
    template_clone,
    template_create,
    template_delete,
    template_publish,
    template_retire,
    template_spec,
    template_update,
)

__all__ = [
    "ENROLLMENT_TRANSITIONS",
    "STEP_FIELDS",
    "enrollment_complete",
    "enrollment_create",
    "enrollment_pause",
    "enrollment_resume",
    "enrollment_withdraw",
    "plan_for",
    "planned_session_mark_booked",
    "planned_session_mark_completed",
    "planned_session_mark_to_book",
    "planned_sessions_mark_booked",
    "template_clone",
    "template_create",
    "template_delete",
    "template_publish",
    "template_retire",
    "template_spec",
    "template_update",
]
