"""Programs: the shipped templates, a year of enrollments, and a pool of KAT plans to book."""

from __future__ import annotations

import datetime as dt

from bench.seed.plan import (
    SeedState,
)


def seed_programs(st: SeedState) -> None:
    from bench.copyutil import copy_rows, reserve_ids
    from kat_clinic.models import Organization
    from programs.catalog import install_shipped_templates
    from programs.models import Enrollment, PlannedSession, ProgramTemplate
    from programs.services import plan_for

    org = Organization.objects.get(pk=st.org_id)
    install_shipped_templates(organization=org)
    templates = {t.catalog_key: t for t in ProgramTemplate.objects.filter(organization=org, state="published")}
    plans = {key: plan_for(template=t) for key, t in templates.items()}
    # The product ships both templates; the history is built from them.
    history_keys = ["iv_ketamine_induction", "ketamine_assisted_therapy"]
    rng, plan = st.rng, st.plan
    enrollments: list[tuple] = []  # (id, patient, template key, clinic, status, enrolled_at, planned status)
    # Unbooked KAT plans for the booking load: enough for several runs on a reused database.
    pool_size = min(plan.patients_per_clinic // 4, 100)
    for c in st.clinics:
        patients = st.patients_by_clinic[c["id"]]
        n_hist = len(patients) // 2
        for k, p in enumerate(patients[:n_hist]):
            key = history_keys[k % len(history_keys)]
            enrolled = st.now - dt.timedelta(days=rng.randrange(30, plan.days_history + 30))
            status = "completed" if k % 5 else "active"
            enrollments.append((p, key, c["id"], status, enrolled, "completed" if status == "completed" else "booked"))
        for p in patients[n_hist : n_hist + pool_size]:
            enrollments.append((p, "ketamine_assisted_therapy", c["id"], "active", st.now, "to_book"))
    first = reserve_ids(Enrollment, len(enrollments))
    n_planned = sum(len(plans[e[1]]) for e in enrollments)
    ps_first = reserve_ids(PlannedSession, n_planned)
    enrollment_rows, planned_rows = [], []
    ps_id = ps_first
    for i, (patient, key, clinic, status, enrolled, planned_status) in enumerate(enrollments):
        eid = first + i
        t = templates[key]
        enrollment_rows.append((eid, patient, t.pk, clinic, t.pathway, status, enrolled, enrolled))
        items = plans[key]
        index = {(item["step"].pk, item["occurrence"]): n for n, item in enumerate(items)}
        for n, item in enumerate(items):
            linked = None
            if item["linked"] is not None:
                dosing_step, occurrence = item["linked"]
                linked = ps_id - n + index[(dosing_step.pk, occurrence)]
            window_min, window_max = item["window"]
            planned_rows.append(
                (
                    ps_id,
                    eid,
                    item["step"].pk,
                    n + 1,
                    item["occurrence"],
                    item["step"].kind,
                    planned_status,
                    linked,
                    window_min,
                    window_max,
                )
            )
            ps_id += 1
    st.counts["enrollments"] = copy_rows(
        Enrollment,
        ["id", "patient_id", "template_id", "clinic_id", "pathway", "status", "status_changed_at", "enrolled_at"],
        enrollment_rows,
    )
    # Linked rows point at earlier ids of the same enrollment, so one COPY in id order satisfies the FK.
    st.counts["planned_sessions"] = copy_rows(
        PlannedSession,
        [
            "id",
            "enrollment_id",
            "step_id",
            "sequence",
            "occurrence",
            "kind",
            "status",
            "linked_dosing_id",
            "window_min",
            "window_max",
        ],
        planned_rows,
    )
    st.counts["booking_pool"] = pool_size * len(st.clinics)
