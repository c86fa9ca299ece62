import type { AnsweredQuestion, FaqEntry, KnowledgeBase, MatchCandidate, MatchResult, Thresholds } from '../types.ts';
import { compile, pinyinKey, type CompiledKb, type EntryDoc } from './compile.ts';
import { clash, defaultContrasts, type Clash, type Sides } from './contrast.ts';
import { answerExcerpt, touchesAnswer } from './excerpt.ts';
import { toSimplified } from './simplified.ts';
import { defaultModel, linear, sigmoid, type ConfidenceModel, type ModelInput } from './model.ts';
import { askedFamilies, askedObjects, askedOperations, aspectScanner, unmentioned, type AnyOf } from './aspects.ts';
import { MAX_QUERY_CHARS, parseQuery, type Query, type QueryTerm } from './query.ts';
import { questionParts } from './questions.ts';
import { ASKS } from './focus.ts';
import { makeLookalikes, selfCalibrate, type SelfCalibration } from './self-calibrate.ts';
import { BROADER_MATCH, features, PINYIN_MATCH, queryFacts, typoMatches } from './score.ts';
import { charBigrams, isCjkWord, normalize, pinyinOf } from './text.ts';

export interface MatcherOptions {
  thresholds?: Partial<Thresholds>;
  model?: ConfidenceModel;
  /** Entries re-scored in detail after the index lookup. */
  shortlist?: number;
}

export interface RankedEntry {
  id: string;
  score: number;
  input: ModelInput;
  /**
   * Score already lowered: the entry is about another side of a contrast than the question
   * (contrast.ts), or never speaks of an operation or thing the question asks about (aspects.ts).
   */
  lowered: Lowered;
}

/** Why a score was lowered after the model (see `reported`), or null. */
export type Lowered = 'contrast' | 'operation' | 'object' | null;

/** Word evidence outweighs bigram evidence; bigrams catch what segmentation split differently. */
const BIGRAM_WEIGHT = 0.3;
const MAX_SUGGESTIONS = 3;
const PART_WEIGHT = 0.5;
const NEGLIGIBLE = 0.01;
/** A term weighing this much says something of what is asked (question words apart: 怎么, 在哪, 吗). */
const SAYS_SOMETHING = 0.3;
/** Evidence gap (0..1) to the runner-up under which the best entry is not a clear winner. */
const AMBIGUOUS_MARGIN = 0.05;
/** Confidence gap under which two entries both past the answer threshold are a tie all the same. */
const TIE = 0.03;
/**
 * Confidence kept by an entry about another side of a contrast than the question's (contrast.ts):
 * low enough that it is at most suggested, so the customer, not the bot, says whether it fits.
 */
const CONTRAST_FACTOR = 0.5;
/**
 * Highest confidence of an entry that never speaks of an operation or object the question asks
 * about (aspects.ts): it may still be what the customer means ("行程单怎么打印" for an entry on
 * getting the itinerary), so it stays a suggestion rather than sinking; it is never answered directly.
 */
const ASPECT_CAP = 0.6;

/** A confidence as the matcher reports it: the model's, lowered after it (`npm run calibrate` too). */
export const reported = (modelScore: number, lowered: Lowered): number =>
  lowered === 'contrast' ? modelScore * CONTRAST_FACTOR : lowered ? Math.min(modelScore, ASPECT_CAP) : modelScore;

/**
 * Retrieval in two steps: an inverted index over words, synonym concepts and character
 * bigrams finds a shortlist cheaply; each shortlisted entry is then compared with the
 * question in detail (substrings, homophones, typos, closest phrasing) and the confidence
 * model turns that evidence into a probability of being the right answer.
 */
export class Matcher {
  readonly kb: KnowledgeBase;
  readonly thresholds: Thresholds;
  private readonly compiled: CompiledKb;
  private readonly model: ConfidenceModel;
  private readonly shortlist: number;
  /** Scratch buffers reused across questions (matching is synchronous, so never shared). */
  private scores = new Float64Array(0);
  private termBest = new Float64Array(0);

  constructor(kb: KnowledgeBase, opts: MatcherOptions = {}) {
    this.kb = kb;
    this.model = opts.model ?? defaultModel();
    this.thresholds = { ...this.model.thresholds, ...definedOnly(opts.thresholds ?? {}) };
    this.shortlist = opts.shortlist ?? 8;
    this.compiled = compile(kb);
  }

