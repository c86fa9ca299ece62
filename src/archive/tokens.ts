import { cutForIndex } from '../knowledge/engine/segmenter.ts';

/**
 * Search terms, the same for the text indexed and the text searched: PostgreSQL's parsers do not
 * cut Chinese into words, so the knowledge engine's segmenter (jieba, search mode: long words also
 * give their dictionary sub-words, "订单号" -> 订单 单号 订单号) does.
 *
 * Every term is letters, digits and combining marks only, so `to_tsvector('simple', …)` keeps each
 * one as exactly one lexeme ('abc123' numword, '退款' word, '20240512' uint) and a query built from
 * terms can carry no tsquery operator: `'&|!:*()` in a search box is no term at all.
 *
 * What this finds: words. A message is found by any word of it (Chinese, English, digits, ids cut
 * at punctuation: "wxid_ab12" -> wxid ab12). A query that is part of a word as jieba cut it ("到账"
 * where the text was cut 到 / 账) is not a word of the text; names and ids are matched as
 * substrings instead (pg_trgm, see migrations/002_search.sql and search.ts).
 */

/** Longer terms are cut: ids are at most 64 characters, and tsvector lexemes have a size limit. */
const MAX_TERM = 64;
const NOT_TERM = /[^\p{L}\p{N}\p{M}]+/u;

/** NFKC folds full-width letters and digits (ＶＩＰ１２ -> vip12); lower case for English. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** The distinct search terms of a text, in order of first appearance. */
export function searchTerms(text: string): string[] {
  const out = new Set<string>();
  for (const word of cutForIndex(normalizeText(text))) {
    for (const part of word.split(NOT_TERM)) {
      // '①' NFKC-folds to a digit; a lone combining mark is not a word.
      if (part && /[\p{L}\p{N}]/u.test(part)) out.add([...part].slice(0, MAX_TERM).join(''));
    }
  }
  return [...out];
}

/** Search terms of a text, space-separated, for `to_tsvector('simple', …)` (the archiver writes them). */
export function searchTokens(text: string): string {
  return searchTerms(text).join(' ');
}

/** A query's terms at most: each is one more index lookup, and nobody types twenty words to find a chat. */
export const MAX_QUERY_TERMS = 12;

/**
 * The tsquery text for `to_tsquery('simple', …)` of what an agent typed: every term must be there
 * (AND), each as a prefix (`:*`), so "iphone" finds iphone13 and an order number's first digits find
 * it; except a single character, which as a prefix would be every word it starts (的, 不: half the
 * index, measured at 150-400 ms; a lone digit, every order number). Null when the query has no term at all (only
 * punctuation): nothing to look up.
 */
export function tsqueryOf(query: string): string | null {
  const terms = queryTerms(query);
  return terms.length ? terms.map((t) => (t.prefix ? `${t.term}:*` : t.term)).join(' & ') : null;
}

/** A query's terms (at most MAX_QUERY_TERMS), each with whether it matches as a prefix (see tsqueryOf). */
export function queryTerms(query: string): { term: string; prefix: boolean }[] {
  return searchTerms(query)
    .slice(0, MAX_QUERY_TERMS)
    .map((term) => ({ term, prefix: isPrefixTerm(term) }));
}

// One character as a prefix is every word it starts: 的 or 不 half the index, "2" every order
// number and date (bench:month: "用户2" took 334 ms at 285,000 customers). Whole word only.
const isPrefixTerm = (t: string): boolean => [...t].length > 1;

/**
 * The same test in JavaScript, for text not in PostgreSQL (live conversations when there is no
 * archive): every query term is a prefix of some term of the text.
 */
export function matchesTerms(queryTerms: readonly string[], text: string): boolean {
  if (queryTerms.length === 0) return false;
  const norm = normalizeText(text);
  // Cheap first: a term of the text is a substring of it, so a query term that is not cannot match.
  if (!queryTerms.every((t) => norm.includes(t))) return false;
  const terms = searchTerms(text);
  return queryTerms.every((q) => terms.some((t) => (isPrefixTerm(q) ? t.startsWith(q) : t === q)));
}

/** Substring form of a query for names and ids: normalized, blanks folded. */
export function nameNeedle(query: string): string {
  return normalizeText(query).replace(/\s+/g, ' ').trim();
}
