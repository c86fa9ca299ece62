/** How the managers' pages write numbers: a dash for what is not known, shares, scores and their colour band. */
export const show = (n) => (typeof n === 'number' && Number.isFinite(n) ? String(n) : '—');
export const ratio = (n, d) => (d > 0 ? n / d : 0);
export const pct = (n, d) => (d > 0 ? `${Math.round((n / d) * 100)}%` : '—');
export const score1 = (x) => (Number.isFinite(Number(x)) ? Number(x).toFixed(1) : '—');
/** Colour band of an average or a single score: 1-2 bad, under 4 so-so, else good. */
export const tone = (x) => (x <= 2.5 ? 'bad' : x < 4 ? 'mid' : 'good');
/** A category's name: the server's `label` (from `_tags.yml`), else its id. */
export const categoryLabel = (c, label) => (c === 'uncategorized' ? '未分类' : label || c);
export const worstFirst = (a, b) => a.average - b.average || b.count - a.count;
