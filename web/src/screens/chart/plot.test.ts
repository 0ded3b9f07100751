import { describe, expect, it } from "vitest";
import { linear, polyline, thresholdLines, valueDomain } from "./plot";

describe("vitals chart geometry", () => {
  it("maps values onto the chart's pixels, larger values higher", () => {
    // given a value axis 40..220 drawn from y=200 (bottom) to y=20 (top)
    const y = linear(40, 220, 200, 20);
    // then
    expect(y(40)).toBe(200);
    expect(y(220)).toBe(20);
    expect(y(130)).toBe(110);
  });

  it("draws each active threshold at its value, on its series, and skips rules switched off", () => {
    // given the clinic's limits with the heart-rate rule off
    const y = linear(40, 220, 200, 20);
    const limits = {
      predose_hold: { systolic_mmhg: 140, diastolic_mmhg: 90 },
      bp_critical: { systolic_mmhg: 200, diastolic_mmhg: 120 },
      hr_sustained: null,
      spo2_low: { spo2_percent: 92 },
    };
    // when
    const lines = thresholdLines(limits, y);
    // then
    expect(lines.map((l) => [l.key, l.series, l.value, l.y, l.label])).toEqual([
      ["predose_hold.systolic_mmhg", "systolic", 140, 100, "Pre-dose hold > 140"],
      ["predose_hold.diastolic_mmhg", "diastolic", 90, 150, "Pre-dose hold > 90"],
      ["bp_critical.systolic_mmhg", "systolic", 200, 40, "Critical ≥ 200"],
      ["spo2_low.spo2_percent", "spo2", 92, 148, "SpO₂ < 92"],
    ]);
  });

  it("keeps every threshold on the chart even when the readings are all low", () => {
    expect(valueDomain([118, 76], 60, 200)).toEqual([55, 205]);
    expect(valueDomain([], 60, 200)).toEqual([60, 200]);
  });

  it("joins readings into one polyline in time order", () => {
    const x = linear(0, 60, 0, 600);
    const y = linear(0, 100, 100, 0);
    expect(polyline([{ t: 0, v: 50 }, { t: 30, v: 75 }, { t: 60, v: 100 }], x, y)).toBe("0,50 300,25 600,0");
  });
});
