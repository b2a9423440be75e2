import { PolicyRetriever, loadKnowledgeBase, RETRIEVAL } from '../knowledge-base.ts';
const kb = await loadKnowledgeBase(new URL('..', import.meta.url).pathname);
const r = new PolicyRetriever(kb);
(RETRIEVAL as any).minScore = 0; 
for (const q of ['你们几点上班？', '客服几点上班', '寄到香港要多久？', 'What are your opening hours?', 'Do you ship to Canada?', '能开发票吗', 'How do I use my points?']) console.log(q, JSON.stringify(r.search(q, /[a-z]/i.test(q) ? 'en' : 'zh', 'other').map((x) => [x.passage.id, x.score.toFixed(3)])));
