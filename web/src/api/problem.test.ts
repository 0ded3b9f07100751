import { describe, expect, it } from "vitest";
import { errorsFor, flattenErrors, problemFrom, unplacedErrors } from "./problem";

describe("problem details to a form's errors", () => {
  it("keeps detail, field errors and the extras of a problem+json body", () => {
    const p = problemFrom(422, {
      type: "https://kat.example/problems/min_interval",
      title: "Rule violated",
      status: 422,
      detail: "Dosing sessions must be at least 48 hours apart.",
      errors: { starts_at: ["Too soon after the previous dosing."] },
      violations: [{ rule: "min_interval", field: "starts_at", message: "Too soon after the previous dosing." }],
      unmet: ["consent"],
    });
    expect(p.detail).toBe("Dosing sessions must be at least 48 hours apart.");
    expect(p.fieldErrors).toEqual({ starts_at: ["Too soon after the previous dosing."] });
    expect(p.violations[0].rule).toBe("min_interval");
    expect(p.unmet).toEqual(["consent"]);
  });

  it("flattens nested list and object errors into dotted names", () => {
    expect(flattenErrors({ staff: [{}, { role: ["Not a valid choice."] }], non_field_errors: ["Name each role once."] })).toEqual({
      "staff.1.role": ["Not a valid choice."],
      non_field_errors: ["Name each role once."],
    });
  });

  it("gives a field its nested messages", () => {
    const p = problemFrom(400, { detail: "Invalid.", errors: { staff: [{ role: ["Bad."] }], mrn: ["Taken."] } });
    expect(errorsFor(p, "staff")).toEqual(["Bad."]);
    expect(errorsFor(p, "mrn")).toEqual(["Taken."]);
    expect(errorsFor(p, "phone")).toEqual([]);
  });

  it("lists the messages of fields the form does not show, so none is lost", () => {
    const p = problemFrom(400, { detail: "Invalid.", errors: { mrn: ["Taken."], home_clinic: ["Not yours."] } });
    expect(unplacedErrors(p, ["mrn"])).toEqual(["Home clinic: Not yours."]);
  });

  it("falls back to the title, then to words for the status, when there is no detail", () => {
    expect(problemFrom(409, { title: "Conflict" }).detail).toBe("Conflict");
    expect(problemFrom(403, null).detail).toBe("Your role may not do this.");
    expect(problemFrom(502, "<html>").detail).toMatch(/server failed/);
  });
});
