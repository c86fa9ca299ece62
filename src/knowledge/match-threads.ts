/**
 * Matching off the bot's event loop. A question costs the engine ~0.1 ms (more on a large FAQ),
 * which on the loop is time the bot cannot spend on Wechaty, Redis answers or an agent's reply to
 * deliver. Worker threads (./match-worker.ts) each keep a Matcher of the same knowledge base and
 * take questions in batches (one message each way per batch, not per question).
 *
 * The answer is always the loop's own `matcher.match(text)`, computed elsewhere: a thread that has
 * not loaded this version yet, a batch not back within `timeoutMs`, a thread that died (it is
 * restarted) all fall back to matching here, so a question is never lost or left waiting.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Matcher } from './engine/matcher.ts';
import type { FromMatchThread, ToMatchThread } from './match-worker.ts';
import type { MatchResult } from './types.ts';

export interface MatchThreadsOptions {
  /** Threads to run (0: none; every question is matched on the caller's loop). Default: `defaultMatchThreads()`. */
  threads?: number;
  /** A batch not answered within this long is matched on the loop instead (default 2,000 ms). */
  timeoutMs?: number;
  logger?: Logger;
}

/** A question's result and the time the engine took for it (on the thread or on the loop). */
export interface Matched {
  result: MatchResult;
  seconds: number;
}

interface Waiting {
  text: string;
  matcher: Matcher;
  resolve: (r: Matched) => void;
}

/** Matching on this loop. */
function here(matcher: Matcher, text: string): Matched {
  const t0 = performance.now();
  const result = matcher.match(text);
  return { result, seconds: (performance.now() - t0) / 1000 };
}

interface Thread {
  worker: Worker;
  /** The knowledge base version it has loaded (-1: none yet). */
  ready: number;
  /** The version it was last sent. */
  sent: number;
  /** Questions sent, by request id. */
  inFlight: Map<number, Waiting>;
  timer?: NodeJS.Timeout;
}

/** This module's compiled form runs the compiled worker; under tsx or vitest a bootstrap loads the TypeScript one. */
const workerUrl = (): URL =>
  import.meta.url.endsWith('.ts') ? new URL('./match-worker-dev.mjs', import.meta.url) : new URL('./match-worker.js', import.meta.url);

/**
 * One thread where it can have a CPU of its own beside the loop, Redis and the console (4+ CPUs).
 * On 2 CPUs shared by all of them (bench:load) the thread slowed the bot's answers (p99 ~0.64 s
 * against ~0.38-0.47 s without); a bot alone on 2 CPUs gains from MATCH_THREADS=1 (bench:bot).
 */
export const defaultMatchThreads = (): number => (os.availableParallelism() >= 4 ? 1 : 0);

export class MatchThreads {
  private readonly threads: Thread[] = [];
  private readonly versions = new WeakMap<Matcher, number>();
  private nextVersion = 0;
  private nextId = 0;
  private turn = 0;
  /** Questions of this turn of the loop, sent together once it ends. */
  private batch: { thread: Thread; version: number; ids: number[]; texts: string[] } | undefined;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly log?: Logger;
  /** Questions matched on a thread / on the loop because no thread could. */
  readonly counts = { threaded: 0, fallback: 0 };

  constructor(opts: MatchThreadsOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 2_000;
    this.log = opts.logger?.child({ module: 'match-threads' });
    const n = opts.threads ?? defaultMatchThreads();
    for (let i = 0; i < n; i++) this.threads.push(this.spawn());
  }

  /** `matcher.match(text)`, from a thread when one holds this knowledge base, else on this loop. */
  match(matcher: Matcher, text: string): Promise<Matched> {
    const version = this.versionOf(matcher);
    let b = this.batch?.version === version ? this.batch : undefined;
    if (!b) {
      const thread = this.pick(version);
      if (!thread) {
        this.counts.fallback++;
        return Promise.resolve(here(matcher, text));
      }
      this.flush();
      b = this.batch = { thread, version, ids: [], texts: [] };
      queueMicrotask(() => this.flush());
    }
    const batch = b;
    return new Promise<Matched>((resolve) => {
      const id = this.nextId++;
      batch.thread.inFlight.set(id, { text, matcher, resolve });
      batch.ids.push(id);
      batch.texts.push(text);
    });
  }

