/**
 * The evidence for the retrieval thresholds, from the dataset (never the test split):
 *
 *   npx tsx functions/customer-reply/retrieval-report.ts
 *
 * {@link RETRIEVAL.minCosine}: how well the cosine tells `other` messages that a policy answers
 * from those none does (greetings, thanks, chit-chat, enquiries the knowledge base does not
 * cover), by language, with the labels in `data/retrieval/other-policies.json`. The intent is
 * `other`, which no passage is tagged with, so a passage is used on its cosine alone.
 *
 * {@link MIN_INTENT_CONFIDENCE}: how often the committed classifier is right on the
 * held-out split when it predicts a policy intent below and above that confidence.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { join } from 'node:path';
import { loadExamples } from './dataset.ts';
import { FUNCTION_DIR, loadSplits } from './evaluate.ts';
import { MIN_INTENT_CONFIDENCE, classify, loadIntentModel } from './intent-model.ts';
import { PolicyRetriever, RETRIEVAL, loadKnowledgeBase } from './knowledge-base.ts';
import type { Language } from './language.ts';

interface Labels {
  answers: Record<string, string[]>;
  unclear: string[];
}

/** One `other` message: its best passage by cosine, and the passage that answers it, if any. */
interface Scored {
  text: string;
  lang: Language;
  cos: number;
  top: string;
  answer?: string;
}

const THRESHOLDS = [0.12, 0.14, 0.16, 0.18, 0.2, 0.22, 0.24, 0.26, 0.28, 0.3];

function quantiles(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return [0.1, 0.5, 0.9, 1].map((q) => `p${q * 100} ${s[Math.floor(q * (s.length - 1))]!.toFixed(3)}`).join(', ');
}

export async function scoreOtherMessages(dir = FUNCTION_DIR): Promise<Scored[]> {
  const labels = JSON.parse(readFileSync(join(dir, 'data', 'retrieval', 'other-policies.json'), 'utf8')) as Labels;
  const answerOf = new Map(Object.entries(labels.answers).flatMap(([id, texts]) => texts.map((t) => [t, id] as const)));
  const unclear = new Set(labels.unclear);
  const retriever = new PolicyRetriever(await loadKnowledgeBase(dir));
  return loadExamples(dir)
    .filter((e) => e.intent === 'other' && !unclear.has(e.text))
    .map((e) => {
      const best = retriever.rank(e.text, e.lang, 'other').sort((a, b) => b.cos - a.cos)[0]!;
      return { text: e.text, lang: e.lang, cos: best.cos, top: best.passage.id, answer: answerOf.get(e.text) };
    });
}

async function main(): Promise<void> {
  const scored = await scoreOtherMessages();
  for (const lang of ['zh', 'en'] as const) {
    const answerable = scored.filter((s) => s.lang === lang && s.answer);
    const none = scored.filter((s) => s.lang === lang && !s.answer);
    console.log(`\n${lang}: ${answerable.length} messages a policy answers, ${none.length} none does; current threshold ${RETRIEVAL.minCosine[lang]}`);
    console.log(`  best cosine, answerable: ${quantiles(answerable.map((s) => s.cos))}`);
    console.log(`  best cosine, no policy:  ${quantiles(none.map((s) => s.cos))}`);
    console.log('  threshold | answerable: right policy / wrong policy | no policy: a policy leaks in');
    for (const t of THRESHOLDS) {
      const kept = answerable.filter((s) => s.cos >= t);
      const right = kept.filter((s) => s.top === s.answer).length;
      console.log(`  ${t.toFixed(2)}      | ${right} / ${kept.length - right} of ${answerable.length} | ${none.filter((s) => s.cos >= t).length} of ${none.length}`);
    }
    for (const s of none.filter((n) => n.cos >= RETRIEVAL.minCosine[lang]).sort((a, b) => b.cos - a.cos)) {
      console.log(`  leaks at ${RETRIEVAL.minCosine[lang]}: ${s.cos.toFixed(3)} ${s.top} ← ${s.text}`);
    }
  }
}

/** Held-out predictions of a policy intent (not `other`), below and at/above each confidence. */
async function confidenceTable(dir = FUNCTION_DIR): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  const { heldOut } = loadSplits(dir);
  const im = await loadIntentModel(dir);
  const preds = await classify(im, heldOut.map((e) => e.text));
  im.model.dispose();
  const policy = heldOut.flatMap((e, i) => (preds[i]!.intent === 'other' ? [] : [{ right: preds[i]!.intent === e.intent, conf: preds[i]!.confidence }]));
  const right = (xs: typeof policy) => `${xs.filter((x) => x.right).length} of ${xs.length} right`;
  console.log(`\nheld-out predictions of a policy intent: ${policy.length}; current minimum confidence ${MIN_INTENT_CONFIDENCE}`);
  for (const c of [0.3, 0.4, 0.5, 0.6, 0.7]) {
    console.log(`  ${c.toFixed(1)}: below ${right(policy.filter((x) => x.conf < c))}; at or above ${right(policy.filter((x) => x.conf >= c))}`);
  }
}

await main();
await confidenceTable();
