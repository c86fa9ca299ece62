import { englishIndex } from './english-index.ts';
import { dataLines } from './lexicon.ts';
import { PinyinIndex, syllabify } from './pinyin-input.ts';
import { normalize } from './text.ts';

/**
 * What customers type that is not the FAQ's script, rewritten before matching: dialect and
 * internet spellings ("木有" -> "没有"), English words and questions ("how do I get a refund" ->
 * 退款), and pinyin typed without the input method ("tuikuan zenme tui" -> 退款怎么退). Words
 * the knowledge base itself uses in Latin letters ("vip", "gif") are left as they are.
 */

interface Tables {
  colloquial: { pattern: RegExp; to: Map<string, string> } | undefined;
  english: Map<string, string>;
  stop: Set<string>;
  longestPhrase: number;
}
let tables: Tables | undefined;

function load(): Tables {
  if (tables) return tables;
  const to = new Map<string, string>();
  for (const line of dataLines('colloquial-zh.txt')) {
    const [from, into] = line.split(/\s+/);
    if (from && into) to.set(normalize(from), normalize(into));
  }
  const alternation = [...to.keys()].sort((a, b) => b.length - a.length).map(escape).join('|');
  const english = new Map<string, string>();
  const stop = new Set<string>();
  let longestPhrase = 1;
  for (const line of dataLines('en-zh.txt')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const left = normalize(line.slice(0, eq));
    const right = line.slice(eq + 1).trim();
    if (left === 'stop-words') {
      for (const w of right.split(/\s+/)) stop.add(normalize(w));
      continue;
    }
    english.set(left, right);
    longestPhrase = Math.max(longestPhrase, left.split(' ').length);
  }
  tables = { colloquial: alternation ? { pattern: new RegExp(alternation, 'g'), to } : undefined, english, stop, longestPhrase };
  return tables;
}

/** Dictionary words offered for one English word: more would let a vague word match everything. */
const MAX_DICTIONARY_WORDS = 3;

/** The word, then what it may be an inflection of ("batteries" -> battery, "charged" -> charge, charg). */
export function baseForms(w: string): string[] {
  const out = [w];
  const add = (f: string): void => {
    if (f.length >= 3 && !out.includes(f)) out.push(f);
  };
  if (w.endsWith("'s")) add(w.slice(0, -2));
  if (w.endsWith('ies') || w.endsWith('ied')) add(`${w.slice(0, -3)}y`);
  if (w.endsWith('es')) add(w.slice(0, -2));
  if (w.endsWith('s') && !w.endsWith('ss')) add(w.slice(0, -1));
  for (const suffix of ['ed', 'ing', 'er', 'est']) {
    if (!w.endsWith(suffix)) continue;
    const stem = w.slice(0, -suffix.length);
    add(stem);
    add(`${stem}e`);
    // A doubled consonant: "stopped" -> stop.
    if (stem.length >= 3 && stem.at(-1) === stem.at(-2)) add(stem.slice(0, -1));
    if (stem.endsWith('i')) add(`${stem.slice(0, -1)}y`);
  }
  return out;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Latin words (with inner apostrophes and hyphens: "don't", "check-in"), separated by spaces only. */
const LATIN_RUN = /[a-z][a-z0-9'-]*(?: +[a-z][a-z0-9'-]*)*/g;

export class Rewriter {
  private pinyinIndex: PinyinIndex | undefined;

  /**
   * @param latinWords Latin-letter words of the knowledge base, kept as they are
   * @param hanWords the knowledge base's Han words (built into a pinyin index when first needed)
   * @param knows whether the knowledge base uses a Chinese word (or a synonym of it): the dictionary
   *   fallback for English offers only those
   */
  constructor(
    private readonly latinWords: ReadonlySet<string>,
    private readonly hanWords: () => Iterable<string>,
    private readonly knows: (word: string) => boolean = () => false,
  ) {}

