"""Scheduling (app label `clinic_sessions`): booked sessions, staff assignments, availability,
conflict-free booking, the day board. Depends on `kat_clinic` and `programs`.

Entry points: `sessions.services` (session_book, session_book_planned, the status machine,
session_reschedule, sessions_reschedule_together, enrollment_book_program), `sessions.search`
(availability_search), `sessions.program_schedule` (whole-program proposals),
`sessions.move_proposals`, `sessions.selectors`, `sessions.signals` (session_booked,
program_booked, session_released, session_completing, session_completed).
"""
