/**
 * The knowledge the policy reads, built once per knowledge-base version: the matcher behind a
 * result cache (customers ask the same FAQ in the same words again and again; a reload starts
 * afresh), the menu, and each entry's answer rendered as WeChat messages.
 */
import { menuEntries, renderAnswer, type FaqEntry, type Matcher, type MatchResult } from '../knowledge/index.ts';
import type { PolicyKnowledge } from './policy.ts';

export class KnowledgeCache {
  /** Questions answered from the cache. */
  hits = 0;
  private current?: PolicyKnowledge & { source: Matcher };
  /** Entries are replaced, never changed, on reload: the object is the version. */
  private readonly renders = new WeakMap<FaqEntry, string[]>();

  /**
   * @param size match results remembered per version, by exact text (0 = off)
   * @param onMatch time the matching engine took for one question (cache misses only)
   */
  constructor(
    private readonly source: { matcher(): Matcher },
    private readonly size: number,
    private readonly onMatch?: (seconds: number) => void,
  ) {}

  knowledge(): PolicyKnowledge {
    const matcher = this.source.matcher();
    if (this.current?.source !== matcher) {
      const cache = new Map<string, MatchResult>();
      const match =
        this.size > 0
          ? (q: string): MatchResult => {
              let r = cache.get(q);
              if (r) {
                this.hits++;
                return r;
              }
              const t0 = performance.now();
              r = matcher.match(q);
              this.onMatch?.((performance.now() - t0) / 1000);
              cache.set(q, r);
              if (cache.size > this.size) cache.delete(cache.keys().next().value as string);
              return r;
            }
          : (q: string): MatchResult => matcher.match(q);
      this.current = { source: matcher, matcher: { match, entry: (id) => matcher.entry(id) }, menu: menuEntries(matcher.kb) };
    }
    return this.current;
  }

  /** An entry's answer as WeChat messages (rendered once per entry version). */
  rendered(entry: FaqEntry): string[] {
    let parts = this.renders.get(entry);
    if (!parts) {
      parts = renderAnswer(entry.answer);
      this.renders.set(entry, parts);
    }
    return parts;
  }
}
