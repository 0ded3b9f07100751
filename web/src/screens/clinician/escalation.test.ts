import { describe, expect, it } from "vitest";
import { alertKindLabel, escalationRows, nextPage, type AlertItem } from "./escalation";

const item = (over: Partial<AlertItem>): AlertItem => ({
  id: 1,
  channel: "in_app",
  staff: 7,
  staff_name: "Dana Reyes, RN",
  due_at: "2026-12-01T15:00:00Z",
  status: "sent",
  payload: { step: 0, why: "on_call" },
  ...over,
});

describe("an alert's escalation", () => {
  it("lists who was told, how and why, in the order they are due", () => {
    // given a page to the next on call due later, and the first in-app item
    const items = [
      item({ id: 3, channel: "email", staff: 8, staff_name: "Sam Ortiz, LCSW", due_at: "2026-12-01T15:05:00Z", status: "pending", payload: { step: 1, why: "on_call" } }),
      item({ id: 2, payload: { step: 0, why: "assigned" }, staff_name: null }),
    ];
    // then
    expect(escalationRows(items)).toEqual([
      { id: 2, dueAt: "2026-12-01T15:00:00Z", who: "Staff #7", how: "In the app", why: "In the session", state: "Sent" },
      { id: 3, dueAt: "2026-12-01T15:05:00Z", who: "Sam Ortiz, LCSW", how: "Email", why: "On call", state: "Waiting" },
    ]);
  });

  it("names the next page still to come, and none once the rest were cancelled", () => {
    // given at 15:02: a page due at 15:00 going out, the next ones at 15:05 and 15:10
    const now = new Date("2026-12-01T15:02:00Z");
    const waiting = [
      item({ id: 4, channel: "sms", due_at: "2026-12-01T15:10:00Z", status: "pending" }),
      item({ id: 3, channel: "email", due_at: "2026-12-01T15:05:00Z", status: "pending" }),
      item({ id: 2, channel: "in_app", due_at: "2026-12-01T15:04:00Z", status: "pending" }),
      item({ id: 1, channel: "sms", due_at: "2026-12-01T15:00:00Z", status: "pending" }),
    ];
    // then
    expect(nextPage(waiting, now)?.id).toBe(3);
    expect(nextPage(waiting.map((i) => ({ ...i, status: "cancelled" })), now)).toBeUndefined();
  });
});

describe("an alert's kind", () => {
  it("is said in words, and an unknown kind still reads", () => {
    expect(alertKindLabel("checkin_low_mood")).toBe("Check-in: very low mood");
    expect(alertKindLabel("new_rule_kind")).toBe("new rule kind");
  });
});
