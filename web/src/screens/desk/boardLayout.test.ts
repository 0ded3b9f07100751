import { describe, expect, it } from "vitest";
import { boardAxis, placeOnAxis } from "./boardLayout";

const NY = "America/New_York";

describe("the day board's axis", () => {
  it("runs 07:00 to 20:00 local on an ordinary day", () => {
    const axis = boardAxis("2026-12-01", NY, []);
    expect(axis.start.toISOString()).toBe("2026-12-01T12:00:00.000Z");
    expect(axis.end.toISOString()).toBe("2026-12-02T01:00:00.000Z");
  });

  it("places blocks by elapsed time on a spring-forward day", () => {
    // 2026-03-08: 07:00 EDT is 11:00Z; a 09:00 EDT block two hours into a 13-hour axis.
    const axis = boardAxis("2026-03-08", NY, []);
    expect(axis.start.toISOString()).toBe("2026-03-08T11:00:00.000Z");
    const place = placeOnAxis(axis, "2026-03-08T13:00:00Z", "2026-03-08T14:00:00Z");
    expect(place.left).toBeCloseTo((2 / 13) * 100, 6);
    expect(place.width).toBeCloseTo((1 / 13) * 100, 6);
  });

  it("widens to a block that starts before 07:00", () => {
    const axis = boardAxis("2026-12-01", NY, [
      { block_starts_at: "2026-12-01T11:30:00Z", block_ends_at: "2026-12-01T12:30:00Z" },
    ]);
    expect(axis.start.toISOString()).toBe("2026-12-01T11:00:00.000Z");
  });
});
