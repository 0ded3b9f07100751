"""The endpoints people hit most, as load scenarios.

A scenario builds request `i` from the context the probe collected (tokens, ids, dates). Its path is
resolved against the URLconf before the run: an endpoint that does not exist on this branch yet is
reported as "not available" and skipped, never a failure of the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from bench.load import Request

Builder = Callable[[dict, int], tuple[str, str, dict | list | None]]  # ctx, i -> method, path, body


@dataclass(frozen=True)
class Scenario:
    name: str
    role: str  # key into ctx["tokens"]
    build: Builder
    kind: str = "read"  # read | write | ceiling
    p95_target_ms: float | None = None  # at the fixed rate for reads, closed loop for writes
    hot_read: bool = False  # measured again at the fixed rate, held to >= 40 % of the ceiling
    needs: tuple[str, ...] = ()  # ctx keys that must be non-empty
    pool: str | None = None  # ctx key of single-use items (each request consumes one)
    fixed_rps: float | None = None  # arrival rate for the fixed-rate run; None: the run's --rate
    concurrency: int | None = None  # closed-loop users, when lower than the run's --concurrency

    def request(self, ctx: dict, i: int) -> Request:
        method, path, body = self.build(ctx, i)
        token = ctx["tokens"].get(self.role)
        headers = {"Authorization": f"Token {token}"} if token else {}
        return method, path, body, headers


def _pick(ctx: dict, key: str, i: int):
    items = ctx[key]
    return items[i % len(items)]


def _day(ctx: dict, i: int) -> str:
    # Spread the board over the days around the dataset's "today", as the front desk pages through.
    anchor = dt.date.fromisoformat(ctx["anchor"])
    return (anchor + dt.timedelta(days=(i % 7) - 3)).isoformat()


def _search_window(ctx: dict, i: int) -> tuple[str, str]:
    anchor = dt.date.fromisoformat(ctx["anchor"])
    start = anchor + dt.timedelta(days=1 + i % 10)
    return start.isoformat(), (start + dt.timedelta(days=7)).isoformat()


def day_board(ctx: dict, i: int):
    return "GET", ctx["paths"]["day_board"].format(clinic=ctx["clinic_id"], date=_day(ctx, i)), None


def session_list(ctx: dict, i: int):
    """One clinic's booked sessions of a day, as the front desk's list view pages through the week."""
    day = dt.date.fromisoformat(_day(ctx, i))
    after, before = f"{day.isoformat()}T00:00:00Z", f"{(day + dt.timedelta(days=1)).isoformat()}T00:00:00Z"
    return "GET", f"/api/v1/sessions/?clinic={ctx['clinic_id']}&starts_after={after}&starts_before={before}", None


def availability(ctx: dict, i: int):
    """A KAT dosing block for a patient over the next week: the front desk's most common search."""
    start, end = _search_window(ctx, i)
    body = _fill(ctx["search_body"], i, patient=_pick(ctx, "patients", i), date_from=start, date_to=end)
    return "POST", ctx["paths"]["availability"], body


def booking(ctx: dict, i: int):
    enrollment = _pick(ctx, "booking_enrollments", i)
    body = _fill(ctx["booking_body"], i, enrollment=enrollment)
    return "POST", ctx["paths"]["booking"].format(enrollment=enrollment), body


def session_chart(ctx: dict, i: int):
    return "GET", ctx["paths"]["session_chart"].format(session=_pick(ctx, "chart_sessions", i)), None


def vitals_write(ctx: dict, i: int):
    session = _pick(ctx, "vitals_sessions", i)
    path = ctx["paths"]["vitals_write"].format(session=session)
    body = _fill(ctx["vitals_body"], i, session=session)
    if str(session) in ctx.get("vitals_at", {}):
        body["measured_at"] = ctx["vitals_at"][str(session)]
    return "POST", path, body


BATCH_READINGS = 60


