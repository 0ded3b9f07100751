"""Program templates (versioned; published = frozen by a trigger) and enrollments with their planned
sessions. Depends on `kat_clinic` only.

Entry points: `programs.services` (template_create / _publish / _clone / _retire, enrollment_create
and its transitions, planned_session_mark_*), `programs.selectors`, `programs.validation`,
`programs.catalog` (shipped templates), `programs.signals` (enrollment_created, enrollment_closed).
"""
