import { describe, expect, it } from 'vitest';
import { parseDeviceList } from './device-list.ts';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

describe('parseDeviceList', () => {
  it('reads GPU and CPU entries with counts and sizes', () => {
    const r = parseDeviceList('gpu:0, gpu:1@12GiB, cpu*4@512MiB');
    expect(r).toEqual({
      ok: true,
      devices: [
        { kind: 'gpu', index: 0, count: 1, memoryBytes: undefined },
        { kind: 'gpu', index: 1, count: 1, memoryBytes: 12 * GIB },
        { kind: 'cpu', index: undefined, count: 4, memoryBytes: 512 * MIB },
      ],
    });
  });

  it('treats empty and auto as "discover"', () => {
    expect(parseDeviceList('auto')).toEqual({ ok: true, devices: undefined });
    expect(parseDeviceList(' ')).toEqual({ ok: true, devices: undefined });
  });

  it('reports every bad entry', () => {
    const r = parseDeviceList('gpu, gpu:0*2, cpu:3, tpu:0, gpu:1, gpu:1, cpu*0');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(6);
    expect(r.errors.join('\n')).toMatch(/'gpu': a gpu entry names its index/);
    expect(r.errors.join('\n')).toMatch(/'gpu:0\*2': one worker per GPU/);
    expect(r.errors.join('\n')).toMatch(/'cpu:3': CPU slots are numbered in order/);
    expect(r.errors.join('\n')).toMatch(/'tpu:0': expected/);
    expect(r.errors.join('\n')).toMatch(/GPU 1 is listed twice/);
    expect(r.errors.join('\n')).toMatch(/'cpu\*0': count must be 1 to 256/);
  });
});
