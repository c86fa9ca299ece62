/**
 * The body of a matching thread (./match-threads.ts): keeps a Matcher of the knowledge base it was
 * last sent and answers batches of questions with it. Pure computation, no I/O: the thread shares
 * nothing with the bot's event loop but the messages below.
 */
import { parentPort } from 'node:worker_threads';
import { Matcher } from './engine/matcher.ts';
import type { KnowledgeBase, MatchResult, Thresholds } from './types.ts';

/** From the bot: a knowledge base version to match against, or questions for one. */
export type ToMatchThread =
  | { type: 'kb'; version: number; kb: KnowledgeBase; thresholds: Thresholds }
  | { type: 'match'; version: number; ids: number[]; texts: string[] };

/** To the bot: the answers of one batch (null where the thread holds another version), or a ready signal. */
export type FromMatchThread = { type: 'ready'; version: number } | { type: 'matched'; version: number; ids: number[]; results: (MatchResult | null)[]; seconds: number[] };

const port = parentPort;
if (port) {
  let version = -1;
  let matcher: Matcher | undefined;
  port.on('message', (m: ToMatchThread) => {
    if (m.type === 'kb') {
      matcher = new Matcher(m.kb, { thresholds: m.thresholds });
      version = m.version;
      // The first questions pay for the segmenter's and lexicons' loading here, not on the bot's loop.
      matcher.match('你好');
      port.postMessage({ type: 'ready', version } satisfies FromMatchThread);
      return;
    }
    const same = m.version === version && matcher;
    const seconds: number[] = [];
    const results = m.texts.map((t) => {
      if (!same) return null;
      const t0 = performance.now();
      const r = matcher!.match(t);
      seconds.push((performance.now() - t0) / 1000);
      return r;
    });
    port.postMessage({ type: 'matched', version: m.version, ids: m.ids, results, seconds } satisfies FromMatchThread);
  });
}
