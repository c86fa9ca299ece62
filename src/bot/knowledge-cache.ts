/**
 * The knowledge the policy reads, built once per knowledge-base version: the matcher behind a
 * result cache (customers ask the same FAQ in the same words again and again; a reload starts
 * afresh), the menu, the editors' small-talk phrases, and each entry's answer rendered as WeChat
 * messages.
 */
import { menuEntries, renderAnswer, type FaqEntry, type Matcher, type Matched, type MatchResult, type MatchThreads, type Smalltalk } from '../knowledge/index.ts';
import type { PolicyKnowledge } from './policy.ts';

/** Prepared results kept at most (those of turns still to come, and the few a turn did not use). */
const MAX_PREPARED = 1_000;

export class KnowledgeCache {
  /** Questions answered from the cache. */
  hits = 0;
  /** The current version's results by exact text. */
  private cache = new Map<string, MatchResult>();
  private current?: PolicyKnowledge & { source: Matcher; smalltalkSource: Smalltalk | undefined };
  /** Entries are replaced, never changed, on reload: the object is the version. */
  private readonly renders = new WeakMap<FaqEntry, string[]>();
  /** Results matched on a thread ahead of the turn that asks (`prepare`), taken by that turn. */
  private prepared = new Map<string, Matched>();

  /**
   * @param size match results remembered per version, by exact text (0 = off)
   * @param onMatch time the matching engine took for one question (cache misses only)
   */
  constructor(
    private readonly source: { matcher(): Matcher; files?: { snapshot(): { smalltalk: Smalltalk } } },
    private readonly size: number,
    private readonly onMatch?: (seconds: number) => void,
    private readonly threads?: MatchThreads,
  ) {}

  /**
   * Matches `text` on a matching thread, so that the turn's own (synchronous) match finds the
   * result ready. Undefined when there is nothing to wait for (no threads, already cached).
   */
  prepare(text: string): Promise<void> | undefined {
    if (!this.threads) return undefined;
    const matcher = this.matcher();
    if (this.cache.has(text) || this.prepared.has(text)) return undefined;
    return this.threads.match(matcher, text).then(
      (r) => {
        // A reload meanwhile: the result is of the old version, and the turn matches again.
        if (this.current?.source !== matcher) return;
        this.prepared.set(text, r);
        // A turn that decided without matching (转人工, a menu number) leaves its result: keep few.
        if (this.prepared.size > MAX_PREPARED) this.prepared.delete(this.prepared.keys().next().value as string);
      },
      // The turn matches on its own.
      () => undefined,
    );
  }

  /** Sends the current knowledge base to the matching threads (see MatchThreads.load). */
  async warm(): Promise<boolean> {
    return (await this.threads?.load(this.matcher())) ?? false;
  }

  /** The current version's matcher (the one its results are cached for). */
  private matcher(): Matcher {
    this.knowledge();
    return this.current!.source;
  }

  knowledge(): PolicyKnowledge {
    const matcher = this.source.matcher();
    const smalltalk = this.source.files?.snapshot().smalltalk;
    if (this.current && this.current.source === matcher && this.current.smalltalkSource !== smalltalk) {
      // Only the small-talk file changed: the match cache stays good.
      this.current = { ...this.current, smalltalkSource: smalltalk, ...(smalltalk ? { smalltalk } : {}) };
    }
    if (this.current?.source !== matcher) {
      const cache = (this.cache = new Map<string, MatchResult>());
      this.prepared = new Map();
      const match = (q: string): MatchResult => {
        let r = cache.get(q);
        if (r) {
          this.hits++;
          return r;
        }
        const prepared = this.prepared.get(q);
        if (prepared) {
          this.prepared.delete(q);
          r = prepared.result;
          this.onMatch?.(prepared.seconds);
        } else {
          const t0 = performance.now();
          r = matcher.match(q);
          this.onMatch?.((performance.now() - t0) / 1000);
        }
        if (this.size > 0) {
          cache.set(q, r);
          if (cache.size > this.size) cache.delete(cache.keys().next().value as string);
        }
        return r;
      };
      this.current = {
        source: matcher,
        smalltalkSource: smalltalk,
        matcher: { match, entry: (id) => matcher.entry(id), excerpt: (id, q, context) => matcher.excerpt(id, q, context) },
        menu: menuEntries(matcher.kb),
        ...(smalltalk ? { smalltalk } : {}),
      };
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
