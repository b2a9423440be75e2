import { describe, expect, it } from 'vitest';
import { gpuReading } from './pool.ts';

describe('gpuReading', () => {
  it('shows memory used of total, then utilisation and temperature only when the driver gave them', () => {
    const MiB = 1048576;
    expect(gpuReading({ memoryUsedBytes: 17843 * MiB, memoryTotalBytes: 40960 * MiB, utilizationPct: 87, temperatureC: 64 })).toBe('17843 / 40960 MiB · 87% · 64 °C');
    expect(gpuReading({ memoryUsedBytes: 4 * MiB, memoryTotalBytes: 16384 * MiB })).toBe('4 / 16384 MiB');
    expect(gpuReading(undefined)).toBe('—');
  });
});
