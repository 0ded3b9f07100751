// Who a clinical alert reached and who is next: its follow-up items (in-app) and pages (SMS, email),
// as the follow-up engine planned them when the alert was raised.

export interface AlertItem {
  id: number;
  channel: string;
  staff: number | null;
  staff_name: string | null;
  due_at: string;
  status: string;
  payload: unknown;
}

export interface EscalationRow {
  id: number;
  dueAt: string;
  who: string;
  how: string;
  why: string;
  state: string;
}

const KIND: Record<string, string> = {
  bp_severe_repeated: "Severe blood pressure on repeated readings",
  bp_critical: "Critical blood pressure",
  hr_sustained: "Sustained fast heart rate",
  spo2_low: "Low oxygen saturation",
  phq9_item9: "PHQ-9 item 9: thoughts of self-harm",
  cssrs_positive: "C-SSRS screener positive",
  checkin_risk_words: "Check-in: risk words in the note",
  checkin_low_mood: "Check-in: very low mood",
};

/** The alert's kind in words. */
export const alertKindLabel = (kind: string): string => KIND[kind] ?? kind.replace(/_/g, " ");

const HOW: Record<string, string> = { in_app: "In the app", sms: "Text message", email: "Email" };
const WHY: Record<string, string> = { assigned: "In the session", on_call: "On call", prescriber: "Prescriber" };
const STATE: Record<string, string> = {
  pending: "Waiting",
  claimed: "Sending",
  sent: "Sent",
  acknowledged: "Acknowledged",
  cancelled: "Not needed",
  failed: "Failed",
};

function why(payload: unknown): string {
  const value = payload && typeof payload === "object" ? (payload as { why?: unknown }).why : undefined;
  return typeof value === "string" ? (WHY[value] ?? value) : "";
}

/** The alert's items in the order they are due, in words. */
export function escalationRows(items: AlertItem[]): EscalationRow[] {
  return [...items]
    .sort((a, b) => a.due_at.localeCompare(b.due_at) || a.id - b.id)
    .map((item) => ({
      id: item.id,
      dueAt: item.due_at,
      who: item.staff_name ?? (item.staff ? `Staff #${item.staff}` : "—"),
      how: HOW[item.channel] ?? item.channel,
      why: why(item.payload),
      state: STATE[item.status] ?? item.status,
    }));
}

/** The next page the escalation will send after `now`, if any (one already due is going out). */
export function nextPage(items: AlertItem[], now: Date): AlertItem | undefined {
  return [...items]
    .filter((item) => item.channel !== "in_app" && item.status === "pending" && new Date(item.due_at) > now)
    .sort((a, b) => a.due_at.localeCompare(b.due_at) || a.id - b.id)[0];
}
