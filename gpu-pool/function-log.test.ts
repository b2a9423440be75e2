import { describe, expect, it, vi } from 'vitest';
import type { FunctionLogLine } from '../queue/index.ts';
import { functionLogger, runLogged } from './function-log.ts';

const base = (fn: string) => ({ fn, version: 'v1', device: 'cpu:0' });

describe('function log lines', () => {
  it('console lines belong to the function whose async context wrote them, also when two interleave; outside, console is untouched', async () => {
    const lines: FunctionLogLine[] = [];
    const quiet = [vi.spyOn(process.stdout, 'write').mockImplementation(() => true), vi.spyOn(process.stderr, 'write').mockImplementation(() => true)];
    try {
      const tick = () => new Promise((r) => setTimeout(r, 5));
      const body = (name: string) => async () => {
        console.log('%s before', name);
        await tick();
        console.error(`${name} after`);
      };
      await Promise.all([runLogged(base('a'), (l) => lines.push(l), body('a')), runLogged(base('b'), (l) => lines.push(l), body('b'))]);
      console.log('platform line');
    } finally {
      for (const q of quiet) q.mockRestore();
    }
    expect(lines.map((l) => [l.fn, l.level, l.msg, l.source])).toEqual(
      expect.arrayContaining([
        ['a', 'info', 'a before', 'console'],
        ['b', 'info', 'b before', 'console'],
        ['a', 'error', 'a after', 'console'],
        ['b', 'error', 'b after', 'console'],
      ]),
    );
    expect(lines).toHaveLength(4);
  });

  it('ctx.log keeps child fields and turns errors and cycles into what JSON can carry', () => {
    const lines: FunctionLogLine[] = [];
    const log = functionLogger({ ...base('a'), batch: 2, jobs: ['a.1', 'a.2'] }, (l) => lines.push(l)).child({ model: 'm1' });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    log.warn('failed', { err: new Error('boom') });
    log.info('odd', { cycle });
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'failed', source: 'log', batch: 2, jobs: ['a.1', 'a.2'], fields: { model: 'm1', err: { name: 'Error', message: 'boom' } } });
    expect(lines[1]!.fields).toEqual({ unserializable: expect.stringContaining('circular') });
  });
});
