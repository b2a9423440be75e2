import type { FunctionState, ResultCache } from '../../queue/cluster/index.ts';
import type { Labels, MetricFamily } from './exposition.ts';
import { gauge } from './instruments.ts';

/**
 * `autoglm_result_cache_entries{function}`: the live answers kept for each function one of whose
 * versions declares `cache`, read at scrape time from the function's index (one pipelined ZCOUNT
 * per such function). Hits and misses are counters of each router (`RouterMetrics`).
 */
export async function resultCacheFamilies(states: readonly FunctionState[], cache: Pick<ResultCache, 'entries'>): Promise<MetricFamily[]> {
  const caching = states.filter((s) => Object.values(s.versions).some((v) => v.manifest.cache)).sort((a, b) => a.name.localeCompare(b.name));
  const counts = await cache.entries(caching.map((s) => ({ namespace: s.namespace, name: s.name })));
  const rows: [Labels, number][] = caching.map((s) => [{ function: s.name }, counts.get(s.name) ?? 0]);
  return [gauge('autoglm_result_cache_entries', "Answers kept in a function's result cache (manifest `cache`), not yet expired; bounded by its maxEntries and maxBytes.", rows)];
}
