/**
 * The console's only way to the platform: the public API with the session's bearer token, so
 * roles and namespaces apply exactly as they do to any other client.
 */
import { forgetToken, storedToken } from './session.ts';

/** Sent on `window` when the API refused the token itself (expired, revoked, wrong key): the app signs out. */
export const TOKEN_REFUSED = 'autoglm:token-refused';

/**
 * An API answer that was not 2xx, with the problem's `code` and `detail` (RFC 9457), and the
 * whole problem body in `problem`: its extension members (a failed call's `jobId`, a
 * validation's `field`) are part of the answer a page may show.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    detail: string,
    readonly problem: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
  }
}

/** What the console shows of a failed action: the problem's code and detail, as the API wrote them. */
export const problemText = (e: unknown): string => (e instanceof ApiError && e.code ? `${e.code}: ${e.message}` : (e as Error).message);

/** Calls the API; resolves to the parsed JSON body, rejects with an `ApiError`. */
export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = storedToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.status === 401 && token) {
    forgetToken();
    dispatchEvent(new CustomEvent(TOKEN_REFUSED, { detail: json?.detail ?? 'token refused' }));
  }
  // /readyz answers 503 with a full body when not ready: that is data, not a failure.
  if (!res.ok && !(res.status === 503 && json && 'ready' in json)) {
    throw new ApiError(res.status, json?.code, json?.detail ?? json?.title ?? `${res.status} ${res.statusText}`, json && typeof json === 'object' ? json : {});
  }
  return json as T;
}

export const get = <T = any>(path: string): Promise<T> => api<T>('GET', path);
