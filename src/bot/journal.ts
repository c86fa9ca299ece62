/**
 * A local append-only journal: one JSON line per write the bot has handed to Redis and Redis has
 * not confirmed yet, so a bot process that dies during a Redis outage (its writes waiting in the
 * client's offline queue, in memory) loses nothing: the next start replays what is left.
 *
 * Lines are `{"id","at","data"}` for an entry and `{"done":id}` once Redis confirmed it. The file
 * is emptied whenever nothing is pending (the common case: entries live for one round trip) and
 * rewritten with only the pending entries when confirmed ones make up most of a large file (a long
 * outage with a few writes Redis keeps refusing).
 *
 * Durability: every line is written with a synchronous write(2) before the Redis command is
 * issued, so a killed process (SIGKILL, OOM killer, crash) never loses a line: the kernel has it.
 * For a machine that loses power, lines are flushed to disk (fdatasync) within `fsyncMs` (1 s by
 * default, like Redis's appendfsync everysec), which costs nothing per message at chat volumes.
 *
 * One process per file: the file is named after the bot account (and key prefix), and a bot
 * account runs in one process (its outbound consumer is named after it too).
 */
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';

export interface JournalOptions {
  dir: string;
  /** File name without its extension: letters, digits, `_`, `.` and `-`. */
  name: string;
  /** Flush to disk at most this long after a line was written (default 1,000 ms; 0 = after every entry). */
  fsyncMs?: number;
  /** Rewrite the file with only its pending entries once it is this big and mostly confirmed (default 1 MiB). */
  compactBytes?: number;
  logger?: Logger;
}

export interface JournalEntry {
  id: number;
  /** When it was written (ms). */
  at: number;
  data: unknown;
}

const entryLine = z.object({ id: z.number().int().positive(), at: z.number(), data: z.unknown() }).strict();
const doneLine = z.object({ done: z.number().int().positive() }).strict();

const NAME = /^[\w.-]{1,200}$/;

/**
 * A bot account's journal name. With the key prefix too: bots of two deployments (or test runs)
 * sharing a directory never replay into each other's data.
 */
export const journalName = (botId: string, prefix: string): string => `${botId}.${prefix.replace(/:/g, '_')}`;

export class Journal {
  readonly file: string;
  /** Entries an earlier process wrote and never saw confirmed, oldest first: replay them. */
  readonly recovered: readonly JournalEntry[];
  private fd: number;
  private nextId = 1;
  /** Pending entry id -> its line (kept for compaction). */
  private readonly pending = new Map<number, string>();
  private pendingBytes = 0;
  private bytes = 0;
  private readonly fsyncMs: number;
  private readonly compactBytes: number;
  private readonly log?: Logger;
  private flushTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(o: JournalOptions) {
    if (!NAME.test(o.name)) throw new RangeError(`journal name must be letters, digits, "_", "." or "-": ${JSON.stringify(o.name)}`);
    this.file = path.join(o.dir, `${o.name}.jsonl`);
    this.fsyncMs = o.fsyncMs ?? 1_000;
    this.compactBytes = o.compactBytes ?? 1 << 20;
    this.log = o.logger;
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    this.recovered = this.load();
    // Customers' messages: readable by the bot's user only.
    this.fd = openSync(this.file, 'a', 0o600);
    this.bytes = fstatSync(this.fd).size;
    if (this.pending.size === 0 && this.bytes > 0) this.truncate();
    else if (this.bytes > 2 * this.pendingBytes) this.compact();
  }

  /** Pending entries (written, not yet confirmed). */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Writes an entry (synchronously: it is in the kernel when this returns); returns its id, or
   * undefined once closed (a write still on its way while the bot stops).
   */
  append(data: unknown): number | undefined {
    if (this.closed) return undefined;
    const id = this.nextId++;
    const line = `${JSON.stringify({ id, at: Date.now(), data })}\n`;
    this.write(line);
    this.pending.set(id, line);
    this.pendingBytes += Buffer.byteLength(line);
    this.scheduleFlush();
    return id;
  }

  /** Redis confirmed entry `id`: it is no longer replayed. */
  done(id: number): void {
    const line = this.pending.get(id);
    if (line === undefined || this.closed) return;
    this.pending.delete(id);
    this.pendingBytes -= Buffer.byteLength(line);
    if (this.pending.size === 0) return this.truncate();
    this.write(`{"done":${id}}\n`);
    if (this.bytes > this.compactBytes && this.bytes > 2 * this.pendingBytes) this.compact();
  }

  /**
   * Gives up on entry `id` (Redis refused it again on replay): it moves, with the reason, to
   * `<name>.rejected.jsonl` next to the journal for an operator, and is no longer replayed.
   */
  reject(id: number, reason: string): void {
    const line = this.pending.get(id);
    if (line === undefined || this.closed) return;
    const rejected = this.file.replace(/\.jsonl$/, '.rejected.jsonl');
    const fd = openSync(rejected, 'a', 0o600);
    try {
      writeAll(fd, `${JSON.stringify({ ...(JSON.parse(line) as object), reason })}\n`);
    } finally {
      closeSync(fd);
    }
    this.log?.error({ id, file: rejected }, 'journal entry refused by Redis again: moved to the rejected file');
    this.done(id);
  }

  /** Flushes and closes; an empty journal's file is removed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.flushTimer);
    if (this.pending.size === 0) {
      closeSync(this.fd);
      try {
        unlinkSync(this.file);
      } catch {
        // Already gone.
      }
      return;
    }
    fdatasyncSync(this.fd);
    closeSync(this.fd);
  }

  private load(): JournalEntry[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const entries = new Map<number, JournalEntry>();
    let unreadable = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        // A line torn by a power loss (a process kill cannot tear one): the rest still counts.
        unreadable++;
        continue;
      }
      const done = doneLine.safeParse(json);
      if (done.success) {
        entries.delete(done.data.done);
        continue;
      }
      const entry = entryLine.safeParse(json);
      if (!entry.success) {
        unreadable++;
        continue;
      }
      const { id, at, data } = entry.data;
      entries.set(id, { id, at, data });
      this.nextId = Math.max(this.nextId, id + 1);
    }
    if (unreadable > 0) this.log?.warn({ file: this.file, unreadable }, 'journal lines that could not be read were skipped');
    const recovered = [...entries.values()].sort((a, b) => a.id - b.id);
    for (const e of recovered) {
      const line = `${JSON.stringify(e)}\n`;
      this.pending.set(e.id, line);
      this.pendingBytes += Buffer.byteLength(line);
    }
    return recovered;
  }

  private write(line: string): void {
    writeAll(this.fd, line);
    this.bytes += Buffer.byteLength(line);
  }

  private scheduleFlush(): void {
    if (this.fsyncMs === 0) {
      fdatasyncSync(this.fd);
      return;
    }
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      if (!this.closed) fdatasyncSync(this.fd);
    }, this.fsyncMs);
    this.flushTimer.unref();
  }

  private truncate(): void {
    ftruncateSync(this.fd, 0);
    this.bytes = 0;
  }

  /** Rewrites the file with only the pending entries (a new file renamed over the old one). */
  private compact(): void {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeAll(fd, [...this.pending.values()].join(''));
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a', 0o600);
    this.bytes = this.pendingBytes;
  }
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
}
