import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('createLogger', () => {
  it("keeps a line's own level, message and time: fields named like them are written beside them", () => {
    const lines: string[] = [];
    const log = createLogger({ component: 'worker', level: 'from-base' }, 'info', (l) => lines.push(l)).child({ msg: 'from-child' });
    log.info('sandbox serving a namespace', { level: 'sandbox', t: 'then', n: 1 });
    log.debug('not written');
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({ level: 'info', msg: 'sandbox serving a namespace', component: 'worker', level_: 'sandbox', msg_: 'from-child', t_: 'then', n: 1 });
    expect(Date.parse(rec.t)).not.toBeNaN();
  });
});
