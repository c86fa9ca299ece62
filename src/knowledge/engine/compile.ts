import type { FaqEntry, KnowledgeBase } from '../types.ts';
import { defaultContrasts, type Sides } from './contrast.ts';
import { buildLexicon, type Lexicon } from './lexicon.ts';
import { entryAspects } from './aspects.ts';
import { englishIndex } from './english-index.ts';
import { Rewriter } from './rewrite.ts';
import { addWords, cut, cutForIndex, warmUp } from './segmenter.ts';
import { charBigrams, cjkRuns, normalize, pinyinOf } from './text.ts';

/** How strongly a word found in a field speaks for the entry. */
export const FIELD_STRENGTH = { question: 1, alternate: 1, keyword: 1, answer: 0.6 } as const;

export interface EntryDoc {
  entry: FaqEntry;
  /** Word or concept id → strongest field strength it appears with. */
  words: Map<string, number>;
  /** Question + alternates + keywords, normalized, one per line. */
  blob: string;
  /** The answer as plain text, normalized. */
  body: string;
  bigrams: Set<string>;
  /** Each phrasing (question, alternates) as a set of words and concepts. */
  phrasings: Set<string>[];
  /** Keywords and their concepts: words the editor says strongly signal this entry. */
  keywords: Set<string>;
  /** The keywords as written (normalized), to find them inside longer words ("专用发票"). */
  keywordList: string[];
  /** Words with letters (for typo tolerance on English: "watermrk"). */
  vocabulary: string[];
  /** Sides of contrasts (contrast.ts) the question or keywords name: what the entry is about. */
  about: Sides;
  /** Sides of contrasts named anywhere in the entry, the answer included. */
  mentions: Sides;
  /** Operations and objects (aspects.ts) named anywhere in the entry, the answer included. */
  operations: Sides;
  objects: Sides;
  /** Objects its question or keywords name: what the entry is about. */
  objectsAbout: Sides;
  /** Pinyin syllables of each Han run of the blob, computed when first needed. */
  pinyin?: string[][];
  /** The same as one string, "|syl|syl|#|syl|" (runs apart), to find a word's syllables with one search. */
  pinyinText?: string;
  /** Whether a word's syllables occur in pinyinText, by pinyinNeedle (score.ts): customers reuse their words. */
  pinyinAnswers?: Map<string, boolean>;
  /** Per phrasing, how many surface words it has (concept ids are not words): what counts against it when unsaid (score.ts). */
  phrasingWordCounts: number[];
  /** Word or concept → bit i set when phrasing i holds it (phrasings 0..30; more: see `phrasings`). */
  phrasingBits: Map<string, number>;
}

export interface Posting {
  doc: number;
  strength: number;
}

export interface PostingList {
  /** Inverse document frequency within this knowledge base, 0..1 (1 = in one entry only). */
  idf: number;
  list: Posting[];
}

export interface CompiledKb {
  docs: EntryDoc[];
  lexicon: Lexicon;
  /** Word, concept, "b:"+bigram or "p:"+pinyin of a word → entries containing it. */
  postings: Map<string, PostingList>;
  /** The bigram lists of `postings` (the same objects) by the bare bigram: no key to build per question. */
  bigramPostings: Map<string, PostingList>;
  /** Inverse document frequency within this knowledge base, 0..1 (1 = in one entry only). */
  idf(term: string): number;
  /** Words the knowledge base itself names as meaningful (keywords, synonyms). */
  meaningful: Set<string>;
  byId: Map<string, FaqEntry>;
  /** Dialect, English and pinyin input rewritten into the knowledge base's language. */
  rewriter: Rewriter;
  /**
   * pinyinKey → the words of questions, alternates and keywords that sound so: a customer's word
   * the knowledge base never uses is read as the one word of it that sounds the same (matcher.ts).
   */
  homophones: Map<string, string[]>;
  /** The same for the words as written (the segmenter's cut of questions and alternates, keywords whole): what loose characters are read as. */
  writtenSounds: Map<string, string[]>;
}

const HAN_WORD = /^\p{Script=Han}{2,}$/u;

