/**
 * The managers' charts: the funnel per day drawn by uPlot (vendored, /vendor/uplot.js; its
 * stylesheet is linked from index.html), and tiny inline SVG sparklines for table rows.
 * uPlot only sets element.style from JS, which the console's CSP (style-src 'self') allows.
 */
import { html, useEffect, useRef } from '/vendor/preact-htm.js';
import uPlot from '/vendor/uplot.js';
import { COLOURS } from '../constants.js';
import { sumValues } from '../format.js';

const HEIGHT = 230;

/** "2026-11-24" -> "11/24". */
const shortDate = (iso) => {
  const m = /^\d{4}-(\d{2})-(\d{2})$/.exec(iso ?? '');
  return m ? `${Number(m[1])}/${Number(m[2])}` : String(iso ?? '');
};

/** x: the day's index (a category axis, so one day still draws); y: counts. */
function toData(days) {
  return [
    days.map((_, i) => i),
    days.map((d) => d.conversations),
    days.map((d) => d.botAnswered),
    days.map((d) => sumValues(d.handoffs)),
  ];
}

/** `current()` is the days as last drawn: a refresh (same days, new numbers) keeps the options. */
function options(current, width) {
  const days = current();
  // The legend's number: the day's under the cursor, else the range's total.
  const count = (series) => (_u, v) => String(v ?? toData(current())[series].reduce((n, y) => n + (y ?? 0), 0));
  const labels = days.map((d) => shortDate(d.date));
  // A dot per day while there is room for one.
  const dots = days.length <= 14;
  const font = '12px -apple-system, BlinkMacSystemFont, "Segoe UI", "PingFang SC", "Noto Sans CJK SC", sans-serif';
  const axis = { stroke: COLOURS.muted, font, grid: { stroke: COLOURS.grid, width: 1 }, ticks: { stroke: COLOURS.border, width: 1, size: 4 } };
  return {
    width,
    height: HEIGHT,
    padding: [12, 12, 0, 4],
    cursor: { drag: { x: false, y: false }, points: { size: 7 } },
    legend: { show: true, live: true },
    scales: {
      // Half a day either side of the first and last: bars fit, and a single day is drawn too.
      x: { time: false, range: () => [-0.5, Math.max(1, current().length) - 0.5] },
      y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] },
    },
    axes: [
      {
        ...axis,
        grid: { show: false },
        // Every day for a week, every few days for a month, as room allows.
        space: 44,
        incrs: [1, 2, 3, 5, 7, 10, 14, 15, 30, 60, 90],
        values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? (labels[i] ?? '') : '')),
      },
      {
        ...axis,
        size: 44,
        incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000],
        values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')),
      },
    ],
    series: [
      { label: '日期', value: (_u, i) => (i == null ? '区间合计' : (current()[i]?.date ?? '—')) },
      {
        label: '会话',
        stroke: COLOURS.bar,
        fill: COLOURS.barFill,
        width: 1,
        paths: uPlot.paths.bars({ size: [0.62, 56], gap: 2 }),
        points: { show: false },
        value: count(1),
      },
      { label: '机器人解答', stroke: COLOURS.ok, width: 2, points: { show: dots, size: 6, fill: '#fff' }, value: count(2) },
      { label: '转人工', stroke: COLOURS.breach, width: 2, dash: [6, 3], points: { show: dots, size: 6, fill: '#fff' }, value: count(3) },
    ],
  };
}

/**
 * Conversations (bars), bot answers and handoffs (lines) per day of the range. Rebuilt when the
 * range changes (another set of days), fed new data in place on a refresh, resized with its box.
 */
export function FunnelChart({ days }) {
  const box = useRef(null);
  const plot = useRef(null);
  const current = useRef(days);
  current.current = days;
  const key = days.map((d) => d.date).join(',');

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const width = () => Math.max(280, Math.floor(el.clientWidth));
    const u = new uPlot(options(() => current.current, width()), toData(days), el);
    plot.current = u;
    let frame = 0;
    const ro = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      // Next frame: resizing inside the observer's callback would trigger it again in the same one.
      frame = requestAnimationFrame(() => {
        const w = width();
        if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: HEIGHT });
      });
    });
    ro.observe(el);
    return () => {
      cancelAnimationFrame(frame);
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt for another set of days only; new numbers for the same days go through setData below.
  }, [key]);

  useEffect(() => {
    plot.current?.setData(toData(days));
  }, [days]);

  return html`<div class="dash-chart" data-testid="funnel-chart" ref=${box} role="img"
    aria-label="每日会话数、机器人解答数和转人工数的图表"></div>`;
}

/** A line of `values` (one per day) in a small box; a dot for the last one. */
export function Sparkline({ values, width = 84, height = 22, label = '' }) {
  if (!values?.length) return null;
  const max = Math.max(1, ...values);
  const n = values.length;
  const x = (i) => (n === 1 ? width / 2 : 2 + (i * (width - 4)) / (n - 1));
  const y = (v) => height - 2 - (v / max) * (height - 4);
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const last = values.at(-1);
  return html`<svg class="spark" width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`} role="img" aria-label=${label}>
    <line x1="2" x2=${width - 2} y1=${height - 1.5} y2=${height - 1.5} class="spark-base" />
    ${n > 1 ? html`<polyline points=${points} class="spark-line" />` : null}
    <circle cx=${x(n - 1)} cy=${y(last)} r="2.2" class="spark-dot" />
  </svg>`;
}
