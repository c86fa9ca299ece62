import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadKnowledgeBase } from '../../src/knowledge/loader.ts';
import { menuEntries } from '../../src/knowledge/menu.ts';
import type { FaqEntry, KnowledgeBase } from '../../src/knowledge/types.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const faq = (id: string, menu?: number): FaqEntry => ({
  id,
  question: `${id}?`,
  alternates: [],
  keywords: [],
  tags: [],
  category: 'uncategorized',
  related: [],
  answer: `${id}.`,
  file: `${id}.md`,
  extra: {},
  ...(menu === undefined ? {} : { menu }),
});

const kbOf = (entries: FaqEntry[]): KnowledgeBase => ({
  root: '/kb',
  entries,
  extras: { synonyms: [], words: [] },
  loadedAt: 0,
});

const ids = (entries: FaqEntry[]): string[] => entries.map((e) => e.id);

// KB order: a b c d e f g; pinned: e (menu 1), b (menu 2), g (menu 5).
const KB = kbOf([faq('a'), faq('b', 2), faq('c'), faq('d'), faq('e', 1), faq('f'), faq('g', 5)]);

describe('menuEntries', () => {
  it('puts pinned entries first in menu order (gaps are fine), then the rest in kb order', () => {
    expect(ids(menuEntries(KB))).toEqual(['e', 'b', 'g', 'a', 'c', 'd', 'f']);
  });

  it('fills the rest by hits, most asked first, ties in kb order; hits do not move pinned entries', () => {
    const hits = new Map([
      ['d', 5],
      ['f', 9],
      ['c', 5],
      ['g', 100], // pinned: stays at its menu position
      ['unknown', 50],
    ]);
    expect(ids(menuEntries(KB, 10, hits))).toEqual(['e', 'b', 'g', 'f', 'c', 'd', 'a']);
  });

  it('respects the size limit, pinned entries first', () => {
    expect(ids(menuEntries(KB, 4, new Map([['f', 1]])))).toEqual(['e', 'b', 'g', 'f']);
    expect(ids(menuEntries(KB, 2))).toEqual(['e', 'b']);
    expect(menuEntries(KB, 0)).toEqual([]);
  });

  it('defaults to 10 entries', () => {
    const many = kbOf(Array.from({ length: 15 }, (_, i) => faq(`e${i}`)));
    expect(ids(menuEntries(many))).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
  });

  it('does not reorder the knowledge base it is given', () => {
    const before = ids(KB.entries);
    menuEntries(KB, 3, new Map([['f', 9]]));
    expect(ids(KB.entries)).toEqual(before);
  });

  it('on the product knowledge base: the first item is menu 1, pinned items in order', async () => {
    const kb = await loadKnowledgeBase(path.join(ROOT, 'knowledge-base'));
    const menu = menuEntries(kb);
    expect(menu.length).toBe(Math.min(10, kb.entries.length));
    expect(menu[0]!.menu).toBe(1);
    const pinned = menu.filter((e) => e.menu !== undefined).map((e) => e.menu!);
    expect(pinned).toEqual([...pinned].sort((a, b) => a - b));
    expect(new Set(ids(menu)).size).toBe(menu.length);
  });
});
