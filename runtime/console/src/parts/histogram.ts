import { html } from 'htm/preact';

/**
 * A feature's bins, baseline share beside live share, as SVG bars (attributes, not inline styles:
 * the console's Content-Security-Policy allows no inline style).
 */
export function Histogram({ bins }: { bins: { upTo: number | null; expected: number; actual: number }[] }) {
  const w = 12;
  const h = 40;
  const top = Math.max(0.01, ...bins.flatMap((b) => [b.expected, b.actual]));
  const bar = (x: number, share: number, cls: string) => html`<rect class=${cls} x=${x} y=${h - (share / top) * h} width=${w / 2 - 1} height=${(share / top) * h} />`;
  return html`<svg class="histogram" width=${bins.length * w} height=${h} role="img" aria-label="baseline and live shares per bin">
    ${bins.map((b, i) => [bar(i * w, b.expected, 'expected'), bar(i * w + w / 2, b.actual, 'actual')])}
  </svg>`;
}
