/**
 * Learning from traffic (QnA Maker's active learning, stricter): what customers' questions mean,
 * proven by what they and the agents did, turned into alternates for editors to accept, and the
 * answers the bot gave confidently that were wrong.
 *
 * Evidence that a question means an entry: the customer picked it from "did you mean", said an
 * answer helped, or an agent sent its answer in the handed-off chat. Evidence that an answer was
 * wrong: "没解决", 转人工 right after it, or an agent sending a different entry's answer. Questions
 * are compared as phrasings (phraseKey: width, case, spaces and punctuation ignored), so the same
 * words typed twice are one proposal with a count. Each conversation confirms a phrasing once.
 *
 * An automatic adoption needs `threshold` (at least 2) conversations agreeing, and nothing against:
 * no evidence that the phrasing means another entry, and no rejection of this entry's answer to it.
 * Storage is the caller's (the handoff keeps evidence and decisions in Redis); this is pure, apart
 * from `adoptConfirmed`, which edits the files through edit.ts.
 */
import { cut } from './engine/segmenter.ts';
import { normalize } from './engine/text.ts';
import { addAlternate, KbEditError, MAX_PHRASE_CHARS, phraseKey } from './edit.ts';
import { unsafeText } from './safe-text.ts';
import type { KnowledgeBase } from './types.ts';
import { decisionKey, MIN_AUTO_THRESHOLD, type AdoptionFacts } from '../learning-rules.ts';

export type EvidenceKind = 'picked' | 'helpful' | 'agent' | 'rejected' | 'not_helpful';

/** One piece of evidence, as the handoff records it (its `Evidence`). */
export interface EvidenceInput {
  kind: EvidenceKind;
  conv: string;
  /** picked / helpful / agent: the entry meant; rejected / not_helpful: the entry whose answer was wrong. */
  faqId: string;
  /** The customer's question. */
  text: string;
  /** agent: the entry the bot had answered the question with (a different one: the bot was wrong). */
  botFaqId?: string | null;
  /** ISO time. */
  at: string;
}

export interface AlternateProposal {
  /** The entry the phrasing would join. */
  faqId: string;
  /** The newest wording of the phrasing. */
  text: string;
  /** The phrasing normalized: one decision per entry and key. */
  key: string;
  /** Evidence entries, and the distinct conversations they came from (the confirmations). */
  count: number;
  convs: number;
  kinds: { picked: number; helpful: number; agent: number };
  lastAt: string;
  /** The newest conversation that confirmed it. */
  conv: string;
  /** Why it is never adopted automatically (null: nothing against it). */
  conflict: { entries: { id: string; convs: number }[]; rejected: number } | null;
}

export interface ProposalGroup {
  id: string;
  question: string;
  proposals: AlternateProposal[];
}

/** An answer the bot gave that the customer or an agent showed to be wrong. */
export interface WrongAnswer {
  /** The entry the bot answered with. */
  faqId: string;
  /** The customer's words (the newest wording). */
  text: string;
  key: string;
  count: number;
  convs: number;
  kinds: { not_helpful: number; rejected: number; corrected: number };
  /** The entries agents sent instead, most often first. */
  corrections: { id: string; count: number }[];
  lastAt: string;
  conv: string;
}

export interface LearningReport {
  /** By entry, the entry with the best-confirmed phrasing first. */
  proposals: ProposalGroup[];
  wrongAnswers: WrongAnswer[];
}

export interface LearnOptions {
  /** "<faq id>|<phrase key>" editors dismissed (or undid): not proposed again, not listed as a wrong answer. */
  dismissed?: ReadonlySet<string>;
  /** Most wrong answers listed (default 100). */
  wrongLimit?: number;
}

const POSITIVE = new Set<EvidenceKind>(['picked', 'helpful', 'agent']);

/** A phrasing worth learning: words, not a menu number or one character. */
function usableKey(key: string): boolean {
  return [...key].length >= 2 && !/^\d+$/.test(key);
}

