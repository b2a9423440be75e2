import { describe, expect, it } from 'vitest';
import { poolTable, type ReadinessWorker } from './pool-commands.ts';

const worker = (pid: number, namespaces: string[] | undefined, jobsDone: number): ReadinessWorker => ({ pid, host: 'node1', device: 'cpu:0', backend: 'wasm', isolation: 'sandbox', inFlight: 0, jobsDone, ...(namespaces ? { namespaces } : {}) });

describe('autoglm pool', () => {
  it("shows each slot with its own worker, also two pools' cpu:0 on one node, and each worker's isolation level and namespaces", () => {
    const text = poolTable({
      ready: true,
      reasons: [],
      slots: [
        { host: 'node1', device: 'cpu:0', state: 'running', pid: 20, restarts: 0 },
        { host: 'node1', device: 'cpu:0', state: 'running', pid: 10, restarts: 1, lastRestart: 'hung' },
      ],
      workers: [worker(10, undefined, 7), worker(20, ['team-a'], 3), worker(30, ['*', '!team-a'], 1)],
    });
    const rows = text.split('\n').slice(1, -1).map((l) => l.split(/\s{2,}/).slice(0, 9));
    expect(rows).toEqual([
      ['node1', 'cpu:0', 'running', '10', 'wasm', 'sandbox', '*', '0', '7'],
      ['node1', 'cpu:0', 'running', '20', 'wasm', 'sandbox', 'team-a', '0', '3'],
      // A worker no supervisor reports yet still shows.
      ['node1', 'cpu:0', 'running', '30', 'wasm', 'sandbox', '*,!team-a', '0', '1'],
    ]);
  });
});
