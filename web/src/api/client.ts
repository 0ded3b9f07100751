// The one way the app talks to the server: the REST API, with a token, and problem details on refusal.
import { problemFrom, type Problem } from "./problem";

/** Every API path is relative to this. The versioned API (`/api/v1`, problem+json errors). */
export const API_BASE = "/api/v1";

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail);
    this.name = "ApiError";
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
}

const TOKEN_KEY = "kat.token";
let unauthorizedListener: (() => void) | null = null;

export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Called when the server says the token is no longer good (expired, idle, revoked). */
export function onUnauthorized(listener: (() => void) | null): void {
  unauthorizedListener = listener;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function apiUrl(path: string, query?: Query): string {
  const url = `${API_BASE}${path.startsWith("/") ? path : `/${path}`}`;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${url}?${qs}` : url;
}

interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Public endpoints (login, patients' links) go without the token. */
  anonymous?: boolean;
  signal?: AbortSignal;
  /** Extra request headers (If-Match for a note's edit). */
  headers?: Record<string, string>;
}

async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
  const token = options.anonymous ? null : tokenStore.get();
  if (token) headers.Authorization = `Token ${token}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  Object.assign(headers, options.headers);
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(problemFrom(0, null));
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    if (response.status === 401 && token) unauthorizedListener?.();
    throw new ApiError(problemFrom(response.status, body));
  }
  return body as T;
}

/** A file the API answers (a CSV report): fetched with the token, handed to the browser as a download. */
async function download(path: string, query: Query, fallbackName: string): Promise<{ blob: Blob; filename: string }> {
  const token = tokenStore.get();
  const response = await fetch(apiUrl(path, query), {
    // No Accept header: the report answers text/csv, which the API's content negotiation does not list.
    headers: token ? { Authorization: `Token ${token}` } : {},
  });
  if (!response.ok) {
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (response.status === 401 && token) unauthorizedListener?.();
    throw new ApiError(problemFrom(response.status, body));
  }
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  return { blob: await response.blob(), filename };
}

/** Save a blob under a name, as the browser's own download. */
export function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export const api = {
  download,
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>("GET", path, { query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, { body: body ?? {} }),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, { body }),
  patchIfMatch: <T>(path: string, body: unknown, etag: string) => request<T>("PATCH", path, { body, headers: { "If-Match": etag } }),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, { body }),
  publicGet: <T>(path: string) => request<T>("GET", path, { anonymous: true }),
  publicPost: <T>(path: string, body: unknown) => request<T>("POST", path, { body, anonymous: true }),
};

/** The list envelope every list endpoint answers with. */
export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}
