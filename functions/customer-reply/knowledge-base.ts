import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { documentsOf, type KnowledgeDocument } from '../sdk/index.ts';
import type { Intent } from './intents.ts';
import type { Language } from './language.ts';
import { textTokens } from './text-features.ts';

type Bilingual = Record<Language, string>;

/** One policy passage: two documents of the `store-policies` collection, one per language. */
export interface Passage {
  id: string;
  /** Intents this passage answers; retrieval favours them. */
  intents: Intent[];
  title: Bilingual;
  /** How customers ask about it ("几点上班", "opening hours"): indexed with the text, never shown. */
  keywords: Bilingual;
  /** The full policy text (retrieval and the generator prompt). */
  text: Bilingual;
  /** One sentence a template reply quotes. */
  cite: Bilingual;
}

export interface KnowledgeBase {
  company: Bilingual;
  passages: Passage[];
}

/** A retrieved passage and how well it matched. */
export interface Retrieved {
  passage: Passage;
  /** Cosine similarity plus the intent bonus. */
  score: number;
}

/** A passage as {@link PolicyRetriever.rank} scored it. */
export interface Ranked extends Retrieved {
  /** Cosine similarity of the query and the passage alone. */
  cos: number;
  /** Whether the passage is tagged with the predicted intent. */
  tagged: boolean;
}

/** Retrieval settings. */
export const RETRIEVAL = {
  /** Character n-gram range for TF-IDF (unigrams are too common to be useful); whole Latin words are terms too. */
  minN: 2,
  maxN: 3,
  /** Added to the cosine when the passage is tagged with the predicted intent. */
  intentBonus: 0.25,
  /**
   * A passage not tagged with the predicted intent is used only when the message's own words
   * match it this well (cosine), by language: the lowest value at which none of the dataset's
   * `other` messages without a policy (greetings, thanks, chit-chat, enquiries no passage covers)
   * gets one (`npx tsx functions/customer-reply/retrieval-report.ts`, labels in
   * `data/retrieval/`). Chinese: their highest is 0.151 ("有没有优惠券"); 14 of the 38 answerable
   * ones reach 0.16, all with the right policy. English n-grams are noisier: the highest is 0.275
   * ("I typed the wrong address, can I change it?" on wrong items), chit-chat reaches 0.264
   * ("My neighbour's dog won't stop barking." on marked-delivered); 9 of 37 answerable ones reach
   * 0.28. The old single 0.12 let 17 of 169 Chinese and 159 of 188 English ones through. A missing
   * policy costs a short "how can I help?" reply; a wrong one tells the customer something untrue.
   */
  minCosine: { zh: 0.16, en: 0.28 } satisfies Record<Language, number>,
  /** A second passage is used only when the message itself matches it this well (cosine alone). */
  secondMinCosine: 0.25,
} as const;

/** The collection customer-reply reads (manifest `knowledge`); its files ship in `knowledge/store-policies/`, which `npm start` installs. */
export const POLICY_COLLECTION = 'store-policies';

const LANGUAGES: readonly Language[] = ['en', 'zh'];

