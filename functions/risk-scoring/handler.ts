import { defineFunction } from '../sdk/index.ts';
import { driftFeatures } from './drift-features.ts';
import { disposeRiskModel, loadRiskModel, type RiskModel } from './risk-model.ts';
import { scoreRequests, type RiskOutput } from './risk-scorer.ts';
import { train } from './training.ts';
import { parsedRiskInput, type RiskInput, type RiskRequest } from './validate-input.ts';

/**
 * Transaction risk scoring: an LSTM over the account's recent transactions gives a fraud score,
 * a level from the documented thresholds, and the factors behind it. The TF.js backend is the
 * pool's choice; this code only uses `tf` as it finds it.
 */
export default defineFunction<RiskInput, RiskOutput, RiskModel>({
  load: ({ dir }) => loadRiskModel(dir),

  async handle(inputs, model) {
    const parsed = inputs.map(parsedRiskInput);
    const valid = parsed.filter((p): p is RiskRequest => !(p instanceof Error));
    const scored = valid.length > 0 ? await scoreRequests(model, valid) : [];
    let next = 0;
    return parsed.map((p) => (p instanceof Error ? p : scored[next++]!));
  },

  unload: disposeRiskModel,

  // Watched for drift (manifest `drift`): live requests against the training population.
  features: driftFeatures,

  // Retraining as a platform job (manifest `training`): `autoglm train risk-scoring --data @data.jsonl`.
  train,
});