def vitals_batch(ctx: dict, i: int):
    """A monitor's minute of readings (60, one a second) for a session, each with its own reading id."""
    session = _pick(ctx, "vitals_sessions", i)
    start = dt.datetime.fromisoformat(ctx["vitals_at"][str(session)]) - dt.timedelta(minutes=5)
    readings = [
        {
            "measured_at": (start + dt.timedelta(seconds=k)).isoformat(),
            "source": "device",
            "device_reading_id": f"bench-{ctx['run_id']}-{i}-{k}",
            "systolic_mmhg": 112 + (i + k) % 23,
            "diastolic_mmhg": 66 + (i + k) % 19,
            "heart_rate_bpm": 62 + (i + k) % 31,
            "spo2_percent": 95 + (i + k) % 5,
        }
        for k in range(BATCH_READINGS)
    ]
    return "POST", ctx["paths"]["vitals_batch"], {"session": session, "readings": readings}


def patient_timeline(ctx: dict, i: int):
    return "GET", ctx["paths"]["patient_timeline"].format(patient=_pick(ctx, "patients", i)), None


def followup_queue(ctx: dict, i: int):
    return "GET", ctx["paths"]["followup_queue"].format(clinic=ctx["clinic_id"]), None


def patient_list(ctx: dict, i: int):
    letter = "ABCDEFGHIJKLMNOPRSTUVWXYZ"[i % 25]
    return "GET", f"/api/v1/patients/?home_clinic={ctx['clinic_id']}&search={letter}", None


def patient_detail(ctx: dict, i: int):
    return "GET", f"/api/v1/patients/{_pick(ctx, 'patients', i)}/", None


def livez(ctx: dict, i: int):
    return "GET", "/livez", None


def _fill(template, i: int, **values):
    """A body template with "{i%lo:hi}", "{now}" and "{name}" placeholders filled for request i."""
    if isinstance(template, dict):
        return {k: _fill(v, i, **values) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, i, **values) for v in template]
    if isinstance(template, str):
        if template == "{now}":
            return dt.datetime.now(dt.UTC).isoformat()
        if template.startswith("{") and template[1:-1] in values:
            return values[template[1:-1]]
        if template.startswith("{i%") and template.endswith("}"):
            lo, hi = (int(x) for x in template[3:-1].split(":"))
            return lo + i % (hi - lo + 1)
    return template


SCENARIOS: list[Scenario] = [
    Scenario("livez (ceiling)", "none", livez, kind="ceiling", hot_read=True),
    Scenario("patient list", "scheduler", patient_list, p95_target_ms=50, hot_read=True, needs=("patients",)),
    Scenario("patient detail", "scheduler", patient_detail, p95_target_ms=50, hot_read=True, needs=("patients",)),
    Scenario("day board", "scheduler", day_board, p95_target_ms=30, hot_read=True),
    Scenario("session list", "scheduler", session_list, p95_target_ms=50, hot_read=True),
    Scenario(
        "availability search",
        "scheduler",
        availability,
        p95_target_ms=50,
        hot_read=True,
        needs=("patients", "search_body"),
    ),
    Scenario(
        "whole-program booking",
        "booker",
        booking,
        kind="write",
        p95_target_ms=250,
        needs=("booking_enrollments", "booking_body"),
        pool="booking_enrollments",
        fixed_rps=1,
        # A front desk books a whole program now and then, not six at once in one clinic.
        concurrency=2,
    ),
    Scenario("session chart", "clinician", session_chart, p95_target_ms=50, hot_read=True, needs=("chart_sessions",)),
    Scenario(
        "vitals write",
        "nurse",
        vitals_write,
        kind="write",
        p95_target_ms=30,
        needs=("vitals_sessions", "vitals_body"),
    ),
    Scenario(
        "vitals batch (60 readings)",
        "nurse",
        vitals_batch,
        kind="write",
        p95_target_ms=60,
        needs=("vitals_sessions", "run_id"),
    ),
    Scenario("patient timeline", "clinician", patient_timeline, p95_target_ms=50, hot_read=True, needs=("patients",)),
    Scenario("follow-up queue", "followups", followup_queue, p95_target_ms=50, hot_read=True),
]

# The path key each scenario needs in ctx["paths"] (filled by the probe from what exists).
PATH_KEYS = {
    "day board": "day_board",
    "availability search": "availability",
    "whole-program booking": "booking",
    "session chart": "session_chart",
    "vitals write": "vitals_write",
    "vitals batch (60 readings)": "vitals_batch",
    "patient timeline": "patient_timeline",
    "follow-up queue": "followup_queue",
}