/** A document's text without its leading `# Title` line: the title is the document's own. */
const bodyOf = (d: KnowledgeDocument) => d.text.replace(/^#\s+.*(\r?\n)+/, '').trim();

/**
 * The knowledge base from the collection's documents: `company` (its metadata holds the name per
 * language), and per passage one Markdown document per language whose front matter says which
 * passage and language, the intents it answers, the words customers ask it with, and the sentence
 * a template reply cites. A passage lacking a language is refused: every reply has both.
 */
export function knowledgeBaseFrom(documents: readonly KnowledgeDocument[]): KnowledgeBase {
  const company = documents.find((d) => d.id === 'company')?.metadata as Bilingual | undefined;
  if (!company || LANGUAGES.some((l) => typeof company[l] !== 'string')) throw new Error(`${POLICY_COLLECTION}: a 'company' document whose metadata names the company in ${LANGUAGES.join(' and ')}`);
  const byPassage = new Map<string, Partial<Record<Language, KnowledgeDocument>>>();
  for (const d of documents) {
    const id = d.metadata.passage;
    if (typeof id !== 'string') continue;
    const lang = d.metadata.language as Language;
    if (!LANGUAGES.includes(lang)) throw new Error(`${d.id}: language must be one of ${LANGUAGES.join(', ')}`);
    byPassage.set(id, { ...byPassage.get(id), [lang]: d });
  }
  const passages = [...byPassage].map(([id, docs]): Passage => {
    const both = LANGUAGES.map((l) => docs[l] ?? (() => { throw new Error(`${POLICY_COLLECTION}: passage '${id}' has no ${l} document`); })());
    const per = (f: (d: KnowledgeDocument) => string) => Object.fromEntries(LANGUAGES.map((l, i) => [l, f(both[i]!)])) as Bilingual;
    return { id, intents: both[0]!.metadata.intents as Intent[], title: per((d) => d.title), keywords: per((d) => String(d.metadata.keywords ?? '')), text: per(bodyOf), cite: per((d) => String(d.metadata.cite ?? '')) };
  });
  return { company, passages };
}

/** The knowledge base as the folder ships it (offline scripts, tests, and a load given no collection). */
export async function loadKnowledgeBase(dir: string): Promise<KnowledgeBase> {
  const folder = join(dir, 'knowledge', POLICY_COLLECTION);
  const names = (await readdir(folder)).sort();
  return knowledgeBaseFrom(documentsOf(await Promise.all(names.map(async (path) => ({ path, data: await readFile(join(folder, path)) })))));
}

type Vector = Map<string, number>;

function termCounts(text: string): Map<string, number> {
  const tf = new Map<string, number>();
  for (const g of textTokens(text, { dim: 0, minN: RETRIEVAL.minN, maxN: RETRIEVAL.maxN, words: true })) tf.set(g, (tf.get(g) ?? 0) + 1);
  return tf;
}

function weigh(tf: Map<string, number>, idf: Map<string, number>): Vector {
  const v: Vector = new Map();
  let norm = 0;
  for (const [g, c] of tf) {
    const w = (1 + Math.log(c)) * (idf.get(g) ?? 0);
    if (w > 0) {
      v.set(g, w);
      norm += w * w;
    }
  }
  const s = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (const [g, w] of v) v.set(g, w * s);
  return v;
}

/**
 * Character n-gram TF-IDF over the policy passages, one index per language, with a bonus for
 * passages tagged with the predicted intent so a terse message still finds its policy.
 */
export class PolicyRetriever {
  private readonly index: Record<Language, { idf: Map<string, number>; docs: Vector[] }>;

  constructor(readonly kb: KnowledgeBase) {
    this.index = { zh: this.build('zh'), en: this.build('en') };
  }

  private build(lang: Language) {
    const counts = this.kb.passages.map((p) => termCounts(`${p.title[lang]} ${p.keywords[lang]} ${p.text[lang]}`));
    const df = new Map<string, number>();
    for (const tf of counts) for (const g of tf.keys()) df.set(g, (df.get(g) ?? 0) + 1);
    const n = counts.length;
    const idf = new Map([...df].map(([g, d]) => [g, Math.log((1 + n) / (1 + d)) + 1]));
    return { idf, docs: counts.map((tf) => weigh(tf, idf)) };
  }

  /** Every passage for `query` in `lang`, best score first, with its cosine and score. */
  rank(query: string, lang: Language, intent: Intent): Ranked[] {
    const { idf, docs } = this.index[lang];
    const q = weigh(termCounts(query), idf);
    return this.kb.passages
      .map((passage, i) => {
        let cos = 0;
        for (const [g, w] of q) cos += w * (docs[i]!.get(g) ?? 0);
        const tagged = passage.intents.includes(intent);
        return { passage, cos, tagged, score: cos + (tagged ? RETRIEVAL.intentBonus : 0) };
      })
      .sort((a, b) => b.score - a.score);
  }

  /**
   * The passages for `query` in `lang`, best first: at most two, none when nothing is relevant.
   * A passage is relevant when it is tagged with `intent` (a terse "退款怎么弄" still finds the
   * refund policy) or the query's words match it ({@link RETRIEVAL.minCosine}): so "Thanks,
   * that's all I needed!" (intent `other`, which no passage is tagged with) gets none. A second
   * one must also match the words of the query by itself, so an intent tag alone never drags in
   * a second, off-topic policy.
   */
  search(query: string, lang: Language, intent: Intent): Retrieved[] {
    const relevant = this.rank(query, lang, intent).filter((r) => r.tagged || r.cos >= RETRIEVAL.minCosine[lang]);
    const [first, ...rest] = relevant;
    if (!first) return [];
    const second = rest.find((r) => r.cos >= RETRIEVAL.secondMinCosine);
    return [first, ...(second ? [second] : [])].map(({ passage, score }) => ({ passage, score }));
  }
}
