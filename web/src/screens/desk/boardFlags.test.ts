import { describe, expect, it } from "vitest";
import { canConfirmRide, sessionBadges } from "./boardFlags";

const clear = { late: false, late_cancel: false, prerequisite_missing: false, ride_not_confirmed: false };

describe("the day board's badges", () => {
  it("shows none when nothing is missing and no authorization is needed", () => {
    expect(sessionBadges({ status: "scheduled", flags: clear, authorization: "not_required" })).toEqual([]);
  });

  it("shows none for an active authorization or an unknown one", () => {
    expect(sessionBadges({ status: "scheduled", flags: clear, authorization: "active" })).toEqual([]);
    expect(sessionBadges({ status: "scheduled", flags: { ...clear, prerequisite_missing: null, ride_not_confirmed: null }, authorization: null })).toEqual([]);
  });

  it("labels every flag that is set, in a fixed order", () => {
    const badges = sessionBadges({
      status: "checked_in",
      flags: { ...clear, prerequisite_missing: true, ride_not_confirmed: true },
      authorization: "missing",
    });
    expect(badges.map((b) => [b.label, b.tone])).toEqual([
      ["Prerequisite missing", "danger"],
      ["Ride not confirmed", "warn"],
      ["No prior authorization", "warn"],
    ]);
  });

  it("shows only the ride when only the ride is missing", () => {
    expect(sessionBadges({ status: "scheduled", flags: { ...clear, ride_not_confirmed: true }, authorization: "active" }).map((b) => b.label)).toEqual([
      "Ride not confirmed",
    ]);
  });

  it("shows none on a session that is cancelled, a no-show or completed", () => {
    const flags = { ...clear, prerequisite_missing: true, ride_not_confirmed: true };
    for (const status of ["cancelled", "no_show", "completed"]) {
      expect(sessionBadges({ status, flags, authorization: "missing" })).toEqual([]);
    }
  });
});

describe("confirming the ride home", () => {
  it("is offered on a dosing session still ahead or under way, and on nothing else", () => {
    expect(canConfirmRide({ kind: "dosing", status: "scheduled" })).toBe(true);
    expect(canConfirmRide({ kind: "dosing", status: "checked_in" })).toBe(true);
    expect(canConfirmRide({ kind: "dosing", status: "cancelled" })).toBe(false);
    expect(canConfirmRide({ kind: "integration", status: "scheduled" })).toBe(false);
  });
});
