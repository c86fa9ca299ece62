/**
 * The managers' date range: calendar days as YYYY-MM-DD, "today" in this browser's zone (the
 * console's users work in the business zone; the server counts days there too), the presets and the picker.
 */
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { MAX_RANGE_DAYS } from '../../constants.js';
import { timeOfDay } from '../../format.js';

const pad = (n) => String(n).padStart(2, '0');
const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
export const localToday = () => isoDay(new Date());
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const utc = (iso) => Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10)));
function addDays(iso, n) {
  const d = new Date(utc(iso) + n * 86_400_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}
const spanDays = (from, to) => Math.round((utc(to) - utc(from)) / 86_400_000) + 1;

const PRESETS = [
  { key: 'today', label: '今天', days: 1 },
  { key: '7', label: '近7天', days: 7 },
  { key: '30', label: '近30天', days: 30 },
];

export function presetRange(key, today) {
  const p = PRESETS.find((x) => x.key === key) ?? PRESETS[1];
  return { from: addDays(today, 1 - p.days), to: today };
}

/** "11月24日" or "2026年11月24日 至 12月1日". */
export function rangeText(from, to) {
  const part = (iso, withYear) => `${withYear ? `${iso.slice(0, 4)}年` : ''}${Number(iso.slice(5, 7))}月${Number(iso.slice(8, 10))}日`;
  const year = localToday().slice(0, 4);
  if (from === to) return part(from, from.slice(0, 4) !== year);
  const showYear = from.slice(0, 4) !== to.slice(0, 4) || from.slice(0, 4) !== year;
  return `${part(from, showYear)} 至 ${part(to, showYear && from.slice(0, 4) !== to.slice(0, 4))}`;
}

export function RangePicker({ range, today, onChange, loading, at }) {
  const [draft, setDraft] = useState({ from: range.from, to: range.to });
  const [problem, setProblem] = useState('');
  useEffect(() => setDraft({ from: range.from, to: range.to }), [range.from, range.to]);

  function edit(field, value) {
    const next = { ...draft, [field]: value };
    setDraft(next);
    if (!DAY_RE.test(next.from) || !DAY_RE.test(next.to)) return setProblem('请选择完整的日期');
    if (next.from > next.to) return setProblem('开始日期不能晚于结束日期');
    if (spanDays(next.from, next.to) > MAX_RANGE_DAYS) return setProblem(`最多查询 ${MAX_RANGE_DAYS} 天`);
    setProblem('');
    onChange({ preset: 'custom', from: next.from, to: next.to });
  }

  return html`<div class="dash-range" data-testid="dash-range">
    <div class="dash-range-title">
      <h2>区间数据</h2>
      <span class="muted small" data-testid="dash-range-text">${rangeText(range.from, range.to)}</span>
    </div>
    <div class="dash-seg" role="group" aria-label="时间范围">
      ${PRESETS.map(
        (p) => html`<button type="button" key=${p.key} class=${`dash-seg-btn${range.preset === p.key ? ' is-on' : ''}`} data-testid=${`dash-preset-${p.key}`}
            aria-pressed=${range.preset === p.key} onClick=${() => onChange({ preset: p.key, ...presetRange(p.key, today) })}>${p.label}</button>`,
      )}
    </div>
    <div class=${`dash-dates${range.preset === 'custom' ? ' is-on' : ''}`}>
      <label class="dash-sr" for="dash-from">开始日期</label>
      <input id="dash-from" class="input input-sm" type="date" data-testid="dash-from" value=${draft.from} max=${today}
        onChange=${(e) => edit('from', e.currentTarget.value)} />
      <span class="muted">至</span>
      <label class="dash-sr" for="dash-to">结束日期</label>
      <input id="dash-to" class="input input-sm" type="date" data-testid="dash-to" value=${draft.to} max=${today}
        onChange=${(e) => edit('to', e.currentTarget.value)} />
    </div>
    ${problem ? html`<span class="dash-range-problem" role="alert" data-testid="dash-range-problem">${problem}</span>` : null}
    <span class="spacer"></span>
    <span class="muted small dash-updated" aria-live="polite">
      ${loading ? html`<span class="dash-spin" aria-hidden="true"></span>正在更新…` : at ? `更新于 ${timeOfDay(at)} · 每 30 秒自动刷新` : ''}
    </span>
  </div>`;
}
