import type { DayPoint } from '../../../usecases/console/overview.js';
import { percent } from '../format.js';
import { html, type Html } from '../html.js';

/**
 * The collection-rate chart: cumulative collected ÷ due by day of the month, this period against
 * the one before, as inline SVG (no script, no library). The two lines differ in dash and marker
 * shape as well as colour, so the chart reads in greyscale; the same figures follow as a table
 * for screen readers and anyone who prefers numbers.
 */
const W = 640;
const H = 260;
const PAD = { left: 48, right: 16, top: 16, bottom: 36 };

const x = (day: number) => PAD.left + ((day - 1) / 30) * (W - PAD.left - PAD.right);
const y = (bp: number) => PAD.top + (1 - Math.min(bp, 10000) / 10000) * (H - PAD.top - PAD.bottom);

function line(points: DayPoint[], cls: string, marker: 'circle' | 'square'): Html {
  const pts = points.filter((p) => p.rateBp !== null);
  if (pts.length === 0) return html``;
  const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.day).toFixed(1)},${y(p.rateBp!).toFixed(1)}`).join(' ');
  const marks = pts
    .filter((p) => p.day % 5 === 0 || p.day === pts[pts.length - 1]!.day)
    .map((p) =>
      marker === 'circle'
        ? html`<circle cx="${x(p.day).toFixed(1)}" cy="${y(p.rateBp!).toFixed(1)}" r="3.5" class="${cls}-mark"/>`
        : html`<rect x="${(x(p.day) - 3.5).toFixed(1)}" y="${(y(p.rateBp!) - 3.5).toFixed(1)}" width="7" height="7" class="${cls}-mark"/>`,
    );
  return html`<path d="${d}" class="${cls}" fill="none"/>${marks}`;
}

export function rateChart(opts: { id: string; title: string; current: DayPoint[]; previous: DayPoint[]; currentLabel: string; previousLabel: string }): Html {
  const grid = [0, 2500, 5000, 7500, 10000].map(
    (bp) => html`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(bp).toFixed(1)}" y2="${y(bp).toFixed(1)}" class="grid"/><text x="${PAD.left - 6}" y="${(y(bp) + 4).toFixed(1)}" text-anchor="end" class="axis">${bp / 100}%</text>`,
  );
  const ticks = [1, 5, 10, 15, 20, 25, 30].map((d) => html`<text x="${x(d).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle" class="axis">${d}</text>`);
  const lastCur = [...opts.current].reverse().find((p) => p.rateBp !== null);
  const lastPrev = [...opts.previous].reverse().find((p) => p.rateBp !== null);
  const desc = `${opts.currentLabel}: ${lastCur ? `${percent(lastCur.rateBp)} collected by day ${lastCur.day}` : 'no results yet'}. ${opts.previousLabel}: ${lastPrev ? `${percent(lastPrev.rateBp)} by day ${lastPrev.day}` : 'no figures'}.`;
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${opts.id}-t ${opts.id}-d" width="100%" preserveAspectRatio="xMidYMid meet">
<title id="${opts.id}-t">${opts.title}</title><desc id="${opts.id}-d">${desc}</desc>
${grid}${ticks}
<text x="${(W + PAD.left) / 2}" y="${H - 4}" text-anchor="middle" class="axis">day of the month</text>
${line(opts.previous, 'prev', 'square')}${line(opts.current, 'cur', 'circle')}
</svg>
<figcaption><span class="key key-cur" aria-hidden="true"></span> ${opts.currentLabel} (solid line, circles)
 <span class="key key-prev" aria-hidden="true"></span> ${opts.previousLabel} (dashed line, squares) — ${desc}</figcaption>
</figure>
<details class="fallback"><summary>The chart's figures as a table</summary>
<table><caption>Share of the amount due collected by the end of each day</caption>
<thead><tr><th scope="col">day</th><th scope="col">${opts.currentLabel}</th><th scope="col">${opts.previousLabel}</th></tr></thead>
<tbody>${opts.current.map((p, i) => html`<tr><th scope="row">${p.day}</th><td>${percent(p.rateBp)}</td><td>${percent(opts.previous[i]?.rateBp ?? null)}</td></tr>`)}</tbody></table>
</details>`;
}
