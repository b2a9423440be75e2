import { describe, expect, it } from 'vitest';
import type { KnowledgeCollection } from '../functions/sdk/index.ts';
import { joinKnowledge, knowledgeParts } from './knowledge-parts.ts';

const doc = (id: string, chars: number) => ({ id, title: '', text: 'x'.repeat(chars), metadata: {} });
const collection = (name: string, docs: KnowledgeCollection['documents']): KnowledgeCollection => ({ name, version: `${name}-v1`, documents: docs });

describe('knowledgeParts', () => {
  it('cuts collections into messages of about the limit, and joinKnowledge puts them back as they were', () => {
    // Each document weighs its id + text + "{}" (2).
    const all = {
      policies: collection('policies', [doc('a', 38), doc('b', 38), doc('c', 38)]),
      empty: collection('empty', []),
      faq: collection('faq', [doc('d', 200), doc('e', 10)]),
    };
    const parts = knowledgeParts(all, 100);
    // a+b fit in 100; c starts the next, with the empty collection; d is larger than a part, so alone; e after it.
    expect(parts.map((p) => p.map((s) => `${s.name}:${s.documents.map((d) => d.id).join('')}`))).toEqual([['policies:ab'], ['policies:c', 'empty:'], ['faq:d'], ['faq:e']]);
    expect(joinKnowledge(parts)).toEqual(all);
    expect(Object.keys(joinKnowledge(parts))).toEqual(['policies', 'empty', 'faq']);
  });

  it('sends nothing but one empty part for no collection', () => {
    expect(knowledgeParts({})).toEqual([[]]);
    expect(joinKnowledge(knowledgeParts({}))).toEqual({});
  });
});
