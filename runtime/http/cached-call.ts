import type { Context } from 'hono';
import type { DoneMessage } from '../../queue/jobs/index.ts';
import type { CacheLookup, CachedAnswer, CachedResult, ResultCache } from '../../queue/cluster/index.ts';
import { canonicalJson } from '../audit/index.ts';
import type { Resolved } from '../registry/catalog-mirror.ts';
import type { AppDeps, AppEnv } from './app-deps.ts';

/** The router's result cache as the invoke route and the metrics use it. */
export type ResultCacheDeps = Pick<ResultCache, 'lookup' | 'store' | 'entries'>;

/**
 * Looks a synchronous call up in the result cache when its version declares `cache`, and says
 * which it was (`X-Cache: hit|miss`); undefined when the version declares none, the router runs
 * without the cache, or Redis did not answer the lookup (the call then runs as any other: the
 * cache may make calls faster, never fail them).
 */
export async function lookupCached(deps: AppDeps, c: Context<AppEnv>, rec: Resolved['rec'], input: unknown): Promise<CacheLookup | undefined> {
  if (!deps.resultCache || !rec.manifest.cache) return undefined;
  // The request's own say, as HTTP caches take it: `no-store` neither reads nor keeps,
  // `no-cache` runs the call and keeps its fresh answer.
  const asked = cacheControl(c.req.header('cache-control'));
  if (asked.has('no-store')) {
    c.header('x-cache', 'bypass');
    return undefined;
  }
  const call = { namespace: rec.namespace, function: rec.name, version: rec.version, input: canonicalJson(input ?? null), secrets: rec.manifest.secrets, knowledge: rec.manifest.knowledge };
  try {
    const { hit, ...found } = await deps.resultCache.lookup(call);
    const served = hit && !asked.has('no-cache');
    c.header('x-cache', served ? 'hit' : 'miss');
    return served ? { ...found, hit } : found;
  } catch (err) {
    deps.log.warn('result cache lookup failed; the call runs', { function: rec.name, err });
    return undefined;
  }
}

/** The directives of a `Cache-Control` header, lower-cased and without their values. */
function cacheControl(header: string | undefined): Set<string> {
  if (!header) return NO_DIRECTIVES;
  return new Set(header.split(',').map((d) => d.split('=', 1)[0]!.trim().toLowerCase()));
}
const NO_DIRECTIVES: Set<string> = new Set();

/** The answer of a hit: the kept output, named by the job that computed it, which ran for none of this call's time. */
export function cachedAnswer(hit: CachedAnswer, name: string, received: number) {
  return answerBody(hit.job, name, hit.result, { queuedMs: 0, runMs: 0, totalMs: Date.now() - received });
}

/** The body of a synchronous call's answer (run or kept): the output, where it ran, and how long each part took. */
export function answerBody(id: string, name: string, r: Omit<CachedResult, 'output'> & { output?: unknown }, timings: { queuedMs: number; runMs: number; totalMs: number }) {
  return {
    id,
    function: name,
    version: r.version,
    output: r.output,
    device: r.device,
    ...(r.backend ? { backend: r.backend } : {}),
    batchSize: r.batchSize,
    ...(r.knowledge ? { knowledge: r.knowledge } : {}),
    timings,
  };
}

/**
 * Keeps a miss's successful answer (an error is never kept), in the background: the caller has
 * its answer already, and a write that fails only costs a later hit. An answer of another version
 * than the one looked up (a reload between) is not kept under that version's name.
 */
export function keepAnswer(deps: AppDeps, rec: Resolved['rec'], lookup: CacheLookup, job: string, r: NonNullable<DoneMessage['result']>): void {
  const bounds = rec.manifest.cache;
  if (!deps.resultCache || !bounds || r.version !== rec.version) return;
  const result = { output: r.output, version: r.version, device: r.device, batchSize: r.batchSize, ...(r.backend ? { backend: r.backend } : {}), ...(r.knowledge ? { knowledge: r.knowledge } : {}) };
  deps.resultCache
    .store({ namespace: rec.namespace, function: rec.name }, lookup, { job, at: Date.now(), result }, { ttlMs: bounds.ttl, maxEntries: bounds.maxEntries, maxBytes: bounds.maxBytes }, r.timings.started)
    .catch((err: unknown) => deps.log.warn('could not keep an answer in the result cache', { function: rec.name, err }));
}
