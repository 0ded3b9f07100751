// RFC 9457 problem details as the API sends them, and the mapping to what a form shows.

export type FieldErrors = Record<string, string[]>;

export interface Violation {
  rule: string;
  field?: string;
  message: string;
  step?: string | number;
}

export interface Problem {
  status: number;
  type: string;
  title: string;
  detail: string;
  /** Messages per field, with nested fields joined by dots: `staff.0.role`. */
  fieldErrors: FieldErrors;
  violations: Violation[];
  conflicts: Record<string, unknown>[];
  unmet: unknown[];
  /** The whole body, for extras a screen knows about (`proposal`, …). */
  body: Record<string, unknown>;
}

const FORM_LEVEL = new Set(["non_field_errors", "__all__", "detail"]);

function toMessages(value: unknown): string[] {
  if (value == null) return [];
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
  return [];
}

/** Flatten DRF's nested error shapes (`{staff: [{role: ["…"]}]}`) into dotted field names. */
export function flattenErrors(errors: unknown, prefix = ""): FieldErrors {
  const out: FieldErrors = {};
  const add = (key: string, messages: string[]) => {
    if (messages.length) out[key] = [...(out[key] ?? []), ...messages];
  };
  if (errors == null) return out;
  const direct = toMessages(errors);
  if (direct.length) {
    add(prefix || "non_field_errors", direct);
    return out;
  }
  if (Array.isArray(errors)) {
    errors.forEach((item, i) => Object.assign(out, flattenErrors(item, prefix ? `${prefix}.${i}` : String(i))));
    return out;
  }
  if (typeof errors === "object") {
    for (const [key, value] of Object.entries(errors as Record<string, unknown>)) {
      const name = FORM_LEVEL.has(key) ? prefix || "non_field_errors" : prefix ? `${prefix}.${key}` : key;
      for (const [k, v] of Object.entries(flattenErrors(value, name))) add(k, v);
    }
  }
  return out;
}

function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

/** Read a refusal's body (problem+json, or the older `{type, detail, errors}`) into a Problem. */
export function problemFrom(status: number, body: unknown): Problem {
  const b = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const detail =
    typeof b.detail === "string" && b.detail
      ? b.detail
      : typeof b.title === "string" && b.title
        ? b.title
        : defaultDetail(status);
  return {
    status,
    type: typeof b.type === "string" ? b.type : "about:blank",
    title: typeof b.title === "string" ? b.title : "",
    detail,
    fieldErrors: flattenErrors(b.errors ?? {}),
    violations: asArray<Violation>(b.violations),
    conflicts: asArray<Record<string, unknown>>(b.conflicts),
    unmet: asArray<unknown>(b.unmet),
    body: b,
  };
}

function defaultDetail(status: number): string {
  if (status === 0) return "The clinic's server could not be reached. Check the connection and try again.";
  if (status === 401) return "Please sign in again.";
  if (status === 403) return "Your role may not do this.";
  if (status === 404) return "Not found in your clinics.";
  if (status >= 500) return "The server failed to answer. Try again; if it goes on, tell the clinic's administrator.";
  return "The request was refused.";
}

/** The messages for the fields a form does not show, so none is lost. */
export function unplacedErrors(problem: Problem, shownFields: readonly string[]): string[] {
  const shown = new Set(shownFields);
  return Object.entries(problem.fieldErrors)
    .filter(([field]) => !shown.has(field) && !shownFields.some((f) => field.startsWith(`${f}.`)))
    .flatMap(([field, messages]) =>
      messages.map((m) => (field === "non_field_errors" ? m : `${humanField(field)}: ${m}`)),
    );
}

export function humanField(field: string): string {
  return field.replace(/\.\d+\./g, " ").replace(/[._]/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}

/** The problem's field messages for one field, including its nested ones (`staff` gets `staff.0.role`). */
export function errorsFor(problem: Problem | null | undefined, field: string): string[] {
  if (!problem) return [];
  return Object.entries(problem.fieldErrors)
    .filter(([name]) => name === field || name.startsWith(`${field}.`))
    .flatMap(([, messages]) => messages);
}