  /**
   * This knowledge base's own operating point (see self-calibrate.ts), for the model this matcher
   * uses. Costs a few compiles of the knowledge base: call it once per version, off the hot path.
   */
  selfCalibrate(): SelfCalibration {
    const model = this.model;
    const rank = (kb: KnowledgeBase) => {
      const m = kb === this.kb ? this : new Matcher(kb, { model });
      return (q: string) => m.rank(q);
    };
    return selfCalibrate(this.kb, this.compiled, rank, model.thresholds);
  }

  /** Look-alike questions made from this knowledge base's phrasings (for calibration). */
  lookalikes(): { q: string; resembles: string }[] {
    return makeLookalikes(this.kb, this.compiled);
  }

  entry(id: string): FaqEntry | undefined {
    return this.compiled.byId.get(id);
  }

  /**
   * The one line of entry `id`'s answer that speaks of `question`, a follow-up to it (excerpt.ts);
   * given several readings of it (the message, then its clauses), of the first that one line speaks
   * of. `context`, what the customer said before, picks among several lines that do.
   */
  excerpt(id: string, question: string | readonly string[], context?: string): string | undefined {
    const doc = this.compiled.docs.find((d) => d.entry.id === id);
    if (!doc) return undefined;
    let before: Query | undefined;
    for (const q of typeof question === 'string' ? [question] : question) {
      const text = toSimplified(q.slice(0, MAX_QUERY_CHARS));
      if (!touchesAnswer(doc, normalize(text))) continue;
      // Read once for all the readings.
      before ??= context ? this.parse(toSimplified(context.slice(0, MAX_QUERY_CHARS))) : undefined;
      const line = answerExcerpt(doc, this.parse(text), this.compiled.lexicon, before);
      if (line) return line;
    }
    return undefined;
  }

  match(asked: string): MatchResult {
    const question = toSimplified(asked.slice(0, MAX_QUERY_CHARS));
    const whole = this.decide(question);
    const parts = questionParts(question);
    return parts.length < 2 ? whole : (this.several(whole, parts) ?? whole);
  }

  /**
   * A message that asks several things, each answered with confidence by a different entry: all of
   * them, the whole message's best entry first when it is one of them. Undefined (the whole
   * message's decision stands) when fewer than two parts are answered, or when the whole message
   * is answered confidently with an entry no part is.
   */
  private several(whole: MatchResult, parts: readonly string[]): MatchResult | undefined {
    let questions: AnsweredQuestion[] = [];
    for (const text of parts) {
      const r = this.decide(text);
      if (r.decision !== 'answer' || r.id === null || questions.some((q) => q.id === r.id)) continue;
      questions.push({ id: r.id, score: r.score, text });
    }
    // A part that only repeats words of another ("怎么申请退款 在哪申请": 在哪申请 is where to apply for
    // the refund) continues that question; alone it found another entry (申请开票). Read only when
    // parts found two entries, which few messages do.
    if (questions.length >= 2) {
      const words = parts.map((text) => new Set(this.parse(toSimplified(text)).terms.filter((t) => t.weight >= SAYS_SOMETHING && !ASKS.test(t.text)).map((t) => t.text)));
      const continues = (text: string): boolean => {
        const own = words[parts.indexOf(text)]!;
        return own.size === 1 && words.some((other) => other !== own && other.size > 1 && [...own].every((w) => other.has(w)));
      };
      questions = questions.filter((q) => !continues(q.text));
    }
    if (questions.length < 2) return undefined;
    const lead = questions.find((q) => q.id === whole.id);
    if (whole.decision === 'answer' && !lead) return undefined;
    const first = lead ?? questions[0]!;
    return { decision: 'answer', id: first.id, score: lead && whole.decision === 'answer' ? whole.score : first.score, candidates: whole.candidates, questions };
  }

