import { describe, expect, it } from 'vitest';
import { gpuReading, workerDevice } from './pool.ts';

describe('gpuReading', () => {
  it('shows memory used of total, then utilisation and temperature only when the driver gave them', () => {
    const MiB = 1048576;
    expect(gpuReading({ memoryUsedBytes: 17843 * MiB, memoryTotalBytes: 40960 * MiB, utilizationPct: 87, temperatureC: 64 })).toBe('17843 / 40960 MiB · 87% · 64 °C');
    expect(gpuReading({ memoryUsedBytes: 4 * MiB, memoryTotalBytes: 16384 * MiB })).toBe('4 / 16384 MiB');
    expect(gpuReading(undefined)).toBe('—');
  });
});

describe('workerDevice', () => {
  it('names the slot, as the Slots table does, and the device beside it when its name says more', () => {
    expect(workerDevice({ device: 'cpu:0', deviceName: 'cpu' })).toBe('cpu:0');
    expect(workerDevice({ device: 'cpu:1', deviceName: 'cpu' })).toBe('cpu:1');
    expect(workerDevice({ device: 'cuda:1', deviceName: 'NVIDIA A100-SXM4-40GB' })).toBe('cuda:1 (NVIDIA A100-SXM4-40GB)');
    expect(workerDevice({ device: 'cpu:0' })).toBe('cpu:0');
  });
});
