import { sseEvents } from '../../functions/sdk/index.ts';

/**
 * A small typed client for the platform's HTTP API, shared by the `autoglm` CLI and the launcher
 * (which deploys the built-in functions through exactly the path users take).
 */

/** A problem answer from the server (RFC 9457), or a transport failure. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problem?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Where and as whom to call. */
export interface ApiTarget {
  url: string;
  token: string | undefined;
  /**
   * How long the server may take to answer a call once the request is sent, in milliseconds; a
   * call past it fails as unreachable (`TIMEOUT`) instead of hanging [none: the launcher talks to
   * its own router]. The CLI sets 30 s.
   */
  timeoutMs?: number;
}

/** Options of one call. */
export interface CallOptions {
  headers?: Record<string, string>;
  /**
   * How long the server may hold this answer on purpose, in milliseconds, on top of the target's
   * `timeoutMs`: the wait a long-poll asks for, or a synchronous call's deadline.
   */
  holdMs?: number;
}

/**
 * How much longer than a call the server may take to answer a deploy: it answers once a worker has
 * loaded the new version, within its AUTOGLM_LOAD_CHECK_TIMEOUT (60 s by default, which an
 * operator may raise for large models).
 */
const DEPLOY_HOLD_MS = 10 * 60_000;

const secondsText = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/**
 * Aborts a call the server has not answered within `ms`. A streamed request body restarts the
 * count at each chunk it sends, so a slow upload is not cut while it moves.
 */
class AnswerDeadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  constructor(readonly ms: number | undefined) {
    this.arm();
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  get passed(): boolean {
    return this.controller.signal.aborted;
  }
  arm(): void {
    clearTimeout(this.timer);
    if (this.ms !== undefined) this.timer = setTimeout(() => this.controller.abort(), this.ms);
  }
  clear(): void {
    clearTimeout(this.timer);
  }
  /** `body`, restarting the count at each chunk read from it. */
  watch(body: BodyInit | undefined): BodyInit | undefined {
    if (!(body instanceof ReadableStream)) return body;
    return body.pipeThrough(new TransformStream({ transform: (chunk, out) => (this.arm(), out.enqueue(chunk)) }));
  }
}

export type DeployQuery = {
  promote?: boolean;
  canary?: number;
  shadow?: number;
  namespace?: string;
  /** true: roll out under analysis; false: promote even if the manifest declares a rollout. */
  rollout?: boolean;
  rolloutSteps?: number[];
  /** A duration such as `30s`. */
  rolloutInterval?: string;
  rolloutMinCalls?: number;
  shadowFirst?: number;
};

/** JSON text parsed, or the text itself when it is not JSON (an empty text: undefined). */
function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

/** A problem answer (or anything else the server sent with status `status`) as an {@link ApiError}. */
function problemError(status: number, parsed: unknown): ApiError {
  const p = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
  const detail = typeof p.detail === 'string' ? p.detail : `HTTP ${status}`;
  return new ApiError(status, typeof p.code === 'string' ? p.code : `HTTP_${status}`, detail, p);
}

export class ApiClient {
  constructor(private readonly target: ApiTarget) {}

  get url(): string {
    return this.target.url;
  }

