import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INTENTS, isIntent, type Intent } from './intents.ts';
import { Rng } from '../sdk/index.ts';

/** One labelled customer message. */
export interface Example {
  /** Where it sits: `<intent>/<lang>/<index>` in `data/intents/`, `test/<index>` in the test split. */
  id: string;
  text: string;
  intent: Intent;
  lang: 'zh' | 'en';
}

/** The training dataset's files (relative to the function folder), in a fixed order. */
export const DATASET_FILES: readonly string[] = INTENTS.map((intent) => `data/intents/${intent}.json`);
/** The untouched test split: written after the model and never used to tune it; train.ts never reads it. */
export const TEST_SPLIT_FILE = 'data/test/messages.json';

/** Reads the committed dataset (written for this project; see data/README.md). */
export function loadExamples(dir: string): Example[] {
  const out: Example[] = [];
  INTENTS.forEach((intent, i) => {
    const file = JSON.parse(readFileSync(join(dir, DATASET_FILES[i]!), 'utf8')) as { intent: string; zh: string[]; en: string[] };
    if (file.intent !== intent) throw new Error(`${DATASET_FILES[i]} says intent ${file.intent}`);
    for (const lang of ['zh', 'en'] as const) file[lang].forEach((text, k) => out.push({ id: `${intent}/${lang}/${k}`, text, intent, lang }));
  });
  return out;
}

/** Reads the test split, checking every label. */
export function loadTestSplit(dir: string): Example[] {
  const file = JSON.parse(readFileSync(join(dir, TEST_SPLIT_FILE), 'utf8')) as { examples: Omit<Example, 'id'>[] };
  return file.examples.map((e, k) => {
    if (!isIntent(e.intent) || (e.lang !== 'zh' && e.lang !== 'en')) throw new Error(`${TEST_SPLIT_FILE}: example ${k} has intent ${e.intent}, lang ${e.lang}`);
    return { id: `test/${k}`, text: e.text, intent: e.intent, lang: e.lang };
  });
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

/** Hashes of the data a model was trained and evaluated on, as `model-meta.json` records them. */
export interface DataHashes {
  /** sha256 of `sha256sum`'s output for the dataset files by name: `sha256sum data/intents/*.json | sha256sum`. */
  sha256: string;
  /** sha256 of each dataset file. */
  files: Record<string, string>;
  /** sha256 of {@link TEST_SPLIT_FILE}. */
  testSplitSha256: string;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** The hashes of the data files in `dir` as they are now. */
export function hashData(dir: string): DataHashes {
  const names = [...DATASET_FILES].sort();
  const files = Object.fromEntries(names.map((f) => [f, sha256(readFileSync(join(dir, f)))]));
  return {
    sha256: sha256(names.map((f) => `${files[f]}  ${f}\n`).join('')),
    files,
    testSplitSha256: sha256(readFileSync(join(dir, TEST_SPLIT_FILE))),
  };
}
