import { generateSequences } from '../generate-data.ts';
import { parseRiskInput } from '../validate-input.ts';
import { rawFeatures, computeNormStats } from '../features.ts';
let t = performance.now();
const d = generateSequences({ count: 12000, seed: 101 });
console.log('gen ms', performance.now() - t);
let bad = 0; const raws = [];
for (const s of d) { const r = parseRiskInput(s.input); if (r instanceof Error) { bad++; if (bad < 5) console.log(r.field, r.message, JSON.stringify(s.input).slice(0, 300)); } else raws.push(rawFeatures(r)); }
console.log('bad', bad, 'fraud', d.filter(x => x.label).length);
console.log(computeNormStats(raws));
const f = d.find(x => x.pattern === 'test_then_large')!;
console.log(JSON.stringify(f.input.transactions.slice(-6), null, 0));
const n = d.find(x => x.pattern === 'night_cnp_run')!;
console.log(JSON.stringify(n.input.transactions.slice(-6), null, 0));
console.log(JSON.stringify(d[0]!.input.transactions.slice(-6), null, 0));