  /** The decision for one question (match() reads several questions of one message apart). */
  private decide(question: string): MatchResult {
    const ranked = this.rankSimplified(question);
    const best = ranked[0];
    if (!best) return { decision: 'handoff', id: null, score: 0, candidates: [] };
    const { answer, suggest } = this.thresholds;
    // Two entries that explain the question equally well: answering either is a coin toss,
    // whatever the confidence in each; let the customer pick.
    const runnerUp = ranked[1];
    const ambiguous =
      runnerUp !== undefined &&
      ((best.input.margin < AMBIGUOUS_MARGIN && runnerUp.score >= suggest) || (runnerUp.score >= answer && best.score - runnerUp.score < TIE));
    // A lowered entry is never answered, whatever thresholds configuration sets.
    const decision = best.score >= answer && !ambiguous && !best.lowered ? 'answer' : best.score >= suggest ? 'suggest' : 'handoff';
    // Suggest only entries that are plausible next to the best one; one that shares nothing with
    // the question (rank still reports the first entry, at 0) is no candidate at all.
    const floor = Math.max(suggest / 2, best.score / 4);
    const candidates: MatchCandidate[] = ranked
      .filter((r, i) => (i === 0 || r.score >= floor) && round(r.score) > 0)
      .slice(0, MAX_SUGGESTIONS)
      .map((r) => ({ id: r.id, score: round(r.score) }));
    return { decision, id: best.id, score: round(best.score), candidates };
  }

  /** The question's terms, read against this knowledge base's words. */
  private parse(question: string): Query {
    const kb = this.compiled;
    const known = (w: { text: string; concepts: readonly string[] }): boolean => kb.postings.has(w.text) || w.concepts.some((c) => kb.postings.has(c));
    const query = parseQuery(
      question,
      kb.lexicon,
      kb.meaningful,
      (t, alt) => kb.rewriter.rewrite(t, alt),
      (chars) => (known({ text: chars, concepts: kb.lexicon.concepts(chars) }) ? undefined : soundsLike(chars, kb.writtenSounds)),
    );
    for (const t of query.terms) {
      if (!known(t)) heardAs(query, t, kb);
      // A category bridges a word the knowledge base never uses ("猫" to its "宠物"); a word it does
      // use is evidence enough, and its category would only pull in every entry naming the category.
      if (t.broader && known(t)) t.broader = undefined;
      for (const p of t.parts ?? []) if (p.broader && known(p)) p.broader = undefined;
    }
    return query;
  }

  /** Every shortlisted entry with its evidence, best first (for calibration and `kb ask`). */
  rank(question: string): RankedEntry[] {
    return this.rankSimplified(toSimplified(question));
  }

  /** `rank` of a question already in simplified characters (match() converts it once). */
  private rankSimplified(question: string): RankedEntry[] {
    const kb = this.compiled;
    const query = this.parse(question);
    const shortlist = this.retrieve(query);
    if (shortlist.length === 0) {
      // Nothing shared at all: report the menu's first entry with zero confidence.
      const first = kb.docs[0];
      return first ? [{ id: first.entry.id, score: 0, input: zeroInput(), lowered: null }] : [];
    }
    const docs = shortlist.map((i) => kb.docs[i]!);
    const typos = typoMatches(query.terms, docs);
    const facts = queryFacts(query, kb);
    const feats = docs.map((d) => features(query, d, facts, typos));
    const value = feats.map((f) => 0.5 * f.coverage + 0.3 * f.discriminative + 0.2 * f.phrasing);
    // Margin: against the best other entry (the runner-up for the best, the best for the rest).
    let first = -1;
    let second = -1;
    for (const v of value) {
      if (v > first) [first, second] = [v, first];
      else if (v > second) second = v;
    }
    const asked = askedOf(query);
    const ranked = docs.map((d, i) => {
      const v = value[i]!;
      const input = { ...feats[i]!, margin: v - (v === first ? Math.max(second, 0) : first) };
      const lowered = lowering(asked, d)?.kind ?? null;
      return { id: d.entry.id, score: reported(sigmoid(linear(this.model, input)), lowered), input, lowered, value: v };
    });
    ranked.sort((a, b) => b.score - a.score || b.value - a.value);
    return ranked.map(({ id, score, input, lowered }) => ({ id, score, input, lowered }));
  }

  /**
   * Why an entry was lowered for this question, for `kb ask` and `kb eval`: the alternatives that
   * clash ("the question and this entry name different alternatives (取消 ≠ 开通)") or the operation
   * or thing the entry never speaks of; null when it was not lowered.
   */
  loweredNote(question: string, id: string): string | null {
    const kb = this.compiled;
    const doc = kb.docs.find((d) => d.entry.id === id);
    if (!doc) return null;
    const why = lowering(askedOf(this.parse(question)), doc);
    if (!why) return null;
    if (why.kind === 'contrast') {
      const c = why.clash;
      const words = (sides: number[]) => sides.map((s) => defaultContrasts().word(c.set, s)).join('/');
      return `the question and this entry name different alternatives (${words(c.asked)} ≠ ${words(c.about)})`;
    }
    const word = aspectScanner(why.kind).word(why.set, 0);
    return why.kind === 'operation' ? `the question asks to ${word}, which this entry never mentions` : `the question is about ${word}, which this entry never mentions`;
  }