  /**
   * `text` must be normalized (NFKC, lower case). `alternatives` collects each English word's
   * translation that offers several Chinese words ("book" -> "预订 预约 订"): the customer meant
   * one of them, not all (see matcher.ts, askedOf).
   */
  rewrite(text: string, alternatives?: string[]): string {
    const t = load();
    let out = t.colloquial ? text.replace(t.colloquial.pattern, (m) => t.colloquial!.to.get(m) ?? m) : text;
    if (/[a-z]/.test(out)) out = out.replace(LATIN_RUN, (run) => this.latin(run, alternatives));
    return out;
  }

  private latin(run: string, alternatives?: string[]): string {
    const t = load();
    const words = run.split(' ');
    // English when most words are English (or the knowledge base's own); pinyin when most are not.
    let english = 0;
    let pinyinOnly = 0;
    for (const w of words) {
      if (t.english.has(w) || t.stop.has(w) || this.latinWords.has(w)) english++;
      else if (/^[a-z'-]+$/.test(w) && syllabify(w.replace(/['-]/g, ''))) pinyinOnly++;
      else if (baseForms(w).some((b) => t.english.has(b) || englishIndex().has(b))) english++;
    }
    if (pinyinOnly > english) return this.fromPinyin(words);
    const out: string[] = [];
    for (let i = 0; i < words.length; ) {
      let taken = 0;
      for (let len = Math.min(t.longestPhrase, words.length - i); len >= 1; len--) {
        const phrase = words.slice(i, i + len).join(' ');
        const listed = t.english.get(phrase);
        const zh = this.latinWords.has(phrase) && len === 1 ? phrase : listed !== undefined ? this.inThisFaq(listed) : this.unlisted(phrase, len);
        if (zh === undefined) continue;
        out.push(zh);
        if (alternatives && zh.includes(' ')) alternatives.push(zh);
        taken = len;
        break;
      }
      if (taken === 0) {
        const w = words[i]!;
        if (!t.stop.has(w)) out.push(w);
        taken = 1;
      }
      i += taken;
    }
    // Spaces keep the words apart for the segmenter and never join two Han words by accident.
    return ` ${out.join(' ')} `;
  }

  /**
   * The curated senses this knowledge base speaks of: "check in" is 值机 at an airline and 入住 at a
   * hotel. None of them in the FAQ: all of them (a word the FAQ lacks still counts as unexplained).
   * Not the dictionary's senses then: its glosses are too broad for a word the table already reads
   * ("power" is 权力 and 次数 there).
   */
  private inThisFaq(listed: string): string {
    const senses = listed.split(' ');
    if (senses.length === 1) return listed;
    const known = senses.filter(this.knows);
    return known.length > 0 ? known.join(' ') : listed;
  }

  /**
   * English the curated table lacks as written: an inflection of a word it has ("refunding"), else
   * the dictionary's words for it that this knowledge base uses ("abroad" -> its 境外). Undefined
   * when neither knows it: the word is kept as typed.
   */
  private unlisted(phrase: string, words: number): string | undefined {
    const t = load();
    if (words > 2 || t.stop.has(phrase)) return undefined;
    const forms = words === 1 ? baseForms(phrase) : [phrase];
    for (const f of forms.slice(1)) {
      const zh = t.english.get(f);
      if (zh !== undefined) return zh;
    }
    for (const f of forms) {
      const known = (englishIndex().get(f) ?? []).filter(this.knows);
      if (known.length > 0) return known.slice(0, MAX_DICTIONARY_WORDS).join(' ');
    }
    return undefined;
  }

  private fromPinyin(words: string[]): string {
    const syllables: string[] = [];
    const kept: string[] = [];
    for (const w of words) {
      const s = this.latinWords.has(w) || !/^[a-z'-]+$/.test(w) ? undefined : syllabify(w.replace(/['-]/g, ''));
      if (s) syllables.push(...s);
      else kept.push(w);
    }
    this.pinyinIndex ??= new PinyinIndex(this.hanWords());
    const han = this.pinyinIndex.toHan(syllables);
    return ` ${[han, ...kept].filter(Boolean).join(' ')} `;
  }
}
