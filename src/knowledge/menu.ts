import type { FaqEntry, KnowledgeBase } from './types.ts';

/**
 * The top-N menu: entries with an editor-set `menu` position first, in that order; then,
 * to fill the menu, the most asked entries when hit counts are given (real traffic), and
 * finally knowledge-base order.
 */
export function menuEntries(kb: KnowledgeBase, size = 10, hits: ReadonlyMap<string, number> = new Map()): FaqEntry[] {
  const pinned = kb.entries.filter((e) => e.menu !== undefined).sort((a, b) => a.menu! - b.menu!);
  const rest = kb.entries
    .filter((e) => e.menu === undefined)
    .map((e, i) => ({ e, i, hits: hits.get(e.id) ?? 0 }))
    .sort((a, b) => b.hits - a.hits || a.i - b.i)
    .map((x) => x.e);
  return [...pinned, ...rest].slice(0, size);
}
