"""Write paths for sessions. Import from here: `from sessions import services`.

- `booking`: one session at a placement, ad hoc (`session_book`) or planned (`session_book_planned`)
- `status`: the status machine (check in, start, complete, cancel, no-show)
- `reschedule`: moving one session, or several of one patient together
- `program_booking`: booking a whole program as proposed (`enrollment_book_program`)
- `program_links`: what a booking means to its enrollment (internal to this package)

Every service is atomic. What a change means to the apps above (follow-ups, charting's discharge
check) is announced through `sessions.signals`, inside the same transaction.
"""

from sessions.services.booking import (
    CONSTRAINT_RESOURCES,
    StaffChoice,
    book_placement,
    book_planned_placement,
    raise_rule_violations,
    session_book,
    session_book_planned,
    staff_in_need_order,
)
from sessions.services.program_booking import enrollment_book_program
from sessions.services.program_links import session_shape
from sessions.services.reschedule import Move, session_reschedule, sessions_reschedule_together
from sessions.services.status import (
    DEFAULT_LATE_CANCEL_HOURS,
    session_cancel,
    session_check_in,
    session_complete,
    session_mark_no_show,
    session_start,
)

__all__ = [
    "CONSTRAINT_RESOURCES",
    "DEFAULT_LATE_CANCEL_HOURS",
    "Move",
    "StaffChoice",
    "book_placement",
    "book_planned_placement",
    "enrollment_book_program",
    "raise_rule_violations",
    "session_book",
    "session_book_planned",
    "session_cancel",
    "session_check_in",
    "session_complete",
    "session_mark_no_show",
    "session_reschedule",
    "session_shape",
    "sessions_reschedule_together",
    "session_start",
    "staff_in_need_order",
]