/** The postings key of a word's toneless pinyin syllables ("p:xingcheng"): the same for its homophone typos. */
export const pinyinKey = (syllables: readonly string[]): string => `p:${syllables.join('')}`;

export function wordsOf(text: string, lexicon: Lexicon): string[] {
  const out: string[] = [];
  for (const w of cutForIndex(text)) out.push(w, ...lexicon.concepts(w));
  for (const p of lexicon.phrases(text)) out.push(...p.concepts);
  return out;
}

function compileEntry(entry: FaqEntry, lexicon: Lexicon): EntryDoc {
  const question = normalize(entry.question);
  const alternates = entry.alternates.map(normalize);
  const keywords = entry.keywords.map(normalize);
  const body = normalize(markdownWords(entry.answer));
  const words = new Map<string, number>();
  const put = (ws: string[], strength: number): void => {
    for (const w of ws) words.set(w, Math.max(words.get(w) ?? 0, strength));
  };
  put(wordsOf(body, lexicon), FIELD_STRENGTH.answer);
  const phrasings = [question, ...alternates].map((p) => new Set(wordsOf(p, lexicon)));
  phrasings.forEach((p) => put([...p], FIELD_STRENGTH.question));
  // A keyword counts whole and by its parts: "系统声音" also speaks for "声音".
  put([...keywords, ...keywords.flatMap((k) => [...lexicon.concepts(k), ...wordsOf(k, lexicon)])], FIELD_STRENGTH.keyword);
  const blob = [question, ...alternates, ...keywords].join('\n');
  const contrasts = defaultContrasts();
  // What the entry is about is what its editor wrote as its question and keywords; alternates are
  // customers' ways of asking and name devices or products in passing ("手机录的视频在哪看").
  const stated = [question, ...keywords].join('\n');
  const about = contrasts.sidesOf(stated, [...(phrasings[0] ?? []), ...keywords]);
  const mentions = contrasts.sidesOf(`${blob}\n${body}`, words.keys());
  // Categories (§c…) are not synonyms: an entry on 宠物 does not speak of every pet's operations.
  const synonyms = (w: string) => lexicon.concepts(w).filter((c) => !c.startsWith('§c'));
  const operations = entryAspects('operation', `${blob}\n${body}`, words, synonyms);
  // A thing is mentioned by its instances too: an entry on PDF speaks of a 文档.
  const instancesOf = new Map([...words.keys()].flatMap((w) => lexicon.broader(w)).map((c) => [c, 1] as const));
  const objects = entryAspects('object', `${blob}\n${body}`, new Map([...words, ...instancesOf]), (w) => lexicon.concepts(w));
  const objectsAbout = entryAspects('object', stated, new Map([...(phrasings[0] ?? [])].map((w) => [w, 1])), synonyms);
  return {
    entry,
    words,
    blob,
    body,
    bigrams: new Set(charBigrams(blob)),
    phrasings,
    keywords: new Set(keywords.flatMap((k) => [k, ...lexicon.concepts(k)])),
    keywordList: keywords.filter((k) => k.length >= 2),
    vocabulary: [...words.keys()].filter((w) => /[a-z]{3,}/.test(w)),
    about,
    mentions,
    operations,
    objects,
    objectsAbout,
    phrasingWordCounts: phrasings.map((p) => [...p].filter((w) => !w.startsWith('§')).length),
    phrasingBits: phrasingBits(phrasings),
  };
}

/** Bits per phrasing: a bitwise OR stays exact up to 31 of them; an entry with more is read set by set. */
export const MAX_PHRASING_BITS = 31;

function phrasingBits(phrasings: Set<string>[]): Map<string, number> {
  const bits = new Map<string, number>();
  if (phrasings.length > MAX_PHRASING_BITS) return bits;
  phrasings.forEach((p, i) => {
    for (const w of p) bits.set(w, (bits.get(w) ?? 0) | (1 << i));
  });
  return bits;
}

