import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
// esbuild puts this beside the console's own style sheet (runtime/http/console-assets.ts).
import 'uplot/dist/uPlot.min.css';
import { pointsOf } from './rollups.ts';

/** One line of a chart: its legend label, colour and values (one per x; null is a gap). */
export interface Line {
  label: string;
  stroke: string;
  values: (number | null)[];
}

const HEIGHT = 150;

/** The indices of a series' values above zero (uPlot's point filter). */
function busyPoints(u: uPlot, seriesIdx: number): number[] {
  const values = u.data[seriesIdx] ?? [];
  const busy: number[] = [];
  for (let i = 0; i < values.length; i++) if ((values[i] ?? 0) > 0) busy.push(i);
  return busy;
}

/**
 * A time-series chart drawn by uPlot on a canvas: x in epoch seconds, one or more lines on one
 * y scale. Created once when shown, fed new data on each refresh (no rebuild, so the page stays
 * cheap with the chart refreshing every few seconds), destroyed when the page leaves.
 * `data-points` says how many values hold something to draw, so a test can tell an empty chart.
 */
export function Chart({ title, x, lines, unit, testid }: { title: string; x: number[]; lines: Line[]; unit: string; testid: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = [x, ...lines.map((l) => l.values)] as uPlot.AlignedData;
  useEffect(() => {
    const el = box.current!;
    plot.current = new uPlot(
      {
        width: Math.max(240, el.clientWidth),
        height: HEIGHT,
        // A point on each minute that has something: a minute with calls between quiet ones (a null
        // latency on both sides) has no line to draw, only its point; zeros get none.
        series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.stroke, width: 1.5, points: { show: true, size: 5, fill: l.stroke, filter: busyPoints }, value: (_: uPlot, v: number | null) => (v === null ? '—' : `${v} ${unit}`) }))],
        axes: [{}, { size: 56, values: (_: uPlot, ticks: number[]) => ticks.map((t) => `${t}`) }],
        scales: { y: { range: (_: uPlot, min: number, max: number) => [0, Math.max(1, max, min)] } },
        legend: { live: true },
      },
      data,
      el,
    );
    // Follow the panel's width (the charts share a row that wraps with the window).
    const resized = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(240, el.clientWidth), height: HEIGHT }));
    resized.observe(el);
    return () => {
      resized.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // The lines' labels and colours are fixed for a chart's life; only the data changes.
  }, []);
  useEffect(() => plot.current?.setData(data), [x, ...lines.map((l) => l.values)]);
  return html`<figure class="chart">
    <figcaption>${title} <span class="muted">(${unit})</span></figcaption>
    <div ref=${box} data-testid=${testid} data-points=${lines.reduce((n, l) => n + pointsOf(l.values), 0)}></div>
  </figure>`;
}
