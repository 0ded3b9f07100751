// The desk's badges for a board session: what is not in place yet, in words (never colour alone).
import type { DayBoardSession } from "../../api/types";

export interface Badge {
  key: "prerequisite_missing" | "ride_not_confirmed" | "authorization_missing";
  label: string;
  tone: "danger" | "warn";
}

/** Nothing is left to arrange for a session that is over or off. */
const SETTLED = new Set(["completed", "cancelled", "no_show"]);

/** The badges of the flags that are set; an authorization that is active or not required shows none. */
export function sessionBadges(s: Pick<DayBoardSession, "status" | "flags" | "authorization">): Badge[] {
  if (SETTLED.has(s.status)) return [];
  const badges: Badge[] = [];
  if (s.flags.prerequisite_missing) badges.push({ key: "prerequisite_missing", label: "Prerequisite missing", tone: "danger" });
  if (s.flags.ride_not_confirmed) badges.push({ key: "ride_not_confirmed", label: "Ride not confirmed", tone: "warn" });
  if (s.authorization === "missing") badges.push({ key: "authorization_missing", label: "No prior authorization", tone: "warn" });
  return badges;
}

/** The ride home is the desk's to confirm on a dosing session that is still ahead or under way. */
export function canConfirmRide(s: Pick<DayBoardSession, "kind" | "status">): boolean {
  return s.kind === "dosing" && !SETTLED.has(s.status);
}