/** Markdown syntax and link targets out, words in: enough for matching, 10x cheaper than rendering. */
function markdownWords(md: string): string {
  return md.replace(/\]\([^)]*\)|https?:\/\/\S+/g, ' ').replace(/[*_`#>~|[\]()!-]+/g, ' ');
}

export function pinyinRuns(doc: EntryDoc): string[][] {
  doc.pinyin ??= cjkRuns(doc.blob).map(pinyinOf);
  return doc.pinyin;
}

/**
 * The blob's pinyin as one string (see EntryDoc.pinyinText): `pinyinNeedle(syllables)` occurs in
 * it exactly when the syllables occur in order inside one run. Syllables are letters (or a Han
 * character pinyin-pro cannot read), never "|" or "#".
 */
export function pinyinText(doc: EntryDoc): string {
  doc.pinyinText ??= pinyinRuns(doc)
    .map((run) => `|${run.join('|')}|`)
    .join('#');
  return doc.pinyinText;
}

export const pinyinNeedle = (syllables: readonly string[]): string => `|${syllables.join('|')}|`;

function addSound(map: Map<string, string[]>, key: string, word: string): void {
  const sounding = map.get(key);
  if (!sounding) map.set(key, [word]);
  else if (!sounding.includes(word)) sounding.push(word);
}

export function compile(kb: KnowledgeBase): CompiledKb {
  // The shared tables load here, so the first question does not pay for them.
  warmUp();
  englishIndex();
  const lexicon = buildLexicon(kb.extras);
  const meaningful = new Set<string>();
  for (const e of kb.entries) for (const k of e.keywords) meaningful.add(normalize(k));
  for (const g of kb.extras.synonyms) for (const w of g) meaningful.add(normalize(w));
  addWords([...meaningful, ...kb.extras.words.map(normalize), ...lexicon.words()]);

  const docs = kb.entries.map((e) => compileEntry(e, lexicon));
  const postings = new Map<string, PostingList>();
  const homophones = new Map<string, string[]>();
  const post = (term: string, doc: number, strength: number): void => {
    const p = postings.get(term);
    if (p) p.list.push({ doc, strength });
    else postings.set(term, { idf: 1, list: [{ doc, strength }] });
  };
  docs.forEach((d, i) => {
    for (const [w, s] of d.words) {
      post(w, i, s);
      // Homophone typos of the entry's own words ("形成单" for 行程单) are found by their pinyin.
      if (s >= FIELD_STRENGTH.question && HAN_WORD.test(w)) {
        const key = pinyinKey(pinyinOf(w));
        post(key, i, s);
        addSound(homophones, key, w);
      }
    }
    for (const b of d.bigrams) post(`b:${b}`, i, 1);
  });

  // What loose characters are read as: the words the editors wrote as the segmenter cuts them (and
  // keywords whole), not the index's sub-words ("想投" is not "像头" of 摄像头).
  const writtenSounds = new Map<string, string[]>();
  for (const e of kb.entries) {
    const written = [e.question, ...e.alternates].flatMap((t) => cut(normalize(t)));
    for (const w of [...written, ...e.keywords.map(normalize)]) if (HAN_WORD.test(w)) addSound(writtenSounds, pinyinKey(pinyinOf(w)), w);
  }

  const n = docs.length;
  const maxIdf = Math.log(1 + (n - 0.5) / 1.5);
  if (maxIdf > 0) {
    for (const p of postings.values()) p.idf = Math.log(1 + (n - p.list.length + 0.5) / (p.list.length + 0.5)) / maxIdf;
  }
  const idf = (term: string): number => postings.get(term)?.idf ?? 1;
  const vocabulary = [...postings.keys()].filter((w) => !w.startsWith('§') && !w.startsWith('b:') && !w.startsWith('p:'));
  const rewriter = new Rewriter(
    new Set(vocabulary.filter((w) => /^[a-z][a-z0-9]*$/.test(w))),
    () => vocabulary.filter((w) => /^\p{Script=Han}{2,}$/u.test(w)),
    (w) => postings.has(w) || lexicon.concepts(w).some((c) => postings.has(c)),
  );
  const bigramPostings = new Map<string, PostingList>();
  for (const [key, p] of postings) if (key.startsWith('b:')) bigramPostings.set(key.slice(2), p);
  return { docs, lexicon, postings, bigramPostings, idf, meaningful, byId: new Map(kb.entries.map((e) => [e.id, e])), rewriter, homophones, writtenSounds };
}
