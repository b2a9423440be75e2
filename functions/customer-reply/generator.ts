import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readChatStream } from './chat-stream.ts';

/**
 * Settings for the optional LLM generator, read by `load` from `generator.json` in the function
 * folder. No file, no generator: replies come from the templates. Example:
 *
 * ```json
 * { "baseUrl": "http://glm.internal:8000/v1", "model": "glm-4-9b-chat", "timeout": 8000 }
 * ```
 */
export interface GeneratorConfig {
  /** OpenAI-compatible base URL including the version path; `/chat/completions` is appended. */
  baseUrl: string;
  /** Model name sent in the request. */
  model: string;
  /** Milliseconds to wait for an answer before falling back to the template. Default 8000. */
  timeoutMs: number;
  /** `max_tokens` for the completion. Default 512. */
  maxTokens: number;
  /** Sent as `Authorization: Bearer …` when set; read from `apiKeyFile` so no secret sits in the bundle. */
  apiKey?: string;
}

export const GENERATOR_FILE = 'generator.json';

/** Checks a raw config object, reporting every bad key at once. */
export function parseGeneratorConfig(raw: unknown): { ok: true; config: Omit<GeneratorConfig, 'apiKey'> & { apiKeyFile?: string } } | { ok: false; errors: string[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, errors: ['must be a JSON object'] };
  const r = raw as Record<string, unknown>;
  const errors: string[] = [];
  const known = new Set(['baseUrl', 'model', 'timeoutMs', 'maxTokens', 'apiKeyFile']);
  for (const k of Object.keys(r)) if (!known.has(k)) errors.push(`${k}: unknown key (expected ${[...known].join(', ')})`);
  let baseUrl = '';
  try {
    const u = new URL(String(r.baseUrl));
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    baseUrl = u.href.replace(/\/+$/, '');
  } catch {
    errors.push('baseUrl: expected an http(s) URL such as http://glm.internal:8000/v1');
  }
  if (typeof r.model !== 'string' || r.model === '') errors.push('model: expected a model name');
  const int = (key: string, def: number, min: number, max: number) => {
    const v = r[key];
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) errors.push(`${key}: expected a whole number from ${min} to ${max}`);
    return v as number;
  };
  const timeoutMs = int('timeoutMs', 8000, 50, 120_000);
  const maxTokens = int('maxTokens', 512, 16, 8192);
  if (r.apiKeyFile !== undefined && (typeof r.apiKeyFile !== 'string' || r.apiKeyFile === '')) errors.push('apiKeyFile: expected a file path');
  if (errors.length > 0) return { ok: false, errors };
  const config: Omit<GeneratorConfig, 'apiKey'> & { apiKeyFile?: string } = { baseUrl, model: r.model as string, timeoutMs, maxTokens };
  if (r.apiKeyFile !== undefined) config.apiKeyFile = r.apiKeyFile as string;
  return { ok: true, config };
}

/** Reads `generator.json` from `dir`; undefined when there is none. Throws, naming every bad key, when it is invalid. */
export async function readGeneratorConfig(dir: string): Promise<GeneratorConfig | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, GENERATOR_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = parseGeneratorConfig(JSON.parse(text));
  if (!parsed.ok) throw new Error(`${GENERATOR_FILE}: ${parsed.errors.join('; ')}`);
  const { apiKeyFile, ...config } = parsed.config;
  return apiKeyFile === undefined ? config : { ...config, apiKey: (await readFile(apiKeyFile, 'utf8')).trim() };
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A generated reply, or why there is none. */
export type GenerateResult = { ok: true; text: string; model: string } | { ok: false; reason: string };

/**
 * A client for an OpenAI-compatible `POST /chat/completions` endpoint. It never throws: every
 * failure (timeout, HTTP error, network error, malformed answer) comes back as a reason, so the
 * caller can fall back to its template and say why.
 */
export class ChatGenerator {
  constructor(
    readonly config: GeneratorConfig,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /**
   * Asks for a reply. With `onText`, asks the server to stream (`stream: true`) and hands on each
   * piece of text as it arrives; a server that answers in one piece anyway is read as one. A
   * stream that breaks off is a failure like any other (the pieces already handed on stay sent).
   */
  async generate(messages: ChatMessage[], opts: { temperature: number; signal?: AbortSignal; timeoutMs?: number; onText?: (text: string) => void }): Promise<GenerateResult> {
    const timeoutMs = Math.max(1, Math.min(opts.timeoutMs ?? this.config.timeoutMs, this.config.timeoutMs));
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    let res: Response;
    let body: unknown;
    try {
      res = await this.fetchImpl(`${this.config.baseUrl}/chat/completions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: this.config.model, messages, temperature: opts.temperature, max_tokens: this.config.maxTokens, stream: opts.onText !== undefined }),
        signal,
      });
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: false, reason: `generator answered HTTP ${res.status}` };
      }
      if (opts.onText && res.body && res.headers.get('content-type')?.startsWith('text/event-stream')) {
        let text = '';
        const { model } = await readChatStream(res.body, (piece) => {
          text += piece;
          opts.onText!(piece);
        });
        body = { model, choices: [{ message: { content: text } }] };
      } else body = await res.json();
    } catch (err) {
      if (timeout.aborted) return { ok: false, reason: `generator timed out after ${timeoutMs} ms` };
      if (opts.signal?.aborted) return { ok: false, reason: 'call cancelled before the generator answered' };
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { ok: false, reason: `generator unreachable: ${cause ?? (err as Error).message}` };
    }
    const choice = (body as { choices?: { message?: { content?: unknown } }[] }).choices?.[0];
    const text = choice?.message?.content;
    if (typeof text !== 'string' || text.trim() === '') return { ok: false, reason: 'generator returned no reply text' };
    const model = (body as { model?: unknown }).model;
    return { ok: true, text: text.trim(), model: typeof model === 'string' ? model : this.config.model };
  }
}
