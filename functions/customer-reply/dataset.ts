import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INTENTS, type Intent } from './intents.ts';
import { Rng } from '../sdk/index.ts';

/** One labelled customer message from `data/intents/<intent>.json`. */
export interface Example {
  text: string;
  intent: Intent;
  lang: 'zh' | 'en';
}

/** Reads the committed dataset (written for this project; see data/README.md). */
export function loadExamples(dir: string): Example[] {
  const out: Example[] = [];
  for (const intent of INTENTS) {
    const file = JSON.parse(readFileSync(join(dir, 'data', 'intents', `${intent}.json`), 'utf8')) as { intent: string; zh: string[]; en: string[] };
    if (file.intent !== intent) throw new Error(`data/intents/${intent}.json says intent ${file.intent}`);
    for (const lang of ['zh', 'en'] as const) for (const text of file[lang]) out.push({ text, intent, lang });
  }
  return out;
}

/**
 * A seeded, stratified split: from every (intent, language) group, `testShare` of the examples
 * (rounded) go to the held-out set. The same seed always gives the same split.
 */
export function splitExamples(all: readonly Example[], seed: number, testShare: number): { train: Example[]; test: Example[] } {
  const rng = new Rng(seed);
  const train: Example[] = [];
  const test: Example[] = [];
  for (const intent of INTENTS) {
    for (const lang of ['zh', 'en'] as const) {
      const group = rng.shuffle(all.filter((e) => e.intent === intent && e.lang === lang));
      const n = Math.round(group.length * testShare);
      test.push(...group.slice(0, n));
      train.push(...group.slice(n));
    }
  }
  return { train, test };
}
