import { defineFunction, type InvocationContext, type KnowledgeCollection } from '../sdk/index.ts';
import { sentences } from './chat-stream.ts';
import { composeReply } from './compose-reply.ts';
import { ChatGenerator, readGeneratorConfig, type GeneratorConfig } from './generator.ts';
import { MIN_INTENT_CONFIDENCE, classify, loadIntentModel, type IntentModel } from './intent-model.ts';
import type { Intent } from './intents.ts';
import { POLICY_COLLECTION, PolicyRetriever, knowledgeBaseFrom, loadKnowledgeBase } from './knowledge-base.ts';
import { detectLanguage, localeLanguage, type Language } from './language.ts';
import { buildPrompt } from './prompt.ts';
import { train } from './training.ts';
import { withMessageOrder } from './message-order.ts';
import { fnv1a } from './text-features.ts';
import { parseReplyInput, type ReplyInput, type ReplyRequest } from './validate-input.ts';

/** One drafted reply. */
export interface ReplyOutput {
  reply: string;
  /** The classifier's verdict; below {@link MIN_INTENT_CONFIDENCE} the reply is written as for `other`. */
  intent: Intent;
  /** Classifier probability of `intent`, 0–1. */
  confidence: number;
  language: Language;
  /** Policy passages the reply relies on, best first. */
  sources: { id: string; title: string; score: number }[];
  /** Whether the configured LLM wrote the reply; if not, why the template was used. */
  generator: { used: boolean; model?: string; fallbackReason?: string };
}

export interface ReplyState {
  model: IntentModel;
  retriever: PolicyRetriever;
  generator?: ChatGenerator;
}

/** Safety margin left before the platform's deadline so the template fallback still makes it. */
const DEADLINE_MARGIN_MS = 100;

/** A late parcel that the carrier marked delivered is a different policy; the query says so. */
const DELIVERED_HINT: Record<Language, string> = { en: 'tracking shows delivered but not received', zh: '显示已签收但未收到' };

/**
 * Loads the classifier, the policy knowledge base and, when `generator.json` exists in `dir`, the
 * generator client. `overrides.generator` replaces the file (tests point it at a local server;
 * `null` turns the generator off); `overrides.policies` is the `store-policies` collection.
 */
export async function loadCustomerReply(dir: string, overrides: { generator?: GeneratorConfig | null; policies?: KnowledgeCollection } = {}): Promise<ReplyState> {
  const genConfig = overrides.generator === undefined ? await readGeneratorConfig(dir) : (overrides.generator ?? undefined);
  // On the platform the policies are the namespace's collection (manifest `knowledge`): a new
  // version of it reloads this function with the new text, no deploy. Offline, the folder's files.
  const policies = overrides.policies;
  const [model, kb] = await Promise.all([loadIntentModel(dir), policies ? knowledgeBaseFrom(policies.documents) : loadKnowledgeBase(dir)]);
  const state: ReplyState = { model, retriever: new PolicyRetriever(kb) };
  if (genConfig) state.generator = new ChatGenerator(genConfig);
  return state;
}

/**
 * Drafts the reply to item `item` of the batch. A caller that streams gets it in parts
 * (`ctx.emit`): the generator's text as it arrives, or else the reply sentence by sentence.
 * If the generator breaks off after some text, that text was sent, and the final output (the
 * template) is what counts.
 */
async function replyTo(req: ReplyRequest, intent: Intent, confidence: number, state: ReplyState, ctx: InvocationContext, item: number): Promise<ReplyOutput> {
  const language = localeLanguage(req.locale) ?? detectLanguage(req.message);
  // An unsure intent is not acted on: no template apology, no policy chosen by its tag.
  const acted: Intent = confidence >= MIN_INTENT_CONFIDENCE ? intent : 'other';
  const hint = acted === 'delivery_delay' && req.context.order?.status === 'delivered' ? DELIVERED_HINT[language] : undefined;
  const found = state.retriever.search(hint ? `${req.message} ${hint}` : req.message, language, acted);
  const passages = found.map((r) => r.passage);
  const company = state.retriever.kb.company;
  const context = withMessageOrder(req);
  const draft = composeReply({ intent: acted, language, context, passages, temperature: req.temperature, seed: req.seed ?? fnv1a(req.message), company });
  const out: ReplyOutput = {
    reply: draft,
    intent,
    confidence: Math.round(confidence * 10_000) / 10_000,
    language,
    sources: found.map((r) => ({ id: r.passage.id, title: r.passage.title[language], score: Math.round(r.score * 1000) / 1000 })),
    generator: { used: false },
  };
  let streamed = false;
  if (!state.generator) {
    out.generator.fallbackReason = 'no generator configured';
  } else if (req.useGenerator === false) {
    out.generator.fallbackReason = 'generator not requested (useGenerator: false)';
  } else {
    const messages = buildPrompt({ message: req.message, language, intent, confidence, passages, context, company: company[language], draft });
    const left = Number.isFinite(ctx.deadline) ? ctx.deadline - Date.now() - DEADLINE_MARGIN_MS : Infinity;
    const onText = ctx.wantsChunks(item) ? (text: string) => ((streamed = true), ctx.emit(text, item)) : undefined;
    const res = await state.generator.generate(messages, { temperature: req.temperature, signal: ctx.signal, timeoutMs: left, ...(onText ? { onText } : {}) });
    if (res.ok) {
      out.reply = res.text;
      out.generator = { used: true, model: res.model };
    } else {
      out.generator.fallbackReason = res.reason;
    }
  }
  if (!streamed && ctx.wantsChunks(item)) for (const sentence of sentences(out.reply)) ctx.emit(sentence, item);
  return out;
}

/**
 * Customer-service reply drafting: classify the message (one model call per batch), retrieve the
 * policies that apply, and write the reply from templates, or through the configured
 * OpenAI-compatible generator with the templates as fallback.
 */
export default defineFunction<ReplyInput, ReplyOutput, ReplyState>({
  load: ({ dir, knowledge }) => loadCustomerReply(dir, knowledge[POLICY_COLLECTION] ? { policies: knowledge[POLICY_COLLECTION] } : {}),

  async handle(inputs, state, ctx) {
    const parsed = inputs.map(parseReplyInput);
    const valid = parsed.filter((p): p is ReplyRequest => !(p instanceof Error));
    const predictions = await classify(state.model, valid.map((r) => r.message));
    let next = 0;
    return Promise.all(
      parsed.map((p, item) => {
        if (p instanceof Error) return p;
        const pred = predictions[next++]!;
        return replyTo(p, pred.intent, pred.confidence, state, ctx, item);
      }),
    );
  },

  unload(state) {
    state.model.model.dispose();
  },

  // Retraining as a platform job (manifest `training`): `autoglm train customer-reply --data @data.jsonl`.
  train,
});
