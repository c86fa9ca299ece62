/** Formats shared by the views: labels of codes, durations and times, links to the console's pages. */
import { REASONS, TIERS } from './constants.js';

export const reasonLabel = (r) => (r ? (REASONS[r] ?? r) : '');
export const tierLabel = (t) => TIERS[t] ?? TIERS.standard;

/** ok until the warning time, warn until the due time, then breach (no SLA = ok). */
export function slaState(conv, now) {
  if (!conv?.slaDueAt) return 'ok';
  const due = Date.parse(conv.slaDueAt);
  const warn = conv.slaWarnAt ? Date.parse(conv.slaWarnAt) : due;
  if (now >= due) return 'breach';
  if (now >= warn) return 'warn';
  return 'ok';
}

/** "45秒", "3分12秒", "1小时5分", "2天3小时": short enough for a queue row. */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}秒`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}分${String(s % 60).padStart(2, '0')}秒`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}小时${m % 60}分`;
  return `${Math.floor(h / 24)}天${h % 24}小时`;
}

/** Coarser, for SLA budgets: "12分钟", "1小时5分钟". */
export function minutes(ms) {
  const m = Math.max(0, Math.round(ms / 60_000));
  if (m < 60) return `${m}分钟`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}小时${m % 60}分钟` : `${h}小时`;
  return `${Math.floor(h / 24)}天${h % 24 ? `${h % 24}小时` : ''}`;
}

/** "剩余 12分钟" / "超出 5分钟"; `short` drops a character for the narrow queue rows. */
export function slaText(conv, now, short = false) {
  if (!conv?.slaDueAt) return '';
  const left = Date.parse(conv.slaDueAt) - now;
  // Under a minute either way: "0分钟" read as if nothing were at stake.
  if (left >= 0) return left < 60_000 ? (short ? '不到1分钟' : '剩余不到 1 分钟') : `${short ? '剩' : '剩余 '}${minutes(left)}`;
  return -left < 60_000 ? (short ? '刚超时' : '刚刚超时') : `${short ? '超' : '超出 '}${minutes(-left)}`;
}

const pad = (n) => String(n).padStart(2, '0');
const sameDay = (a, b) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

export function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function dayLabel(iso, now = Date.now()) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date(now);
  if (sameDay(d, today)) return '今天';
  if (sameDay(d, new Date(now - 86_400_000))) return '昨天';
  const md = `${d.getMonth() + 1}月${d.getDate()}日`;
  return d.getFullYear() === today.getFullYear() ? md : `${d.getFullYear()}年${md}`;
}

/** "今天 14:05", "3月2日 09:30". */
export function when(iso, now = Date.now()) {
  const day = dayLabel(iso, now);
  return day ? `${day} ${clock(iso)}` : '';
}

/** "5分钟前" for recent times, else a date. */
export function ago(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.floor((now - t) / 1000);
  if (s < 60) return '刚刚';
  if (s < 3600) return `${Math.floor(s / 60)}分钟前`;
  if (s < 86_400) return `${Math.floor(s / 3600)}小时前`;
  return when(iso, now);
}

/** "张三 创建于 5分钟前" ("系统" when no one did it). */
export const byLine = (agent, iso, now, verb) => `${agent?.name ?? '系统'} ${verb}于 ${ago(iso, now)}`;

/** "14:05:09", for "更新于 …". */
export const timeOfDay = (date) => date.toLocaleTimeString('zh-CN', { hour12: false });

export const percent = (x) => `${Math.round(Number(x) * 100)}%`;

/** The sum of an object's values (counts by reason, by FAQ entry…). */
export const sumValues = (o) => Object.values(o ?? {}).reduce((n, v) => n + (Number(v) || 0), 0);

/** Length in characters as people (and the server's limits) count them, not UTF-16 units. */
export const chars = (s) => [...s].length;

/** Links to the console's own pages. */
export const convHref = (id) => `#/c/${encodeURIComponent(id)}`;
export const problemHref = (id) => `#/problems/${encodeURIComponent(id)}`;

/** The first character of a name, for avatars (CJK names read well as one character). */
export function initial(name) {
  const ch = /[\p{L}\p{N}]/u.exec(String(name ?? ''))?.[0];
  return ch ? ch.toUpperCase() : '?';
}

/** A stable colour slot (0..7) per name, so each customer keeps their avatar colour. */
export function colorSlot(key) {
  let h = 0;
  for (const ch of String(key ?? '')) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return h % 8;
}

/** admin implies every role; manager implies agent (as the server decides). */
export function hasRole(agent, role) {
  const roles = agent?.roles ?? [];
  if (roles.includes('admin') || roles.includes(role)) return true;
  return role === 'agent' && roles.includes('manager');
}

/**
 * A long message as a search result shows it: the stretch around the first word of `q` found
 * (`total` characters, `before` of them ahead of it), with "…" where it was cut; a short one whole.
 */
export function snippetOf(text, q, total = 160, before = 40) {
  const chars = Array.from(text);
  if (chars.length <= total) return text;
  const lower = text.toLowerCase();
  const words = q.split(/\s+/).filter(Boolean).map((w) => w.toLowerCase());
  const found = words.map((w) => lower.indexOf(w)).filter((i) => i >= 0);
  // The hit's place in characters (an emoji before it counts once).
  const at = found.length ? Array.from(text.slice(0, Math.min(...found))).length : 0;
  const start = Math.max(0, Math.min(at - before, chars.length - total));
  const end = Math.min(chars.length, start + total);
  return `${start > 0 ? '…' : ''}${chars.slice(start, end).join('')}${end < chars.length ? '…' : ''}`;
}
