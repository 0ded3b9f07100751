// Words for the API's codes, as the front desk says them.

const KIND: Record<string, string> = {
  medical_intake: "Medical intake",
  preparation: "Preparation",
  dosing: "Dosing",
  integration: "Integration",
  check_in: "Check-in call",
};
const STATUS: Record<string, string> = {
  scheduled: "Scheduled",
  checked_in: "Checked in",
  in_progress: "In progress",
  completed: "Completed",
  cancelled: "Cancelled",
  no_show: "No-show",
};

function words(code: string): string {
  return code.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}

export const kindLabel = (kind: string) => KIND[kind] ?? words(kind);
export const statusLabel = (status: string) => STATUS[status] ?? words(status);
export const codeLabel = words;
