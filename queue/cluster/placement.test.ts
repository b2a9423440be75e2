import { describe, expect, it } from 'vitest';
import { canServe, formatBytes, placeFunction, servesNamespace, type DeviceSlot } from './placement.ts';

const MIB = 1024 * 1024;
const cpu = (i: number, mib = 2048): DeviceSlot => ({ id: `cpu:${i}`, kind: 'cpu', index: i, name: 'cpu', memoryBytes: mib * MIB });
const gpu = (i: number, mib = 16384): DeviceSlot => ({ id: `gpu:${i}`, kind: 'gpu', index: i, name: 'NVIDIA A100', memoryBytes: mib * MIB });

describe('canServe', () => {
  it('matches device kind, any fitting both', () => {
    expect(canServe({ device: 'gpu', memory: 64 * MIB }, gpu(0))).toEqual({ ok: true });
    expect(canServe({ device: 'any', memory: 64 * MIB }, cpu(0))).toEqual({ ok: true });
    expect(canServe({ device: 'any', memory: 64 * MIB }, gpu(0))).toEqual({ ok: true });
    expect(canServe({ device: 'gpu', memory: 64 * MIB }, cpu(0))).toEqual({ ok: false, reason: 'needs a gpu device; cpu:0 is a cpu' });
    expect(canServe({ device: 'cpu', memory: 64 * MIB }, gpu(1)).ok).toBe(false);
  });

  it('refuses a model larger than the slot budget', () => {
    expect(canServe({ device: 'any', memory: 3 * 1024 * MIB }, cpu(0))).toEqual({ ok: false, reason: 'needs 3 GiB of model memory; cpu:0 has 2 GiB' });
  });
});

describe('placeFunction', () => {
  it('lists every slot that can serve', () => {
    const r = placeFunction({ device: 'any', memory: 64 * MIB }, [cpu(0), cpu(1), gpu(0)]);
    expect(r.ok && r.slots.map((s) => s.id)).toEqual(['cpu:0', 'cpu:1', 'gpu:0']);
  });

  it('refuses a gpu-only function on a cpu-only pool, saying what is missing', () => {
    expect(placeFunction({ device: 'gpu', memory: 64 * MIB }, [cpu(0), cpu(1)])).toEqual({
      ok: false,
      reason: 'needs a gpu device; the pool has only cpu slots (cpu:0, cpu:1)',
    });
  });

  it('refuses a model too large for every matching slot, naming the largest', () => {
    expect(placeFunction({ device: 'gpu', memory: 40 * 1024 * MIB }, [gpu(0, 8192), gpu(1, 24576), cpu(0, 65536)])).toEqual({
      ok: false,
      reason: 'needs 40 GiB of model memory; the largest gpu slot offers 24 GiB (gpu:1)',
    });
  });

  it('cannot place on an empty inventory', () => {
    const r = placeFunction({ device: 'any', memory: MIB }, []);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/no live worker/);
  });
});

describe('namespaces of a pool', () => {
  it('a pool runs every namespace by default; one listed, all with *, all but those left out with !', () => {
    expect(servesNamespace(undefined, 'team-a')).toBe(true);
    expect(servesNamespace(['team-a'], 'team-a')).toBe(true);
    expect(servesNamespace(['team-a'], 'default')).toBe(false);
    expect(servesNamespace(['*', '!team-a'], 'team-a')).toBe(false);
    expect(servesNamespace(['*', '!team-a'], 'default')).toBe(true);
  });

  it("places a function only on slots of pools that run its namespace, and says when none does", () => {
    const teamA = { ...cpu(0), namespaces: ['team-a'] };
    const rest = { ...cpu(1), namespaces: ['*', '!team-a'] };
    expect(canServe({ device: 'any', memory: MIB, namespace: 'default' }, teamA)).toEqual({ ok: false, reason: "is in namespace 'default'; cpu:0 serves team-a" });
    expect(canServe({ device: 'any', memory: MIB }, teamA)).toEqual({ ok: true });
    expect(placeFunction({ device: 'any', memory: MIB, namespace: 'team-a' }, [teamA, rest])).toEqual({ ok: true, slots: [teamA] });
    expect(placeFunction({ device: 'any', memory: MIB, namespace: 'team-b' }, [teamA, rest])).toEqual({ ok: true, slots: [rest] });
    expect(placeFunction({ device: 'any', memory: MIB, namespace: 'team-b' }, [teamA])).toEqual({ ok: false, reason: "is in namespace 'team-b', which no live pool serves (they serve: team-a)" });
    // Among the slots of its namespace, the usual reasons.
    expect(placeFunction({ device: 'gpu', memory: MIB, namespace: 'team-a' }, [teamA, { ...gpu(0), namespaces: ['team-b'] }])).toEqual({ ok: false, reason: 'needs a gpu device; the pool has only cpu slots (cpu:0)' });
  });
});

describe('formatBytes', () => {
  it.each([
    [512, '512 B'],
    [64 * MIB, '64 MiB'],
    [1.5 * 1024 * MIB, '1.5 GiB'],
  ])('%d → %s', (n, s) => expect(formatBytes(n)).toBe(s));
});
