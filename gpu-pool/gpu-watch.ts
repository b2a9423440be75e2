import type { GpuReading } from '../queue/cluster/index.ts';
import { probeGpus, type RunCommand } from './devices.ts';

/**
 * Reads GPU `index` every `everyMs` with nvidia-smi (the query the pool discovers devices with)
 * and hands each reading to `onReading`: live memory, utilisation and temperature for the worker
 * pinned to it. When nvidia-smi fails or no longer lists the GPU, the reading is `undefined`, so
 * a stale figure is never reported as current. A slow nvidia-smi is never run twice at once.
 * Returns a function that stops the polling.
 */
export function watchGpu(index: number, everyMs: number, onReading: (r: GpuReading | undefined) => void, run?: RunCommand): () => void {
  let busy = false;
  let stopped = false;
  const read = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      const g = (await probeGpus(run)).find((x) => x.index === index);
      if (stopped) return;
      onReading(
        g && {
          name: g.name,
          memoryTotalBytes: g.memoryTotalBytes,
          memoryUsedBytes: g.memoryUsedBytes,
          ...(g.utilizationPct === undefined ? {} : { utilizationPct: g.utilizationPct }),
          ...(g.temperatureC === undefined ? {} : { temperatureC: g.temperatureC }),
          readAt: Date.now(),
        },
      );
    } finally {
      busy = false;
    }
  };
  void read();
  const timer = setInterval(() => void read(), everyMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
