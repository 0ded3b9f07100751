"""Local clock time and intervals of aware instants.

Weekly patterns (working hours, room hours, series) are clock time in the clinic's zone; windows,
gaps and caps are elapsed time. Turning a local date and clock time into an instant has two edge
cases around daylight-saving changes, and this module decides them explicitly:

- A local time that does not exist (spring forward, e.g. 02:30 on the night clocks jump from 02:00
  to 03:00): `Policy.SHIFT` moves it forward by the length of the gap (02:30 -> 03:30 new time),
  which is what PEP 495 gives for fold=0; `Policy.REFUSE` raises `LocalTimeError`.
- A local time that occurs twice (fall back, e.g. 01:30): `Policy.SHIFT` takes the first
  occurrence (the earlier instant, still on summer time); `Policy.REFUSE` raises.

Availability patterns use SHIFT, so an opening hour that falls in a gap still opens once the gap is
over. A patient-facing series uses REFUSE, so nobody is booked at a time that the clock never shows
or shows twice without a person deciding which.
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

UTC = dt.UTC
Interval = tuple[dt.datetime, dt.datetime]


class Policy(enum.Enum):
    SHIFT = "shift"
    REFUSE = "refuse"


class LocalTimeError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def local_time_kind(day: dt.date, clock: dt.time, tz: ZoneInfo) -> str:
    """ "normal", "nonexistent" (inside a spring-forward gap) or "ambiguous" (inside a fall-back hour)."""
    naive = dt.datetime.combine(day, clock)
    first = naive.replace(tzinfo=tz, fold=0)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        return "nonexistent"
    if first.utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset():
        return "ambiguous"
    return "normal"


def local_to_aware(day: dt.date, clock: dt.time, tz: ZoneInfo, *, policy: Policy = Policy.SHIFT) -> dt.datetime:
    """The instant at which the clinic's clock shows `clock` on `day`, DST edge cases per `policy`."""
    kind = local_time_kind(day, clock, tz)
    if kind != "normal" and policy is Policy.REFUSE:
        what = "does not exist" if kind == "nonexistent" else "occurs twice"
        raise LocalTimeError(
            f"{kind}_local_time",
            f"{day.isoformat()} {clock:%H:%M} {what} in {tz.key} (daylight-saving change).",
        )
    # fold=0 then a round trip through UTC: a nonexistent time lands after the gap, an ambiguous
    # one on its first occurrence.
    return dt.datetime.combine(day, clock, tzinfo=tz).astimezone(UTC).astimezone(tz)


def local_days(start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> list[dt.date]:
    """Every local date that [start, end) touches."""
    first = start.astimezone(tz).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(tz).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def weekly_series(
    first_day: dt.date, clock: dt.time, count: int, tz: ZoneInfo, *, policy: Policy = Policy.REFUSE
) -> list[dt.datetime]:
    """`count` weekly instants at the same local clock time: the UTC offset changes, the clock doesn't."""
    return [local_to_aware(first_day + dt.timedelta(weeks=n), clock, tz, policy=policy) for n in range(count)]


# --- intervals: sorted, non-overlapping lists of [start, end) ------------------------------------


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    result: list[Interval] = []
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def subtract(intervals: Sequence[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """`intervals` (merged) minus `holes`."""
    result = list(intervals)
    for h_start, h_end in merge(holes):
        pieces: list[Interval] = []
        for start, end in result:
            if h_end <= start or h_start >= end:
                pieces.append((start, end))
                continue
            if start < h_start:
                pieces.append((start, h_start))
            if h_end < end:
                pieces.append((h_end, end))
        result = pieces
    return result


def minus(intervals: Sequence[Interval], holes: Sequence[Interval]) -> list[Interval]:
    """Merged `intervals` minus merged `holes`, in one pass over both (as `subtract`, for long lists)."""
    result: list[Interval] = []
    first = 0
    for start, end in intervals:
        while first < len(holes) and holes[first][1] <= start:
            first += 1
        at = start
        for h_start, h_end in holes[first:]:
            if h_start >= end:
                break
            if h_start > at:
                result.append((at, h_start))
            at = max(at, h_end)
        if at < end:
            result.append((at, end))
    return result


def covers(intervals: Sequence[Interval], start: dt.datetime, end: dt.datetime, starts: Sequence | None = None) -> bool:
    """True if one interval of the merged list contains [start, end). `starts` may cache the starts."""
    keys = starts if starts is not None else [i[0] for i in intervals]
    index = bisect.bisect_right(keys, start) - 1
    return index >= 0 and intervals[index][1] >= end


def overlaps(a_start: dt.datetime, a_end: dt.datetime, b_start: dt.datetime, b_end: dt.datetime) -> bool:
    """Half-open ranges overlap, as PostgreSQL's `&&` on '[)' ranges."""
    return a_start < b_end and b_start < a_end


def starts_fitting(
    intervals: Sequence[Interval], first_offset: dt.timedelta, last_offset: dt.timedelta
) -> list[Interval]:
    """The closed ranges [first, last] of starts t such that [t + first_offset, t + last_offset) lies
    in one interval of the merged list: `covers(intervals, t + first_offset, t + last_offset)`."""
    span = last_offset - first_offset
    return [(a - first_offset, b - last_offset) for a, b in intervals if b - a >= span]


def intersect_ranges(first: Sequence[Interval], second: Sequence[Interval]) -> list[Interval]:
    """The intersection of two sorted lists of disjoint closed ranges [lo, hi]."""
    result: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        lo = max(first[i][0], second[j][0])
        hi = min(first[i][1], second[j][1])
        if lo <= hi:
            result.append((lo, hi))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return result