  /**
   * The entry this question would have been answered with but for a lowering, with why (see
   * loweredNote); null when no lowering changed the decision. For `kb eval`.
   */
  heldBack(question: string): { id: string; note: string } | null {
    const held = this.rank(question).find((r) => r.lowered && sigmoid(linear(this.model, r.input)) >= this.thresholds.answer);
    const note = held ? this.loweredNote(question, held.id) : null;
    return held && note ? { id: held.id, note } : null;
  }

  private retrieve(query: Query): number[] {
    const kb = this.compiled;
    const n = kb.docs.length;
    if (this.scores.length !== n) {
      this.scores = new Float64Array(n);
      this.termBest = new Float64Array(n);
    }
    const { scores, termBest } = this;
    const touched: number[] = [];
    const add = (doc: number, s: number): void => {
      if (scores[doc] === 0) touched.push(doc);
      scores[doc]! += s;
    };
    // A word and its synonym concept count once per entry: the better of the two.
    const termDocs: number[] = [];
    let weight = 0;
    const visit = (key: string, scale: number): void => {
      const p = kb.postings.get(key);
      if (!p) return;
      const w = weight * p.idf * scale;
      // Filler and words in nearly every entry rank nothing, but walking them costs the most.
      if (w < NEGLIGIBLE) return;
      for (const { doc, strength } of p.list) {
        if (termBest[doc] === 0) termDocs.push(doc);
        termBest[doc] = Math.max(termBest[doc]!, w * strength);
      }
    };
    for (const term of query.terms) {
      weight = term.weight;
      visit(term.text, 1);
      for (const c of term.concepts) visit(c, 1);
      if (term.broader) for (const c of term.broader) visit(c, BROADER_MATCH);
      // A run of loose characters ("扫完码锁") is looked up whole and by its characters (at half weight).
      if (term.text.length >= 2 && isCjkWord(term.text) && !kb.postings.has(term.text)) {
        term.pinyin ??= pinyinOf(term.text);
        visit(pinyinKey(term.pinyin), PINYIN_MATCH);
      }
      if (term.parts) {
        for (const part of term.parts) {
          visit(part.text, PART_WEIGHT);
          if (part.broader) for (const c of part.broader) visit(c, PART_WEIGHT * BROADER_MATCH);
        }
      }
      for (const doc of termDocs) {
        add(doc, termBest[doc]!);
        termBest[doc] = 0;
      }
      termDocs.length = 0;
    }
    const bigramScale = BIGRAM_WEIGHT / Math.max(1, query.bigrams.length / 4);
    for (const b of query.bigrams) {
      const p = kb.bigramPostings.get(b);
      if (!p || bigramScale * p.idf < NEGLIGIBLE) continue;
      for (const { doc } of p.list) add(doc, bigramScale * p.idf);
    }
    const best = topK(touched, scores, this.shortlist);
    for (const doc of touched) scores[doc] = 0;
    return best;
  }
}

/** The one word of the knowledge base's questions, alternates and keywords that sounds like `chars` (not `chars` itself). */
function soundsLike(chars: string, sounds: ReadonlyMap<string, string[]>, syllables: readonly string[] = pinyinOf(chars)): string | undefined {
  const sounding = sounds.get(pinyinKey(syllables));
  return sounding?.length === 1 && sounding[0] !== chars ? sounding[0] : undefined;
}

/**
 * An input-method slip ("消卡" for 销卡, "红保" for 红包): a word of two or more characters the
 * knowledge base never uses that sounds exactly like one word of its questions, alternates or
 * keywords is read as that word, so it counts in the phrasing and character evidence as if typed
 * right. A sound shared by several of its words is left alone (the pinyin evidence still finds
 * each of them, at PINYIN_MATCH).
 */
