/**
 * Progress on stderr, only on a terminal: an upload bar and a spinner for long waits. Drawing is
 * throttled so a fast upload does not spend its time repainting.
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): { update(done: number, total: number): void; done(): void } {
  let last = 0;
  return {
    update(done, total) {
      if (!stream.isTTY) return;
      const now = Date.now();
      if (now - last < 50 && done < total) return;
      last = now;
      const width = 30;
      const frac = total ? done / total : 1;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      stream.write(`\r${label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(done)}/${formatBytes(total)}`);
    },
    done() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}

export function spinner(label: string, stream: NodeJS.WriteStream = process.stderr): { stop(): void } {
  if (!stream.isTTY) return { stop() {} };
  const frames = ['|', '/', '-', '\\'];
  const started = Date.now();
  let i = 0;
  const t = setInterval(() => stream.write(`\r${frames[i++ % 4]} ${label} ${((Date.now() - started) / 1000).toFixed(0)}s`), 200);
  return {
    stop() {
      clearInterval(t);
      stream.write('\r\x1b[K');
    },
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}