  /**
   * Sends this knowledge base to the threads now rather than with its first question, so that a
   * bot starting (or a reload) does not match its first customers on the loop while a thread
   * loads it. True once a thread holds it; false with no threads, or not within `timeoutMs`.
   */
  load(matcher: Matcher): Promise<boolean> {
    const version = this.versionOf(matcher);
    if (this.threads.length === 0 || this.closed) return Promise.resolve(false);
    if (this.threads.some((t) => t.ready === version)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), this.timeoutMs).unref();
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.loading.delete(done);
        resolve(ok);
      };
      this.loading.set(done, version);
    });
  }

  /** Callers of `load` waiting for a version (resolved when a thread reports it ready). */
  private readonly loading = new Map<(ok: boolean) => void, number>();

  async close(): Promise<void> {
    this.closed = true;
    for (const done of [...this.loading.keys()]) done(false);
    this.flush();
    await Promise.all(this.threads.map((t) => this.retire(t)));
    this.threads.length = 0;
  }

  private versionOf(matcher: Matcher): number {
    let v = this.versions.get(matcher);
    if (v === undefined) {
      v = this.nextVersion++;
      this.versions.set(matcher, v);
      const msg: ToMatchThread = { type: 'kb', version: v, kb: matcher.kb, thresholds: matcher.thresholds };
      for (const t of this.threads) {
        t.sent = v;
        t.worker.postMessage(msg);
      }
      this.latest = { version: v, msg };
    }
    return v;
  }

  /** The newest knowledge base sent, for a thread started later. */
  private latest?: { version: number; msg: ToMatchThread };

  /** A thread with `version` loaded, in turn; undefined while none has it. */
  private pick(version: number): Thread | undefined {
    for (let i = 0; i < this.threads.length; i++) {
      const t = this.threads[(this.turn + i) % this.threads.length]!;
      if (t.ready === version) {
        this.turn = (this.turn + i + 1) % this.threads.length;
        return t;
      }
    }
    return undefined;
  }

  private flush(): void {
    const b = this.batch;
    if (!b) return;
    this.batch = undefined;
    if (b.thread.ready !== b.version) {
      // The thread died or changed version since the batch began: match here.
      for (const id of b.ids) {
        const w = b.thread.inFlight.get(id);
        if (!w) continue;
        b.thread.inFlight.delete(id);
        this.onLoop(w);
      }
      return;
    }
    const msg: ToMatchThread = { type: 'match', version: b.version, ids: b.ids, texts: b.texts };
    b.thread.worker.postMessage(msg);
    // Questions in flight keep the process alive; an idle thread does not (see spawn).
    b.thread.worker.ref();
    b.thread.timer ??= setTimeout(() => this.overdue(b.thread), this.timeoutMs).unref();
  }

  private spawn(): Thread {
    const worker = new Worker(workerUrl());
    const t: Thread = { worker, ready: -1, sent: -1, inFlight: new Map() };
    if (this.latest) {
      t.sent = this.latest.version;
      worker.postMessage(this.latest.msg);
    }
    worker.on('message', (m: FromMatchThread) => this.received(t, m));
    worker.on('error', (err) => this.log?.warn({ err }, 'matching thread failed; matching on the event loop until it is back'));
    worker.on('exit', () => {
      this.settle(t);
      const i = this.threads.indexOf(t);
      if (i < 0 || this.closed) return;
      // Started again after a pause, so a thread that dies at once cannot spin.
      setTimeout(() => {
        if (!this.closed && this.threads[i] === t) this.threads[i] = this.spawn();
      }, 1_000).unref();
    });
    // An idle thread does not keep the process alive (unref after the listeners: they ref it again).
    worker.unref();
    return t;
  }

  private received(t: Thread, m: FromMatchThread): void {
    if (m.type === 'ready') {
      if (m.version !== t.sent) return;
      t.ready = m.version;
      for (const [done, version] of [...this.loading]) if (version === m.version) done(true);
      return;
    }
    for (let i = 0; i < m.ids.length; i++) {
      const w = t.inFlight.get(m.ids[i]!);
      if (!w) continue;
      t.inFlight.delete(m.ids[i]!);
      const r = m.results[i];
      if (!r) this.onLoop(w);
      else {
        this.counts.threaded++;
        w.resolve({ result: r, seconds: m.seconds[i] ?? 0 });
      }
    }
    clearTimeout(t.timer);
    t.timer = undefined;
    if (t.inFlight.size > 0) t.timer = setTimeout(() => this.overdue(t), this.timeoutMs).unref();
    else t.worker.unref();
  }

  /** A thread that keeps questions too long: they are matched here, and it is replaced. */
  private overdue(t: Thread): void {
    t.timer = undefined;
    if (t.inFlight.size === 0) return;
    this.log?.warn({ pending: t.inFlight.size }, 'matching thread did not answer in time; restarting it');
    void t.worker.terminate();
  }

  /** Whatever a thread still held is matched on the loop. */
  private settle(t: Thread): void {
    clearTimeout(t.timer);
    t.timer = undefined;
    t.ready = -1;
    for (const w of t.inFlight.values()) this.onLoop(w);
    t.inFlight.clear();
  }

  /** A question no thread answered, matched on this loop. */
  private onLoop(w: Waiting): void {
    this.counts.fallback++;
    w.resolve(here(w.matcher, w.text));
  }

  private async retire(t: Thread): Promise<void> {
    await t.worker.terminate();
    this.settle(t);
  }
}
