import { readFileSync } from 'node:fs';
import type { KbExtras } from '../types.ts';
import { normalize } from './text.ts';

const here = new URL('./lexicon/', import.meta.url);

function dataLines(name: string): string[] {
  return readFileSync(new URL(name, here), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

let generic: { filler: Map<string, number>; groups: string[][] } | undefined;

/** The engine's own lexicon files, read once per process. */
function genericLexicon(): NonNullable<typeof generic> {
  generic ??= {
    filler: new Map(
      dataLines('filler-zh.txt').map((l) => {
        const [word = '', factor] = l.split(/\s+/);
        return [normalize(word), factor === undefined ? 0.05 : Number(factor)];
      }),
    ),
    groups: dataLines('synonyms-zh.txt').map((l) => l.split(/\s+/).map(normalize)),
  };
  return generic;
}

export interface Lexicon {
  /** Weight factor of a chat filler word; 1 for ordinary words. */
  fillerFactor(word: string): number;
  /** Concept ids of a word ("§3"), shared by all its synonyms; empty when it has none. */
  concepts(word: string): readonly string[];
  /** Every word that belongs to some synonym group (to teach the segmenter). */
  words(): Iterable<string>;
}

const NONE: readonly string[] = [];

/** The generic lexicon merged with the knowledge base's own synonym groups. */
export function buildLexicon(extras: KbExtras): Lexicon {
  const { filler, groups } = genericLexicon();
  const concepts = new Map<string, string[]>();
  const all = [...groups, ...extras.synonyms.map((g) => g.map(normalize))];
  all.forEach((group, i) => {
    for (const word of group) {
      const ids = concepts.get(word) ?? [];
      ids.push(`§${i}`);
      concepts.set(word, ids);
    }
  });
  return {
    fillerFactor: (w) => filler.get(w) ?? 1,
    concepts: (w) => concepts.get(w) ?? NONE,
    words: () => concepts.keys(),
  };
}
