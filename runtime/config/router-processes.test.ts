import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../functions/sdk/index.ts';
import { loadConfig } from './config.ts';
import { routerProcesses } from './router-processes.ts';

describe('AUTOGLM_ROUTER_PROCESSES', () => {
  it('defaults to 1: the router runs in the launcher', () => {
    const r = loadConfig({});
    expect(r.ok && r.config.routerProcesses).toBe(1);
  });

  it('takes a count, and auto as one per core, capped at 64', () => {
    const read = (v: string, cores = 8) => {
      const r = new EnvReader({ AUTOGLM_ROUTER_PROCESSES: v });
      return { n: routerProcesses(r, cores), errors: r.errors };
    };
    expect(read('4')).toEqual({ n: 4, errors: [] });
    expect(read('auto', 8)).toEqual({ n: 8, errors: [] });
    expect(read('auto', 200)).toEqual({ n: 64, errors: [] });
  });

  it('refuses 0, 65 and words, naming the variable', () => {
    for (const v of ['0', '65', 'many']) {
      const r = loadConfig({ AUTOGLM_ROUTER_PROCESSES: v });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.join('\n')).toMatch(/^AUTOGLM_ROUTER_PROCESSES=.*1 to 64/m);
    }
  });
});