  private unreachable(err: unknown): ApiError {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return new ApiError(0, 'UNREACHABLE', `cannot reach ${this.target.url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }

  private deadline(holdMs = 0): AnswerDeadline {
    return new AnswerDeadline(this.target.timeoutMs === undefined ? undefined : this.target.timeoutMs + holdMs);
  }

  /** What a failed call becomes: a `TIMEOUT` when its deadline passed (reported as unreachable), else `fallback(err)`. */
  private failure(err: unknown, deadline: AnswerDeadline, fallback: (err: unknown) => unknown = (e) => e): unknown {
    if (deadline.passed) return new ApiError(0, 'TIMEOUT', `${this.target.url} did not answer within ${secondsText(deadline.ms!)}`);
    return fallback(err);
  }

  /** Calls the API; parses JSON answers; turns problem answers into {@link ApiError}. */
  async request<T = any>(method: string, path: string, opts: CallOptions & { body?: unknown; raw?: BodyInit; signal?: AbortSignal; duplex?: boolean } = {}): Promise<{ status: number; headers: Headers; body: T }> {
    const headers: Record<string, string> = { ...(this.target.token ? { authorization: `Bearer ${this.target.token}` } : {}), ...opts.headers };
    const deadline = this.deadline(opts.holdMs);
    let body: BodyInit | undefined = deadline.watch(opts.raw);
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const signal = opts.signal ? AbortSignal.any([opts.signal, deadline.signal]) : deadline.signal;
    try {
      let res: Response;
      try {
        res = await fetch(new URL(path, this.target.url), { method, headers, signal, ...(body !== undefined ? { body } : {}), ...(opts.duplex ? { duplex: 'half' } : {}) } as RequestInit);
      } catch (err) {
        throw this.failure(err, deadline, (e) => this.unreachable(e));
      }
      const parsed = parseJson(await res.text().catch((err: unknown) => Promise.reject(this.failure(err, deadline))));
      if (res.status >= 400) throw problemError(res.status, parsed);
      return { status: res.status, headers: res.headers, body: parsed as T };
    } finally {
      deadline.clear();
    }
  }

  /**
   * A synchronous call answered as Server-Sent Events (`Accept: text/event-stream`): hands each
   * chunk the function emits to `onChunk` as it arrives, and resolves with the final answer (the
   * body a plain call gets, with `dropped` when chunks were dropped for a slow reader).
   * @throws ApiError for a refused request, or the call's failure (its `error` event)
   */
  async invokeStream<T = any>(path: string, body: unknown, onChunk: (chunk: unknown) => void, opts: CallOptions = {}): Promise<{ headers: Headers; body: T }> {
    const headers: Record<string, string> = {
      ...(this.target.token ? { authorization: `Bearer ${this.target.token}` } : {}),
      ...opts.headers,
      'content-type': 'application/json',
      accept: 'text/event-stream',
    };
    const deadline = this.deadline(opts.holdMs);
    let res: Response;
    try {
      res = await fetch(new URL(path, this.target.url), { method: 'POST', headers, body: JSON.stringify(body), signal: deadline.signal });
    } catch (err) {
      deadline.clear();
      throw this.failure(err, deadline, (e) => this.unreachable(e));
    }
    try {
      if (res.status >= 400 || !res.body || !res.headers.get('content-type')?.startsWith('text/event-stream')) {
        const parsed = parseJson(await res.text());
        if (res.status < 400) return { headers: res.headers, body: parsed as T };
        throw problemError(res.status, parsed);
      }
      for await (const e of sseEvents(res.body)) {
        if (e.event === 'chunk') onChunk(parseJson(e.data));
        else if (e.event === 'result') return { headers: res.headers, body: parseJson(e.data) as T };
        else if (e.event === 'error') {
          const p = parseJson(e.data) as { status?: number } | undefined;
          throw problemError(typeof p?.status === 'number' ? p.status : 500, p);
        }
      }
      throw new ApiError(0, 'STREAM_ENDED', 'the event stream ended without a final event');
    } catch (err) {
      throw this.failure(err, deadline);
    } finally {
      deadline.clear();
    }
  }

  /**
   * A one-time link that signs the console in with this client's token (`POST /v1/console/links`):
   * the code is in the fragment, so it reaches no server log and no Referer.
   */
  async consoleLink(): Promise<{ link: string; expiresAt: string }> {
    type Issued = { code: string; expiresAt: string };
    const { body } = await this.request<Issued>('POST', '/v1/console/links');
    return { link: `${this.target.url.replace(/\/+$/, '')}/console/#/login?code=${body.code}`, expiresAt: body.expiresAt };
  }

  /**
   * Uploads a bundle. `onProgress(sentBytes, total)` is called as the body streams out.
   */
  async deploy(archive: Buffer, hash: string, q: DeployQuery = {}, onProgress?: (sent: number, total: number) => void) {
    const params = new URLSearchParams();
    if (q.promote === false) params.set('promote', 'false');
    if (q.canary !== undefined) params.set('canary', String(q.canary));
    if (q.shadow !== undefined) params.set('shadow', String(q.shadow));
    if (q.namespace !== undefined) params.set('namespace', q.namespace);
    if (q.rollout !== undefined) params.set('rollout', String(q.rollout));
    if (q.rolloutSteps) params.set('rolloutSteps', q.rolloutSteps.join(','));
    if (q.rolloutInterval !== undefined) params.set('rolloutInterval', q.rolloutInterval);
    if (q.rolloutMinCalls !== undefined) params.set('rolloutMinCalls', String(q.rolloutMinCalls));
    if (q.shadowFirst !== undefined) params.set('shadowFirst', String(q.shadowFirst));
    const chunk = 64 * 1024;
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent >= archive.length) {
          ctrl.close();
          return;
        }
        const part = archive.subarray(sent, Math.min(sent + chunk, archive.length));
        sent += part.length;
        ctrl.enqueue(part);
        onProgress?.(sent, archive.length);
      },
    });
    const qs = params.size ? `?${params}` : '';
    return this.request('POST', `/v1/functions${qs}`, {
      raw: stream,
      duplex: true,
      holdMs: DEPLOY_HOLD_MS,
      headers: { 'content-type': 'application/gzip', 'x-bundle-sha256': hash, 'content-length': String(archive.length) },
    });
  }
}
