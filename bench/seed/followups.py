"""Follow-ups: reminders to patients, and the staff queue's items."""

from __future__ import annotations

import datetime as dt

from bench.seed.network import staff_by_clinic_role
from bench.seed.plan import (
    SeedState,
    SessionRow,
)


def seed_followups(st: SeedState) -> None:
    from bench.copyutil import copy_rows
    from followups.models import FollowUp

    rng = st.rng
    schedulers = staff_by_clinic_role(st, "scheduler")
    nurses = staff_by_clinic_role(st, "nurse")
    recent = st.now - dt.timedelta(days=3)

    def staff_item(s: SessionRow, kind: str, role: str, due: dt.datetime, acker: list[int]):
        if due > st.now:
            status, sent, acked, by = "pending", None, None, None
        elif due > recent:
            status, sent, acked, by = "sent", due, None, None
        else:
            status, sent, acked, by = "acknowledged", due, due + dt.timedelta(hours=2), rng.choice(acker)
        return (s.clinic, kind, "in_app", "role", s.patient, role, s.id, {"session_id": s.id}), (
            f"bench:{kind}:{s.id}",
            due,
            status,
            1 if sent else 0,
            sent,
            acked,
            by,
        )

    def rows():
        for s in st.sessions:
            due = s.block_starts_at - dt.timedelta(hours=24)
            done = due <= st.now
            yield (s.clinic, "session_reminder", "sms", "patient", s.patient, "", s.id, {"session_id": s.id}) + (
                f"bench:session_reminder:{s.id}",
                due,
                "sent" if done else "pending",
                1 if done else 0,
                due if done else None,
                None,
                None,
            )
            if s.status == "no_show":
                head, tail = staff_item(
                    s, "no_show_review", "scheduler", s.block_starts_at + dt.timedelta(minutes=30), schedulers[s.clinic]
                )
                yield head + tail
            elif s.kind == "dosing" and s.flavour == "esketamine" and s.status == "completed":
                head, tail = staff_item(s, "rems_form_due", "nurse", s.block_ends_at, nurses[s.clinic])
                yield head + tail

    st.counts["followups"] = copy_rows(
        FollowUp,
        [
            "clinic_id",
            "kind",
            "channel",
            "target",
            "patient_id",
            "role",
            "session_id",
            "payload",
            "idempotency_key",
            "due_at",
            "status",
            "attempts",
            "sent_at",
            "acknowledged_at",
            "acknowledged_by_id",
        ],
        rows(),
    )
