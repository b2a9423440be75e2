/**
 * The skeleton worker's model process (`BENCH_SKELETON_MODEL=child` or `echo-child`): answers each
 * batch it is sent as JSON text by IPC, scored by risk-scoring or (`echo-child`) echoed.
 * Exits with its worker.
 */
import { loadRiskScoring, type ScoreBatch } from './risk-model.ts';

const score: ScoreBatch = process.env.BENCH_SKELETON_MODEL === 'echo-child' ? async (inputs) => inputs.map((input) => ({ echo: input })) : await loadRiskScoring();
process.on('disconnect', () => process.exit(0));
process.on('message', (m: { id: number; json: string }) => {
  void score(JSON.parse(m.json) as unknown[]).then((results) => process.send!({ id: m.id, results }));
});
process.send!({ ready: true });
