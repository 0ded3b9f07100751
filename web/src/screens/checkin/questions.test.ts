import { describe, expect, it } from "vitest";
import { QUESTIONNAIRES, needsCrisisLine } from "./questions";

describe("the check-in's crisis line", () => {
  it("shows when PHQ-9 item 9 is answered above 0", () => {
    const answers: (number | null)[] = [0, 0, 0, 0, 0, 0, 0, 0, 1];
    expect(needsCrisisLine("phq9", answers)).toBe(true);
  });
  it("does not show for other PHQ-9 answers, even high ones", () => {
    expect(needsCrisisLine("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 0])).toBe(false);
    expect(needsCrisisLine("phq9", Array(9).fill(null))).toBe(false);
  });
  it("has the item counts the server scores", () => {
    expect(QUESTIONNAIRES.phq9.items).toHaveLength(9);
    expect(QUESTIONNAIRES.gad7.items).toHaveLength(7);
  });
});
