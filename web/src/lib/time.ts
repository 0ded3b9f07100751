// Times are shown in the clinic's zone with its abbreviation, and entered in that zone: the value
// sent carries the zone's offset on that date (so "09:00" on a daylight-saving day is right).

const partsCache = new Map<string, Intl.DateTimeFormat>();

function partsFormat(timeZone: string): Intl.DateTimeFormat {
  let f = partsCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    partsCache.set(timeZone, f);
  }
  return f;
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(instant: Date, timeZone: string): Wall {
  const parts: Record<string, number> = {};
  for (const p of partsFormat(timeZone).formatToParts(instant)) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour % 24, minute: parts.minute, second: parts.second };
}

/** Minutes the zone is ahead of UTC at that instant (New York in January: -300). */
export function offsetMinutes(instant: Date, timeZone: string): number {
  const w = wallClock(instant, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60000);
}

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, "0");
}

export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? "-" : "+";
  return `${sign}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

/**
 * The instant of a wall-clock time in a zone. A time skipped by a spring-forward change moves
 * forward by the gap (02:30 becomes 03:30); a repeated fall-back time takes the first (daylight) one.
 */
export function zonedInstant(date: string, time: string, timeZone: string): Date {
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wallAsUtc = Date.UTC(y, m - 1, d, hh, mm);
  // The offset can only be one of the offsets in force a day either side.
  const candidates = new Set([
    offsetMinutes(new Date(wallAsUtc - 86400000), timeZone),
    offsetMinutes(new Date(wallAsUtc), timeZone),
    offsetMinutes(new Date(wallAsUtc + 86400000), timeZone),
  ]);
  const matches = [...candidates]
    .map((off) => new Date(wallAsUtc - off * 60000))
    .filter((instant) => {
      const w = wallClock(instant, timeZone);
      return w.year === y && w.month === m && w.day === d && w.hour === hh && w.minute === mm;
    })
    .sort((a, b) => a.getTime() - b.getTime());
  if (matches.length) return matches[0];
  // In the gap: read it with the offset in force before the change.
  return new Date(wallAsUtc - offsetMinutes(new Date(wallAsUtc - 86400000), timeZone) * 60000);
}

/** "2026-03-08T09:00:00-04:00": what the API receives for a time entered in the clinic's zone. */
export function zonedIso(date: string, time: string, timeZone: string): string {
  const instant = zonedInstant(date, time, timeZone);
  const w = wallClock(instant, timeZone);
  const off = offsetMinutes(instant, timeZone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:00${formatOffset(off)}`;
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();
function cachedFormat(key: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let f = timeFormats.get(key);
  if (!f) {
    f = make();
    timeFormats.set(key, f);
  }
  return f;
}

function zoneName(instant: Date, timeZone: string): string {
  const f = cachedFormat(`tz|${timeZone}`, () => new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "short" }));
  return f.formatToParts(instant).find((p) => p.type === "timeZoneName")?.value ?? timeZone;
}

/** "09:30 EST". */
export function formatTime(iso: string | Date, timeZone: string): string {
  const instant = typeof iso === "string" ? new Date(iso) : iso;
  const w = wallClock(instant, timeZone);
  return `${pad(w.hour)}:${pad(w.minute)} ${zoneName(instant, timeZone)}`;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "Tue 1 Dec 2026" for a local date "2026-12-01". */
export function formatDate(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  return `${WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]} ${d} ${MONTHS[m - 1]} ${y}`;
}

/** "Tue 1 Dec 2026, 09:30 EST". */
export function formatDateTime(iso: string | Date, timeZone: string): string {
  const instant = typeof iso === "string" ? new Date(iso) : iso;
  return `${formatDate(localDate(instant, timeZone))}, ${formatTime(instant, timeZone)}`;
}

/** The clinic's local date of an instant, "YYYY-MM-DD". */
export function localDate(instant: Date, timeZone: string): string {
  const w = wallClock(instant, timeZone);
  return `${w.year}-${pad(w.month)}-${pad(w.day, 2)}`;
}

/** The clinic's local wall time of an instant, "HH:MM" (for an input's value). */
export function localTime(instant: Date, timeZone: string): string {
  const w = wallClock(instant, timeZone);
  return `${pad(w.hour)}:${pad(w.minute)}`;
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** [local midnight, next local midnight) of a clinic's day: 23 or 25 hours on change days. */
export function dayBounds(date: string, timeZone: string): [Date, Date] {
  return [zonedInstant(date, "00:00", timeZone), zonedInstant(addDays(date, 1), "00:00", timeZone)];
}

/** Every whole local hour of a day between two instants, as the instants they fall on. */
export function hourTicks(from: Date, to: Date, timeZone: string): Date[] {
  const ticks: Date[] = [];
  const hour = 3600000;
  // Whole hours of the zone: the instant minus its minutes past the local hour.
  let t = from.getTime();
  const w = wallClock(from, timeZone);
  t -= (w.minute * 60 + w.second) * 1000;
  if (t < from.getTime()) t += hour;
  for (; t <= to.getTime(); t += hour) ticks.push(new Date(t));
  return ticks;
}