/**
 * A phrasing worth proposing is a question, not a story: a long complaint ("我上个月开了会员…真的很
 * 生气…能不能把钱退给我") added as an alternate would pull every message about its side topics to
 * that entry. Those stay with the gaps, for an editor to read.
 */
export const MAX_LEARNED_CHARS = 30;
function questionLike(text: string): boolean {
  const clauses = text.split(/[，,。.!！?？；;~～]+/).filter((c) => c.trim() !== '');
  return [...text].length <= MAX_LEARNED_CHARS && clauses.length <= 2;
}

/**
 * One word that several entries speak of ("会员", "退款") is a topic, not a phrasing of one entry:
 * added to one of them it would pull every short message about the topic there, and the bot would
 * still offer the list for it. It stays with the gaps.
 */
function broad(text: string, entryTexts: readonly string[]): boolean {
  const words = cut(normalize(text));
  if (words.length !== 1) return false;
  const [word] = words as [string];
  let entries = 0;
  for (const t of entryTexts) if (t.includes(word) && ++entries >= 2) return true;
  return false;
}

/** Each entry's question, alternates and keywords, normalized, one text per entry (for `broad`). */
const entryTextsOf = (kb: KnowledgeBase): string[] => kb.entries.map((e) => [e.question, ...e.alternates, ...e.keywords].map(normalize).join('\n'));

/** What addAlternate would accept as a phrasing (one line, not too long, no hidden characters). */
function validPhrasing(text: string): boolean {
  return text.length > 0 && [...text].length <= MAX_PHRASE_CHARS && !/[\r\n\u2028\u2029]/.test(text) && !unsafeText(text);
}

interface Tally {
  text: string;
  lastAt: string;
  conv: string;
  count: number;
  convs: Set<string>;
}

function tally(map: Map<string, Tally>, id: string, e: EvidenceInput, text: string): Tally {
  let t = map.get(id);
  if (!t) map.set(id, (t = { text, lastAt: '', conv: '', count: 0, convs: new Set() }));
  t.count++;
  t.convs.add(e.conv);
  if (!t.lastAt || e.at > t.lastAt) {
    t.lastAt = e.at;
    t.text = text;
    t.conv = e.conv;
  }
  return t;
}