function heardAs(query: Query, t: QueryTerm, kb: CompiledKb): void {
  if (t.text.length < 2 || !isCjkWord(t.text)) return;
  t.pinyin ??= pinyinOf(t.text);
  const word = soundsLike(t.text, kb.homophones, t.pinyin);
  if (word === undefined || query.weightOf.has(word)) return;
  query.weightOf.delete(t.text);
  query.weightOf.set(word, t.weight);
  const typed = new Set(charBigrams(t.text));
  query.bigrams = [...new Set([...query.bigrams.filter((b) => !typed.has(b)), ...charBigrams(word)])];
  t.text = word;
  t.concepts = kb.lexicon.concepts(word);
  t.broader = undefined;
  t.parts = undefined;
  t.subwords = undefined;
}

/** The contrast sides the customer asks about (their own words, not what they negate). */
function askedSides(query: Query): Sides {
  return defaultContrasts().askedSides(query.text, query.focus, query.terms.flatMap((t) => [t.text, ...(t.parts ?? []).map((p) => p.text)]));
}

/** What a question asks that an entry may fail to speak of: contrast sides, operations, things. */
interface Asked {
  sides: Sides;
  operations: Sides;
  objects: Sides;
  /** Groups asked only as translations of one English word: an entry that speaks of one of them speaks of what was asked. */
  eitherOf: AnyOf;
}

function askedOf(query: Query): Asked {
  // The words are for one-character verbs (买, 租).
  const operations = askedOperations(aspectScanner('operation'), query, query.terms.map((t) => t.text));
  let eitherOf = query.alternatives.length > 0 ? alternativesOf(query.alternatives) : NO_ALTERNATIVES;
  // "能退吗": one of 退款, 退货, 退订 … (aspects.ts askedFamilies), unless the question names one itself.
  const families = askedFamilies(query).filter((sets) => !sets.some((set) => operations.has(set)));
  if (families.length > 0) {
    for (const sets of families) for (const set of sets) operations.set(set, new Set([0]));
    eitherOf = { ...eitherOf, operation: [...eitherOf.operation, ...families] };
  }
  return { sides: askedSides(query), operations, objects: askedObjects(aspectScanner('object'), query), eitherOf };
}

const NO_ALTERNATIVES: AnyOf = { operation: [], object: [] };

/** The aspect groups each English word's translations name ("book" -> 预订 预约: either). */
function alternativesOf(translations: readonly string[]): AnyOf {
  const of = (aspect: 'operation' | 'object'): number[][] =>
    translations.map((zh) => [...aspectScanner(aspect).sidesOf(zh, zh.split(' ')).keys()]).filter((groups) => groups.length > 1);
  return { operation: of('operation'), object: of('object') };
}

type Lowering = { kind: 'contrast'; clash: Clash } | { kind: 'operation' | 'object'; set: number };

/** Why an entry is lowered for a question (see `reported`), or null: the one rule the ranking and its explanation share. */
function lowering(asked: Asked, d: EntryDoc): Lowering | null {
  const c = asked.sides.size > 0 ? clash(asked.sides, d.about, d.mentions) : null;
  if (c) return { kind: 'contrast', clash: c };
  const op = asked.operations.size > 0 ? unmentioned(asked.operations, d.operations, asked.eitherOf.operation) : null;
  if (op !== null) return { kind: 'operation', set: op };
  // An entry that never mentions the thing asked about (nor an instance of it): "删除的评论怎么恢复"
  // against "删除的项目怎么恢复", "携号转网以后积分还能用吗" against "如何办理携号转网". Left alone, entries
  // about an operation alone answered such traps; no in-scope question of the sets needed that.
  const thing = asked.objects.size > 0 ? unmentioned(asked.objects, d.objects, asked.eitherOf.object) : null;
  return thing === null ? null : { kind: 'object', set: thing };
}

/** The k best-scoring docs, best first (ties: knowledge-base order), without sorting them all. */
function topK(docs: number[], scores: Float64Array, k: number): number[] {
  const better = (a: number, b: number): boolean => scores[a]! > scores[b]! || (scores[a] === scores[b] && a < b);
  const top: number[] = [];
  for (const doc of docs) {
    if (top.length === k && !better(doc, top[k - 1]!)) continue;
    let i = Math.min(top.length, k - 1);
    while (i > 0 && better(doc, top[i - 1]!)) {
      top[i] = top[i - 1]!;
      i--;
    }
    top[i] = doc;
  }
  return top;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function zeroInput(): ModelInput {
  return { coverage: 0, discriminative: 0, phrasing: 0, bigrams: 0, miss: 1, keyword: 0, mass: 0, evidence: 0, margin: 0 };
}
