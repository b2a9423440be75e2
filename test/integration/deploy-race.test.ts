import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionCatalog } from '../../queue/cluster/index.ts';
import { bundleMaker, type TestBundle } from '../harness/bundles.ts';
import { startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const TEAM_MARK = fileURLToPath(new URL('../fixtures/functions/team-mark/', import.meta.url));
const THROWS_IN_LOAD = fileURLToPath(new URL('../fixtures/bundles/throws-in-load/', import.meta.url));
const ROUNDS = 100;
const TEAMS = ['team-a', 'team-b'] as const;

let redis: TestRedis;
let p: TestPlatform;
let teamMark: (name: string, env?: Record<string, string>) => TestBundle;
let throwsInLoad: typeof teamMark;
const deployers: Record<string, string> = {};

beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url);
  // Built once; each round packs the same code under its own name and team (a real bundle each).
  teamMark = await bundleMaker(TEAM_MARK);
  throwsInLoad = await bundleMaker(THROWS_IN_LOAD);
  for (const team of TEAMS) deployers[team] = await p.router.verifier.mint({ sub: `${team}-deployer`, roles: ['deployer'], namespaces: [team] });
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
});

/** team-mark named `name`, answering `team`. */
const bundleOf = (name: string, team: string, make = teamMark) => make(name, { TEAM: team });

async function deploy(team: string, b: TestBundle) {
  const res = await fetch(`${p.url}/v1/functions?namespace=${team}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${deployers[team]}`, 'content-type': 'application/gzip', 'x-bundle-sha256': b.hash },
    body: new Uint8Array(b.archive),
  });
  return { team, status: res.status, type: res.headers.get('content-type'), json: (await res.json()) as Record<string, unknown> };
}

describe('two namespaces deploying the same new name at once', () => {
  it(`exactly one wins, ${ROUNDS} times; the loser gets 409 naming the field and the holder; the name serves the winner's code`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `race-${round}`;
      // Alternate who sends first, so neither team wins by always going first.
      const order = round % 2 ? [...TEAMS].reverse() : [...TEAMS];
      const outcomes = await Promise.all(order.map((team) => deploy(team, bundleOf(name, team))));
      const won = outcomes.filter((o) => o.status === 201);
      const lost = outcomes.filter((o) => o.status !== 201);
      expect(won.map((o) => o.status), `round ${round}: ${JSON.stringify(outcomes.map((o) => o.json))}`).toHaveLength(1);
      const winner = won[0]!.team;
      const loser = lost[0]!;
      expect(loser.status).toBe(409);
      expect(loser.type).toMatch(/^application\/problem\+json/);
      expect(loser.json).toMatchObject({ code: 'NAMESPACE_MISMATCH', status: 409, field: 'name', namespace: winner });
      expect(loser.json.detail).toContain(`'${winner}'`);

      const fn = await p.call('GET', `/v1/functions/${name}`);
      expect(fn.json.namespace).toBe(winner);
      expect(fn.json.versions).toHaveLength(1);
      expect(fn.json.versions[0].version).toBe(won[0]!.json.version);
      const call = await p.call('POST', `/v1/functions/${name}/invoke`, { input: {} });
      expect(call.status, JSON.stringify(call.json)).toBe(200);
      expect(call.json.output).toEqual({ team: winner });
    }
  }, 300_000);

  it('a refused deploy gives the name back: another namespace may then take it', async () => {
    const refused = await deploy('team-a', bundleOf('given-back', 'team-a', throwsInLoad));
    expect(refused.status).toBe(422);
    expect(refused.json.code).toBe('FUNCTION_LOAD_FAILED');
    expect(await p.redis.exists(`${p.prefix}:functions:claim:given-back`)).toBe(0);
    const taken = await deploy('team-b', bundleOf('given-back', 'team-b'));
    expect(taken.status).toBe(201);
    // …and from then on the function holds the name for team-b.
    const again = await deploy('team-a', bundleOf('given-back', 'team-a'));
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'NAMESPACE_MISMATCH', namespace: 'team-b' });
  });
});

describe('FunctionCatalog.claim', () => {
  it('grants a new name to one namespace, until released by it or expired; a deployed function holds its name', async () => {
    const catalog = new FunctionCatalog(p.redis, p.prefix);
    const claimKey = `${p.prefix}:functions:claim:claimed`;
    const both = await Promise.all([catalog.claim('claimed', 'team-a', 90_000), catalog.claim('claimed', 'team-b', 90_000)]);
    expect(both).toEqual(['team-a', 'team-a']);
    expect(await catalog.claim('claimed', 'team-a', 90_000)).toBe('team-a'); // the same namespace again: granted
    const ttl = await p.redis.pttl(claimKey);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(90_000);
    await catalog.release('claimed', 'team-b'); // not the holder: nothing happens
    expect(await catalog.claim('claimed', 'team-b', 90_000)).toBe('team-a');
    await catalog.release('claimed', 'team-a');
    expect(await catalog.claim('claimed', 'team-b', 90_000)).toBe('team-b');
    // A deployed function holds its name, claim or not.
    expect(await catalog.claim('race-0', 'team-c', 90_000)).toBe((await catalog.get('race-0'))!.namespace);
    expect(await p.redis.exists(`${p.prefix}:functions:claim:race-0`)).toBe(0);
  });
});