/** Proposals and wrong answers from `evidence` (any order) against the knowledge base serving now. */
export function learnFromTraffic(evidence: readonly EvidenceInput[], kb: KnowledgeBase, opts: LearnOptions = {}): LearningReport {
  const entries = new Map(kb.entries.map((e) => [e.id, e]));
  const covered = new Set<string>();
  for (const e of kb.entries) for (const p of [e.question, ...e.alternates]) covered.add(phraseKey(p));
  const dismissed = opts.dismissed ?? new Set<string>();

  // key -> entry -> tally: confirmations, rejections, and per-kind counts alongside.
  const confirmed = new Map<string, Map<string, Tally>>();
  const rejected = new Map<string, Map<string, Tally>>();
  const kindsOf = new Map<string, Record<string, number>>();
  const corrections = new Map<string, Map<string, number>>();
  const bump = (k: string, kind: string): void => {
    const r = kindsOf.get(k) ?? {};
    r[kind] = (r[kind] ?? 0) + 1;
    kindsOf.set(k, r);
  };
  const at = (m: Map<string, Map<string, Tally>>, key: string): Map<string, Tally> => {
    let inner = m.get(key);
    if (!inner) m.set(key, (inner = new Map()));
    return inner;
  };

  for (const e of evidence) {
    const text = e.text.trim();
    const key = phraseKey(text);
    if (!usableKey(key) || !e.faqId) continue;
    if (POSITIVE.has(e.kind)) {
      tally(at(confirmed, key), e.faqId, e, text);
      bump(`+${decisionKey(e.faqId, key)}`, e.kind);
    }
    // The bot's answer was wrong: the customer said so, or an agent sent another entry's answer.
    const wrong = e.kind === 'agent' ? (e.botFaqId && e.botFaqId !== e.faqId ? e.botFaqId : null) : POSITIVE.has(e.kind) ? null : e.faqId;
    if (wrong) {
      tally(at(rejected, key), wrong, e, text);
      const d = decisionKey(wrong, key);
      bump(`-${d}`, e.kind === 'agent' ? 'corrected' : e.kind);
      if (e.kind === 'agent') {
        const c = corrections.get(d) ?? new Map<string, number>();
        c.set(e.faqId, (c.get(e.faqId) ?? 0) + 1);
        corrections.set(d, c);
      }
    }
  }

  const proposals: AlternateProposal[] = [];
  const entryTexts = entryTextsOf(kb);
  for (const [key, byEntry] of confirmed) {
    if (covered.has(key)) continue;
    for (const [faqId, t] of byEntry) {
      if (!entries.has(faqId) || dismissed.has(decisionKey(faqId, key)) || !validPhrasing(t.text) || !questionLike(t.text) || broad(t.text, entryTexts)) continue;
      const others = [...byEntry]
        .filter(([id]) => id !== faqId && entries.has(id))
        .map(([id, o]) => ({ id, convs: o.convs.size }))
        .sort((a, b) => b.convs - a.convs || cmp(a.id, b.id));
      const against = rejected.get(key)?.get(faqId)?.count ?? 0;
      // Rejected at least as often as confirmed (picked, then "没解决"): not a phrasing of this entry.
      if (against >= t.convs.size) continue;
      const k = kindsOf.get(`+${decisionKey(faqId, key)}`) ?? {};
      proposals.push({
        faqId,
        text: t.text,
        key,
        count: t.count,
        convs: t.convs.size,
        kinds: { picked: k.picked ?? 0, helpful: k.helpful ?? 0, agent: k.agent ?? 0 },
        lastAt: t.lastAt,
        conv: t.conv,
        conflict: others.length > 0 || against > 0 ? { entries: others, rejected: against } : null,
      });
    }
  }
  proposals.sort((a, b) => b.convs - a.convs || b.count - a.count || cmp(b.lastAt, a.lastAt) || cmp(a.key, b.key));
  const groups = new Map<string, ProposalGroup>();
  for (const p of proposals) {
    let g = groups.get(p.faqId);
    if (!g) groups.set(p.faqId, (g = { id: p.faqId, question: entries.get(p.faqId)!.question, proposals: [] }));
    g.proposals.push(p);
  }

  const wrongAnswers: WrongAnswer[] = [];
  for (const [key, byEntry] of rejected) {
    for (const [faqId, t] of byEntry) {
      const d = decisionKey(faqId, key);
      // Dismissed from the list by an editor (the same decision: not this entry's phrasing).
      if (!entries.has(faqId) || dismissed.has(d)) continue;
      const k = kindsOf.get(`-${d}`) ?? {};
      wrongAnswers.push({
        faqId,
        text: t.text,
        key,
        count: t.count,
        convs: t.convs.size,
        kinds: { not_helpful: k.not_helpful ?? 0, rejected: k.rejected ?? 0, corrected: k.corrected ?? 0 },
        corrections: [...(corrections.get(d) ?? [])].map(([id, count]) => ({ id, count })).sort((a, b) => b.count - a.count || cmp(a.id, b.id)),
        lastAt: t.lastAt,
        conv: t.conv,
      });
    }
  }
  wrongAnswers.sort((a, b) => b.convs - a.convs || b.count - a.count || cmp(b.lastAt, a.lastAt));
  return { proposals: [...groups.values()], wrongAnswers: wrongAnswers.slice(0, opts.wrongLimit ?? 100) };
}

/** The proposals an automatic pass adopts: `threshold` (at least 2) conversations agreeing, nothing against. */
export function readyToAdopt(report: LearningReport, threshold: number): AlternateProposal[] {
  const n = Math.max(MIN_AUTO_THRESHOLD, Math.floor(threshold));
  return report.proposals.flatMap((g) => g.proposals).filter((p) => p.convs >= n && p.conflict === null);
}

