import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS } from './audit-actions.ts';

const RUNTIME = fileURLToPath(new URL('../../../', import.meta.url));

/** The server's TypeScript sources: not tests, not the console. */
function serverSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return path.endsWith('/console') ? [] : serverSources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * Actions the server builds from a template, with the values the template takes (from the types
 * beside it: rollout-routes.ts's actionRoute, RolloutAlert's events less `verdict`, audited apart).
 * A new template fails the test until it is listed here.
 */
const TEMPLATES: Record<string, string[]> = {
  'rollout.${action}': ['rollout.pause', 'rollout.resume', 'rollout.abort'],
  'rollout.${event}': ['rollout.step', 'rollout.promoted', 'rollout.rolled-back', 'rollout.paused', 'rollout.aborted', 'rollout.resumed'],
};

describe('AUDIT_ACTIONS', () => {
  it('lists every action the server writes to the audit log', () => {
    const written = new Set<string>();
    for (const file of serverSources(RUNTIME)) {
      const text = readFileSync(file, 'utf8');
      // `auditAction('x', …)` on a route, and `action: 'x'` in a record appended directly; not a
      // union type such as `action: 'function.read' | 'function.deploy'` (an authorization's).
      for (const m of text.matchAll(/auditAction\('([^']+)'/g)) written.add(m[1]!);
      for (const m of text.matchAll(/\baction: '([^']+)'(?! \|)/g)) written.add(m[1]!);
      for (const m of text.matchAll(/(?:auditAction\(|\baction: )`([^`]+)`/g)) {
        expect(TEMPLATES, `${file}: the template ${m[1]}`).toHaveProperty([m[1]!]);
        for (const a of TEMPLATES[m[1]!]!) written.add(a);
      }
    }
    // The scan finds what it should: the routes' and the platform's own records.
    for (const a of ['invoke', 'job.retry', 'console.login', 'rollout.verdict', 'training.end', 'audit.prune']) expect(written).toContain(a);
    expect([...written].filter((a) => !AUDIT_ACTIONS.includes(a)).sort()).toEqual([]);
  });
});
