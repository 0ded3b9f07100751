import { describe, expect, it } from "vitest";
import { dayBounds, formatDateTime, formatTime, hourTicks, localDate, zonedIso } from "./time";

const NY = "America/New_York";

describe("formatTime in the clinic's zone", () => {
  it("shows standard time with EST in winter", () => {
    expect(formatTime("2026-12-01T14:30:00Z", NY)).toBe("09:30 EST");
  });
  it("shows daylight time with EDT in summer", () => {
    expect(formatTime("2026-07-01T13:30:00Z", NY)).toBe("09:30 EDT");
  });
  it("shows the repeated hour of a fall-back day with both abbreviations", () => {
    // 2026-11-01: 01:30 happens twice in New York.
    expect(formatTime("2026-11-01T05:30:00Z", NY)).toBe("01:30 EDT");
    expect(formatTime("2026-11-01T06:30:00Z", NY)).toBe("01:30 EST");
  });
  it("does not depend on the browser's own zone", () => {
    expect(formatTime("2026-12-01T14:30:00Z", "Europe/London")).toBe("14:30 GMT");
  });
  it("writes the date in the clinic's zone, which can differ from UTC's", () => {
    expect(formatDateTime("2026-12-02T03:00:00Z", NY)).toBe("Tue 1 Dec 2026, 22:00 EST");
  });
});

describe("zonedIso: a time typed in the clinic's zone, sent with its offset", () => {
  it("carries -05:00 in winter and -04:00 in summer", () => {
    expect(zonedIso("2026-12-01", "09:00", NY)).toBe("2026-12-01T09:00:00-05:00");
    expect(zonedIso("2026-07-01", "09:00", NY)).toBe("2026-07-01T09:00:00-04:00");
  });
  it("uses the new offset on the morning of a spring-forward day", () => {
    expect(zonedIso("2026-03-08", "09:00", NY)).toBe("2026-03-08T09:00:00-04:00");
    expect(zonedIso("2026-03-08", "01:00", NY)).toBe("2026-03-08T01:00:00-05:00");
  });
  it("moves a time in the spring-forward gap past the gap", () => {
    expect(zonedIso("2026-03-08", "02:30", NY)).toBe("2026-03-08T03:30:00-04:00");
  });
  it("takes the first of the two 01:30s on a fall-back day", () => {
    expect(zonedIso("2026-11-01", "01:30", NY)).toBe("2026-11-01T01:30:00-04:00");
  });
});

describe("the clinic's day", () => {
  it("is 23 hours on a spring-forward day and 25 on a fall-back day", () => {
    const [s0, s1] = dayBounds("2026-03-08", NY);
    expect((s1.getTime() - s0.getTime()) / 3600000).toBe(23);
    const [f0, f1] = dayBounds("2026-11-01", NY);
    expect((f1.getTime() - f0.getTime()) / 3600000).toBe(25);
    expect(f0.toISOString()).toBe("2026-11-01T04:00:00.000Z");
  });
  it("has hour ticks that show the repeated hour twice on a fall-back day", () => {
    const [from] = dayBounds("2026-11-01", NY);
    const labels = hourTicks(from, new Date(from.getTime() + 3 * 3600000), NY).map((t) => formatTime(t, NY));
    expect(labels).toEqual(["00:00 EDT", "01:00 EDT", "01:00 EST", "02:00 EST"]);
  });
  it("names the local date of an instant near midnight", () => {
    expect(localDate(new Date("2026-12-02T03:00:00Z"), NY)).toBe("2026-12-01");
  });
});
