import { generateSequences } from '../../functions/risk-scoring/generate-data.ts';

/**
 * The `risk-scoring` input the cost-per-call benches send (`inproc-bench`, `ab-load`,
 * `ab-sequential`): a realistic 30-transaction history, the same one in every run, so their
 * figures compare.
 */
export function benchHistory(): ReturnType<typeof generateSequences>[number]['input'] {
  const all = generateSequences({ count: 200, seed: 5 });
  return (all.find((d) => d.input.transactions.length === 30) ?? all[0]!).input;
}
