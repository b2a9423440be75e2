import type { Redis } from 'ioredis';
import type { DeviceSlot, FunctionRecord } from '../queue/cluster/index.ts';
import { DeployCheckConsumer } from '../queue/jobs/index.ts';

/** Answers the router's deploy checks with `probe`. Returns a close function. */
export function answerDeployChecks(
  connection: Redis,
  publisher: Redis,
  prefix: string,
  who: { workerId: string; slot: DeviceSlot },
  probe: (rec: FunctionRecord) => Promise<{ loadMs: number }>,
): () => Promise<void> {
  const shared = !who.slot.namespaces;
  const consumer = new DeployCheckConsumer(connection, publisher, prefix, { workerId: who.workerId, kind: who.slot.kind, shared }, async (rec) => ({ workerId: who.workerId, device: who.slot.id, loadMs: Math.round((await probe(rec)).loadMs) }));
  return () => consumer.close();
}
