import { readFile } from 'node:fs/promises';
import type { HeadAnchor, HeadAnchors } from './head-anchors.ts';
import { HEAD_TYPE } from './head-sink.ts';

/**
 * The heads an audit sink received, read back from what it kept (a syslog file, a SIEM export):
 * one per line, the JSON object the router sent, after whatever the sink put in front of it.
 * Other lines are skipped. Per chain the furthest head counts; two different heads at one seq
 * mean one was forged, and the chain gets the first, so verify reports the mismatch.
 */
export function parseSinkedHeads(text: string): Map<string, HeadAnchor> {
  const out = new Map<string, HeadAnchor>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('{"type":"' + HEAD_TYPE + '"');
    if (at < 0) continue;
    let h: { chain?: unknown; seq?: unknown; hash?: unknown; kid?: unknown; at?: unknown };
    try {
      h = JSON.parse(line.slice(at));
    } catch {
      continue;
    }
    if (typeof h.chain !== 'string' || !Number.isSafeInteger(h.seq) || typeof h.hash !== 'string') continue;
    const cur = out.get(h.chain);
    if (cur && cur.seq >= (h.seq as number)) continue;
    out.set(h.chain, { seq: h.seq as number, hash: h.hash, ...(typeof h.kid === 'string' ? { kid: h.kid } : {}), ...(typeof h.at === 'string' ? { at: h.at } : {}) });
  }
  return out;
}

/** The heads in file `path` (see {@link parseSinkedHeads}), as anchors an offline verify checks the files against. Read-only. */
export async function sinkedHeadsFile(path: string): Promise<HeadAnchors> {
  const heads = parseSinkedHeads(await readFile(path, 'utf8'));
  const readOnly = () => Promise.reject(new Error('heads read back from a sink are read-only'));
  return { all: async () => new Map(heads), get: async (chain) => heads.get(chain), advance: readOnly, adopt: readOnly };
}
