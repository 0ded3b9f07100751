"""Charting: vitals flowsheets, signed notes, rating scales on the sessions that happened."""

from __future__ import annotations

import datetime as dt

from bench.seed.network import staff_by_clinic_role
from bench.seed.plan import (
    SeedState,
    SessionRow,
)

VITALS_EVERY_MIN = 15
NOTE_KIND = {"preparation": "preparation", "dosing": "dosing", "integration": "integration"}


def _charted(st: SeedState) -> list[SessionRow]:
    return [s for s in st.sessions if s.status in ("completed", "in_progress")]


def seed_vitals(st: SeedState) -> None:
    from bench.copyutil import copy_rows
    from monitoring.models import VitalSign

    rng = st.rng
    nurses = staff_by_clinic_role(st, "nurse")
    readings = 0

    def rows():
        nonlocal readings
        step = dt.timedelta(minutes=VITALS_EVERY_MIN)
        for s in _charted(st):
            if s.kind != "dosing":
                continue
            # A monitor's flowsheet: baseline, a pressure peak around 40 minutes, back near baseline.
            sys0 = rng.gauss(124, 12)
            hr0 = rng.gauss(74, 9)
            nurse = rng.choice(nurses[s.clinic])
            end = min(s.block_ends_at, st.now)
            t, k = s.block_starts_at, 0
            while t < end:
                minutes = k * VITALS_EVERY_MIN
                bump = 16 * max(0.0, 1 - abs(minutes - 40) / 40)
                systolic = int(min(230, max(85, sys0 + bump + rng.gauss(0, 5))))
                diastolic = int(min(systolic - 15, max(50, systolic * 0.64 + rng.gauss(0, 4))))
                heart = int(min(150, max(45, hr0 + bump / 2 + rng.gauss(0, 4))))
                spo2 = min(100, max(90, int(round(rng.gauss(97.5, 1.2)))))
                rr = int(max(10, min(24, rng.gauss(15, 2)))) if k % 3 == 0 else None
                readings += 3 + (rr is not None)  # BP, heart rate, SpO2 (+ respiratory rate)
                yield (s.id, s.patient, t, systolic, diastolic, heart, spo2, rr, "device", f"m{s.id}-{k}", nurse, t)
                t += step
                k += 1

    st.counts["vital_sign_rows"] = copy_rows(
        VitalSign,
        [
            "session_id",
            "patient_id",
            "measured_at",
            "systolic_mmhg",
            "diastolic_mmhg",
            "heart_rate_bpm",
            "spo2_percent",
            "respiratory_rate_per_min",
            "source",
            "device_reading_id",
            "entered_by_id",
            "entered_at",
        ],
        rows(),
    )
    st.counts["vital_readings"] = readings


def seed_notes(st: SeedState) -> None:
    from bench.copyutil import copy_rows, reserve_ids
    from monitoring.models import ClinicalNote as Note
    from monitoring.services.notes import note_content_hash

    rng = st.rng
    therapists = staff_by_clinic_role(st, "therapist")
    nurses = staff_by_clinic_role(st, "nurse")
    prescribers = staff_by_clinic_role(st, "prescriber")
    sessions = [s for s in st.sessions if s.status == "completed"]
    first = reserve_ids(Note, len(sessions))
    bodies = [
        "Patient tolerated the session well; no adverse events. Plan unchanged.",
        "Discussed intentions and expectations; consent reviewed; questions answered.",
        "Reviewed the experience of the last dosing; themes of agency and grief; homework agreed.",
        "Vitals stable throughout; mild transient dissociation resolved before discharge.",
    ]

    def rows():
        for i, s in enumerate(sessions):
            kind = NOTE_KIND.get(s.kind, "general")
            if s.kind == "dosing" and s.flavour != "kat":
                author = rng.choice(nurses[s.clinic])
            elif s.kind == "medical_intake":
                author = rng.choice(prescribers[s.clinic])
            else:
                author = rng.choice(therapists[s.clinic])
            signed_at = s.block_ends_at + dt.timedelta(minutes=rng.randrange(10, 240))
            sections = {"assessment": "Stable.", "plan": "Continue program."}
            body = rng.choice(bodies)
            # The hash of the signed content exactly as the product computes it when a note is signed.
            digest = note_content_hash(
                Note(
                    pk=first + i,
                    session_id=s.id,
                    patient_id=s.patient,
                    kind=kind,
                    sections=sections,
                    body=body,
                    author_id=author,
                    signed_by_id=author,
                    signed_at=signed_at,
                )
            )
            cosigner = rng.choice(prescribers[s.clinic]) if kind == "dosing" else None
            cosigned_at = signed_at + dt.timedelta(hours=2) if cosigner else None
            yield (
                first + i,
                s.id,
                s.patient,
                kind,
                sections,
                body,
                author,
                "signed",
                2,
                signed_at - dt.timedelta(minutes=30),
                signed_at,
                author,
                signed_at,
                digest,
                cosigner,
                cosigned_at,
            )

    st.counts["notes"] = copy_rows(
        Note,
        [
            "id",
            "session_id",
            "patient_id",
            "kind",
            "sections",
            "body",
            "author_id",
            "status",
            "version",
            "created_at",
            "updated_at",
            "signed_by_id",
            "signed_at",
            "content_sha256",
            "cosigned_by_id",
            "cosigned_at",
        ],
        rows(),
    )


def seed_scales(st: SeedState) -> None:
    from bench.copyutil import copy_rows
    from monitoring.models import ScaleResponse as Response
    from monitoring.scales import score

    rng = st.rng
    therapists = staff_by_clinic_role(st, "therapist")
    # Each patient's PHQ-9 drifts down over their course, as responders' do.
    level: dict[int, float] = {}

    def answers(n: int, item_max: int, mean: float) -> list[int]:
        return [min(item_max, max(0, int(round(rng.gauss(mean, 0.8))))) for _ in range(n)]

    def rows():
        for s in _charted(st):
            if s.kind == "dosing":
                todo = [("phq9", 9, 3)]
            elif s.kind == "medical_intake":
                todo = [("phq9", 9, 3), ("gad7", 7, 3)]
            else:
                continue
            for scale, n, item_max in todo:
                mean = level.get(s.patient, rng.uniform(1.3, 2.4))
                items = answers(n, item_max, mean)
                level[s.patient] = max(0.2, mean * 0.9)
                result = score(scale, items)
                yield (
                    s.patient,
                    s.id,
                    scale,
                    items,
                    result.total,
                    result.severity,
                    result.high_risk,
                    result.loinc_panel,
                    result.loinc_total,
                    "clinician",
                    rng.choice(therapists[s.clinic]),
                    s.starts_at - dt.timedelta(minutes=15),
                )

    st.counts["scale_responses"] = copy_rows(
        Response,
        [
            "patient_id",
            "session_id",
            "scale",
            "answers",
            "total",
            "severity",
            "high_risk",
            "loinc_panel",
            "loinc_total",
            "source",
            "recorded_by_id",
            "completed_at",
        ],
        rows(),
    )
