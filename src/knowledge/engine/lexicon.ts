import { readdirSync, readFileSync } from 'node:fs';
import type { KbExtras } from '../types.ts';
import { normalize } from './text.ts';

const here = new URL('./lexicon/', import.meta.url);

/** The lines of one of the engine's lexicon files, comments and blank lines dropped. */
export function dataLines(name: string): string[] {
  return readFileSync(new URL(name, here), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Generic lexicon words this long or longer are matched as phrases (see Lexicon.phrases). */
const PHRASE_CHARS = 4;

interface Generic {
  filler: Map<string, number>;
  groups: string[][];
  byStart: Map<string, string[]>;
  /** Each category's id ("§c3") and words; instance word → the ids of its categories. */
  categories: { heads: { id: string; words: string[] }[]; of: Map<string, string[]> };
}

let generic: Generic | undefined;

/**
 * categories-zh.txt: "宠物 宠物狗 : 猫 狗 猫咪": the category words (as FAQs write them) and the
 * instances customers name instead. One direction only: an instance finds its category, never
 * a sibling instance (an entry about 猫 is no answer to 狗).
 */
function readCategories(): Generic['categories'] {
  const heads: Generic['categories']['heads'] = [];
  const of = new Map<string, string[]>();
  for (const line of dataLines('categories-zh.txt')) {
    const [left = '', right = ''] = line.split(' : ');
    const head = left.split(/\s+/).filter(Boolean).map(normalize);
    if (head.length === 0) continue;
    const id = `§c${heads.length}`;
    heads.push({ id, words: head });
    for (const w of right.split(/\s+/).filter(Boolean).map(normalize)) {
      if (head.includes(w)) continue;
      of.set(w, [...(of.get(w) ?? []), id]);
    }
  }
  return { heads, of };
}

/** The engine's own lexicon files, read once per process, and the index of their long phrases. */
function genericLexicon(): Generic {
  if (generic) return generic;
  const groups = readdirSync(here)
    // synonyms-zh.txt: words of any app or service; concepts-*-zh.txt: everyday words per area of service.
    .filter((f) => f === 'synonyms-zh.txt' || /^concepts-.+\.txt$/.test(f))
    .sort()
    .flatMap((f) => dataLines(f).map((l) => l.split(/\s+/).map(normalize)));
  // Phrases by their first two characters: finding them in a text is a lookup per position.
  const byStart = new Map<string, string[]>();
  for (const word of groups.flat()) {
    if ([...word].length < PHRASE_CHARS) continue;
    const key = word.slice(0, 2);
    const list = byStart.get(key) ?? [];
    if (!list.includes(word)) list.push(word);
    byStart.set(key, list);
  }
  generic = {
    filler: new Map(
      dataLines('filler-zh.txt').map((l) => {
        const [word = '', factor] = l.split(/\s+/);
        return [normalize(word), factor === undefined ? 0.05 : Number(factor)];
      }),
    ),
    groups,
    byStart,
    categories: readCategories(),
  };
  return generic;
}

export interface Lexicon {
  /** Weight factor of a chat filler word; 1 for ordinary words. */
  fillerFactor(word: string): number;
  /** Concept ids of a word ("§3"), shared by all its synonyms; empty when it has none. */
  concepts(word: string): readonly string[];
  /**
   * The categories a customer's word is an instance of ("猫" → the id the word "宠物" carries among
   * its concepts). For questions only: entries keep their own words, so siblings never meet.
   */
  broader(word: string): readonly string[];
  /** Words to teach the segmenter: the knowledge base's own synonyms, the generic lexicon's short words. */
  words(): Iterable<string>;
  /**
   * Where the generic lexicon's longer phrases ("会员有什么用", "充了没到") occur in a text, with their
   * concepts. They are found in the text, not taught to the segmenter: as one token they would
   * swallow the words inside them, and a knowledge base that has none of their group would then
   * not match the question at all.
   */
  phrases(text: string): { start: number; end: number; concepts: readonly string[] }[];
}

const NONE: readonly string[] = [];

/** The generic lexicon merged with the knowledge base's own synonym groups. */
export function buildLexicon(extras: KbExtras): Lexicon {
  const { filler, groups, byStart, categories } = genericLexicon();
  const concepts = new Map<string, string[]>();
  for (const { id, words } of categories.heads) {
    for (const word of words) concepts.set(word, [...(concepts.get(word) ?? []), id]);
  }
  const all = [...groups, ...extras.synonyms.map((g) => g.map(normalize))];
  all.forEach((group, i) => {
    for (const word of group) {
      const ids = concepts.get(word) ?? [];
      ids.push(`§${i}`);
      concepts.set(word, ids);
    }
  });
  const own = new Set(extras.synonyms.flat().map(normalize));
  const firstUnits = new Set([...byStart.keys()].map((k) => k.charCodeAt(0)));
  return {
    fillerFactor: (w) => filler.get(w) ?? 1,
    concepts: (w) => concepts.get(w) ?? NONE,
    broader: (w) => categories.of.get(w) ?? NONE,
    words: () => [...concepts.keys(), ...categories.of.keys()].filter((w) => own.has(w) || [...w].length < PHRASE_CHARS),
    phrases: (text) => {
      const out: { start: number; end: number; concepts: readonly string[] }[] = [];
      for (let i = 0; i + 1 < text.length; i++) {
        // Most positions start no phrase: ruled out by their first unit, without making a string.
        if (!firstUnits.has(text.charCodeAt(i))) continue;
        const list = byStart.get(text.slice(i, i + 2));
        if (!list) continue;
        // The knowledge base's own synonyms are segmenter words (words()), not phrases.
        for (const p of list) if (!own.has(p) && text.startsWith(p, i)) out.push({ start: i, end: i + p.length, concepts: concepts.get(p) ?? NONE });
      }
      return out;
    },
  };
}
