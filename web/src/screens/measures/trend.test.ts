import { describe, expect, it } from "vitest";
import { changePercent, trendLines } from "./trend";

describe("trend chart lines", () => {
  it("puts the baseline at the first score, the response line at half of it, remission below 5", () => {
    // given a PHQ-9 course from 20 down to 4
    const points = [
      { completed_at: "2026-10-01T15:00:00Z", total: 20 },
      { completed_at: "2026-10-15T15:00:00Z", total: 11 },
      { completed_at: "2026-11-01T15:00:00Z", total: 4 },
    ];
    // then
    expect(trendLines("phq9", points)).toEqual({ baseline: 20, response: 10, remission: 5, max: 27 });
    expect(changePercent(20, 4)).toBe(80);
  });

  it("skips an unscored first response when finding the baseline", () => {
    const points = [
      { completed_at: "2026-10-01T15:00:00Z", total: null },
      { completed_at: "2026-10-08T15:00:00Z", total: 15 },
    ];
    expect(trendLines("gad7", points)).toEqual({ baseline: 15, response: 7.5, remission: 5, max: 21 });
  });

  it("draws no baseline or response line without a score", () => {
    expect(trendLines("phq9", [])).toEqual({ baseline: null, response: null, remission: 5, max: 27 });
    expect(changePercent(null, 3)).toBeNull();
  });

  it("rounds the change to one decimal", () => {
    expect(changePercent(18, 11)).toBe(38.9);
  });
});
