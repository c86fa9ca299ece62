import { cutForIndex } from '../knowledge/engine/segmenter.ts';

/**
 * Search terms of a text, space-separated, for `to_tsvector('simple', …)`: PostgreSQL's parsers
 * do not cut Chinese into words, so the engine's own segmenter does (the same cut for the text
 * indexed and the text searched). First version: the search work refines it.
 */
export function searchTokens(text: string): string {
  const norm = text.normalize('NFKC').toLowerCase();
  return [...new Set(cutForIndex(norm))].join(' ');
}
