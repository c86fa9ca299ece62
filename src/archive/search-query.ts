/**
 * What a search asks of the message index (migrations/005_search_facts.sql): the words as a
 * tsquery, its prefixes expanded to the words they start, and the filters as facts.
 *
 * Why expand: for a prefix ('退款:*') GIN first collects every row of every word it starts into a
 * bitmap (~1 µs a row; ~130 ms for a word in 85,000 of 1,000,000 messages), even when a filter or
 * another word leaves a handful. Whole words it intersects by skipping through their lists. The
 * lexicon lists every word the index holds, so the expanded query matches exactly what the
 * prefix did.
 */
import type pg from 'pg';
import { queryTerms } from './tokens.ts';

/** A prefix starting more words than this keeps ':*' (GIN collects their rows: slower, same matches). */
export const MAX_EXPANSION = 64;

/**
 * Per query term: PostgreSQL's own reading of it (the lexemes to_tsvector makes of it, and the
 * piece to_tsquery makes of it, as the search used it before the lexicon), and the lexicon's
 * words it matches: those starting with it (a prefix term) or equal to it.
 */
const TERMS_SQL = `
SELECT q.i::int AS i, to_tsquery('simple', q.term || CASE WHEN q.prefix THEN ':*' ELSE '' END)::text AS piece,
  CASE WHEN cardinality(lx.lexemes) = 1 THEN ARRAY(
    SELECT w.term FROM search_lexicon w WHERE w.term >= b.lo AND w.term < b.hi ORDER BY w.term LIMIT ${MAX_EXPANSION + 1}) END AS words
FROM unnest($1::text[], $2::bool[]) WITH ORDINALITY AS q(term, prefix, i)
  CROSS JOIN LATERAL (SELECT tsvector_to_array(to_tsvector('simple', q.term)) AS lexemes) lx
  -- The words starting with the lexeme (a prefix), or just it: chr(1) follows it in no word.
  CROSS JOIN LATERAL (SELECT lx.lexemes[1] COLLATE "C" AS lo, (lx.lexemes[1] || CASE WHEN q.prefix THEN chr(1114111) ELSE chr(1) END) COLLATE "C" AS hi) b
ORDER BY q.i`;

const quoted = (lexeme: string): string => `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/**
 * The tsquery text (for `$n::tsquery`) of what an agent typed: every term (AND), each the words of
 * the lexicon it matches (OR). Null when it can match nothing: no term at all, or a term no
 * message has.
 */
export async function wordQuery(db: pg.Pool, query: string): Promise<string | null> {
  const terms = queryTerms(query);
  if (terms.length === 0) return null;
  const { rows } = await db.query<{ piece: string; words: string[] | null }>(TERMS_SQL, [terms.map((t) => t.term), terms.map((t) => t.prefix)]);
  const pieces: string[] = [];
  for (const r of rows) {
    if (r.words === null) {
      // Not one lexeme to PostgreSQL (never for the segmenter's terms): its own reading, as before.
      if (r.piece) pieces.push(`(${r.piece})`);
    } else if (r.words.length === 0) {
      return null;
    } else {
      pieces.push(r.words.length > MAX_EXPANSION ? `(${r.piece})` : `(${r.words.map(quoted).join(' | ')})`);
    }
  }
  return pieces.length ? pieces.join(' & ') : null;
}

/** The conversation filters a search can have (SearchFilters' part of them). */
export interface FactFilters {
  channel?: string;
  status?: string;
  tag?: string;
  agent?: string;
  rating?: number;
  visibleTo?: string;
}

/**
 * The filters as the facts each message carries (kefu_facts_of in migrations/005 writes the same
 * strings): the message's facts must hold every one of `all` and, for an agent's own view, one of
 * `any` (their conversations, or nobody's: with the bot or waiting).
 */
export function filterFacts(f: FactFilters): { all: string[]; any: string[] | null } {
  const all: string[] = [];
  if (f.status !== undefined) all.push(`s:${f.status}`);
  if (f.channel !== undefined) all.push(`c:${f.channel}`);
  if (f.agent !== undefined) all.push(`a:${f.agent}`);
  if (f.tag !== undefined) all.push(`t:${f.tag}`);
  if (f.rating !== undefined) all.push(`r:${f.rating}`);
  return { all, any: f.visibleTo !== undefined ? [`a:${f.visibleTo}`, 's:bot', 's:waiting'] : null };
}
