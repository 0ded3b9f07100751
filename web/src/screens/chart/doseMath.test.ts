import { describe, expect, it } from "vitest";
import { afterDose, capMg, dosePreview } from "./doseMath";

describe("dose preview", () => {
  it("multiplies mg/kg by the recent weight and rounds half-up to 0.01", () => {
    // given 0.5 mg/kg, 72.5 kg, 10 mg/ml over 40 min IV
    const p = dosePreview({ route: "iv", weightKg: "72.5", mgPerKg: "0.5", concentrationMgPerMl: "10", infusionMinutes: "40" });
    // then 36.25 mg, 3.63 ml (3.625 half-up), 54.38 mg/h (54.375 half-up)
    expect(p).toEqual({ doseMg: "36.25", volumeMl: "3.63", rateMgPerH: "54.38", problems: {} });
  });

  it("rounds the product of three-decimal mg/kg the way the server does", () => {
    expect(dosePreview({ route: "im", weightKg: "81.3", mgPerKg: "0.125" }).doseMg).toBe("10.16");
  });

  it("takes a fixed dose as given and computes no rate off IV", () => {
    const p = dosePreview({ route: "intranasal", mg: "56", infusionMinutes: "10" });
    expect(p.doseMg).toBe("56.00");
    expect(p.rateMgPerH).toBeNull();
    expect(p.problems).toEqual({ infusion_minutes: "Only IV doses are infused over minutes." });
  });

  it("asks for a weight when the dose is weight-based and none is recent", () => {
    const p = dosePreview({ route: "iv", weightKg: null, mgPerKg: "0.5" });
    expect(p.doseMg).toBeNull();
    expect(p.problems).toEqual({ weight_kg: "A weight-based dose needs a recent weight." });
  });

  it("refuses both mg/kg and mg at once", () => {
    expect(dosePreview({ route: "iv", weightKg: "70", mgPerKg: "0.5", mg: "35" }).problems).toEqual({
      dose_mg_per_kg: "Give either mg/kg (weight-based) or mg (fixed).",
    });
  });
});

describe("session cap", () => {
  it("is the lower of the fixed and the weight-based limit", () => {
    expect(capMg({ medication: "ketamine", route: "iv", max_session_mg: "60.00", max_session_mg_per_kg: "1.00" }, "72.5")).toBe("60.00");
    expect(capMg({ medication: "ketamine", route: "iv", max_session_mg: null, max_session_mg_per_kg: "1.00" }, "72.5")).toBe("72.50");
    expect(capMg(undefined, "72.5")).toBeNull();
  });

  it("adds a titration to what was given and compares with the cap", () => {
    expect(afterDose(["36.25", "18.13"], "18.12", "72.50")).toEqual({ totalMg: "72.50", withinCap: true });
    expect(afterDose(["36.25", "18.13"], "18.13", "72.50")).toEqual({ totalMg: "72.51", withinCap: false });
  });
});
