import type { KnowledgeCollection } from '../functions/sdk/index.ts';

/**
 * Most text one `knowledge` message carries to an inference thread or sandbox, in characters.
 * A collection may hold megabytes; over a sandbox's IPC channel (V8-serialized) one 16 MiB message
 * took ~1 s to cross on the 2-core build machine, the same in 1 MiB messages ~70 ms (2026-12-06).
 */
export const PART_CHARS = 1024 * 1024;

/** What a document weighs in a message, about: its strings, and its metadata as JSON. */
const weight = (d: KnowledgeCollection['documents'][number]): number => d.id.length + d.title.length + d.text.length + JSON.stringify(d.metadata).length;

/**
 * A version's collections cut into messages of about `maxChars` each (a document larger than
 * that goes alone): each part holds slices of collections, in order, and every collection is in
 * at least one part, even one without documents. {@link joinKnowledge} puts them back together.
 */
export function knowledgeParts(all: Readonly<Record<string, KnowledgeCollection>>, maxChars = PART_CHARS): KnowledgeCollection[][] {
  const parts: KnowledgeCollection[][] = [];
  let part: KnowledgeCollection[] = [];
  let size = 0;
  for (const c of Object.values(all)) {
    let slice: KnowledgeCollection = { name: c.name, version: c.version, documents: [] };
    part.push(slice);
    for (const d of c.documents) {
      const w = weight(d);
      if (size > 0 && size + w > maxChars) {
        // A slice still empty moves to the next part rather than cross empty.
        if (slice.documents.length === 0) part.pop();
        parts.push(part);
        slice = { name: c.name, version: c.version, documents: [] };
        part = [slice];
        size = 0;
      }
      slice.documents.push(d);
      size += w;
    }
  }
  parts.push(part);
  return parts;
}

/** The collections {@link knowledgeParts} cut, by name, as they were. */
export function joinKnowledge(parts: readonly KnowledgeCollection[][]): Record<string, KnowledgeCollection> {
  const out: Record<string, KnowledgeCollection> = {};
  for (const part of parts) {
    for (const slice of part) {
      const c = (out[slice.name] ??= { name: slice.name, version: slice.version, documents: [] });
      for (const d of slice.documents) c.documents.push(d);
    }
  }
  return out;
}