/** Where automatic adoptions are claimed (once across processes) and logged for the audit list. */
export interface AdoptionLedger {
  claimAdoption(faqId: string, key: string): Promise<boolean>;
  releaseAdoption(faqId: string, key: string): Promise<void>;
  logAdoption(a: AdoptionFacts): Promise<string>;
}

export interface Adopted {
  /** The audit entry. */
  id: string;
  faqId: string;
  text: string;
  key: string;
  convs: number;
  count: number;
  file: string;
}

/**
 * Adds every ready proposal as an alternate (edit.ts: one line each, the tree linted), each claimed
 * in `ledger` first so that two console processes never both adopt (or log) one phrasing. A refused
 * edit (a phrasing an editor added meanwhile, a tree that does not lint) gives the claim back.
 */
export async function adoptConfirmed(
  kbDir: string,
  ready: readonly AlternateProposal[],
  ledger: AdoptionLedger,
): Promise<{ adopted: Adopted[]; failed: { faqId: string; key: string; code: string }[] }> {
  const adopted: Adopted[] = [];
  const failed: { faqId: string; key: string; code: string }[] = [];
  for (const p of ready) {
    if (!(await ledger.claimAdoption(p.faqId, p.key))) continue;
    let file: string;
    try {
      ({ file } = await addAlternate(kbDir, p.faqId, p.text));
    } catch (err) {
      await ledger.releaseAdoption(p.faqId, p.key);
      if (!(err instanceof KbEditError)) throw err;
      failed.push({ faqId: p.faqId, key: p.key, code: err.code });
      continue;
    }
    const kinds = { ...p.kinds };
    const id = await ledger.logAdoption({ faqId: p.faqId, text: p.text, key: p.key, convs: p.convs, count: p.count, kinds });
    adopted.push({ id, faqId: p.faqId, text: p.text, key: p.key, convs: p.convs, count: p.count, file });
  }
  return { adopted, failed };
}

/** Where a pass logs its adoptions (a pino or Fastify logger). */
export interface LearningLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

/** What an automatic pass reads and writes (the handoff's `Learning` is one). */
export interface LearningStore extends AdoptionLedger {
  settings(): Promise<{ autoAdopt: boolean; threshold: number }>;
  evidence(limit?: number): Promise<EvidenceInput[]>;
  dismissed(): Promise<ReadonlySet<string>>;
}

/** The knowledge base the pass learns against and reloads after it (a KnowledgeService). */
export interface LearningTarget {
  matcher(): { kb: KnowledgeBase };
  reload(): Promise<boolean>;
}

/**
 * One automatic pass: when editors switched it on, adopts every phrasing confirmed by `threshold`
 * conversations without conflict, reloads the knowledge base, and logs each adoption (the audit list
 * is the store's). Nothing when it is off. Returns what was adopted.
 */
export async function autoAdopt(store: LearningStore, target: LearningTarget, opts: { kbDir?: string; logger?: LearningLog; evidence?: number } = {}): Promise<Adopted[]> {
  const settings = await store.settings();
  if (!settings.autoAdopt) return [];
  const [evidence, dismissed] = await Promise.all([store.evidence(opts.evidence), store.dismissed()]);
  const kb = target.matcher().kb;
  const ready = readyToAdopt(learnFromTraffic(evidence, kb, { dismissed }), settings.threshold);
  if (ready.length === 0) return [];
  const { adopted, failed } = await adoptConfirmed(opts.kbDir ?? kb.root, ready, store);
  const reloaded = adopted.length > 0 ? await target.reload() : true;
  // No customer words in logs (they are redacted anyway): the audit list in Redis has the text.
  for (const a of adopted) {
    opts.logger?.info({ auditId: a.id, faqId: a.faqId, file: a.file, confirmations: a.convs, threshold: settings.threshold, reloaded }, 'learning: alternate adopted automatically');
  }
  for (const f of failed) opts.logger?.warn({ faqId: f.faqId, code: f.code }, 'learning: automatic adoption refused by the knowledge base');
  return adopted;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
