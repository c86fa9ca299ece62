/**
 * What the one watcher serves (editor-watch.ts): each part's last good version in one versioned
 * snapshot, each part's problems, and the events of every read. A read that does not load leaves
 * the snapshot as it was; a compile that throws (the FAQ's matcher) counts as a problem too.
 */
import type { Logger } from 'pino';
import { byFileThenLine, partFile, type EditorFileNames, type EditorPart, type PartRead } from './editor-files.ts';
import { formatProblem } from './errors.ts';
import type { Messages } from './phrases.ts';
import type { CannedReply } from './replies.ts';
import { DEFAULT_SMALLTALK, type Smalltalk } from './smalltalk.ts';
import type { KbProblem, KnowledgeBase } from './types.ts';

/** One version of every part; replaced, never changed, so holding one is reading one version. */
export interface EditorSnapshot<C = KnowledgeBase> {
  /** Goes up with every change applied, of any part. */
  readonly version: number;
  /** The last good FAQ as compiled (`compile`, e.g. the matcher); undefined until it has loaded. */
  readonly faq: C | undefined;
  readonly kb: KnowledgeBase | undefined;
  /** The last good phrases; undefined until `_messages.yml` has loaded. */
  readonly messages: Messages | undefined;
  /** The last good reply templates; [] when there is no `_replies.yml`. */
  readonly replies: readonly CannedReply[];
  /** The last good small-talk phrases; the built-in ones when there is no `_smalltalk.yml`. */
  readonly smalltalk: Smalltalk;
}

/** After each read of a part: `applied` when its new version now serves, else its `problems`. */
export interface EditorEvent<C = KnowledgeBase> {
  part: EditorPart;
  applied: boolean;
  problems: KbProblem[];
  snapshot: EditorSnapshot<C>;
}

const LABEL: Record<EditorPart, string> = { faq: 'knowledge base', messages: 'messages file', replies: 'replies file', smalltalk: 'small-talk file' };

export class EditorState<C> {
  /** False during the first load: only later reads are events (and "reloaded" in the log). */
  started = false;
  private snap: EditorSnapshot<C> = Object.freeze({ version: 0, faq: undefined, kb: undefined, messages: undefined, replies: [], smalltalk: DEFAULT_SMALLTALK });
  private readonly byPart = new Map<EditorPart, KbProblem[]>();
  private readonly listeners = new Set<(event: EditorEvent<C>) => void>();

  constructor(
    private readonly compile: (kb: KnowledgeBase) => C,
    private readonly names: EditorFileNames,
    private readonly logger: Logger | undefined,
  ) {}

  snapshot(): EditorSnapshot<C> {
    return this.snap;
  }

  /** One part's problems, or those of `parts` by file, then line. */
  problems(parts: readonly EditorPart[], part?: EditorPart): KbProblem[] {
    if (part) return [...(this.byPart.get(part) ?? [])];
    return parts.flatMap((p) => this.byPart.get(p) ?? []).sort(byFileThenLine);
  }

  onChange(listener: (event: EditorEvent<C>) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  clearListeners(): void {
    this.listeners.clear();
  }

  /** Applies one read of a part; true when its new version now serves. */
  accept(part: EditorPart, read: PartRead<unknown>): boolean {
    if (read.value === undefined && read.problems.length === 0) {
      this.byPart.set(part, []); // an absent phrases file: what served keeps serving
      return false;
    }
    const next = read.value === undefined ? { problems: read.problems } : this.withValue(part, read.value);
    this.byPart.set(part, next.problems);
    if (next.problems.length > 0) {
      this.report(part, next.problems);
      return false;
    }
    this.snap = Object.freeze({ ...this.snap, ...next.values, version: this.snap.version + 1 });
    if (this.started) {
      if (part === 'faq') this.logger?.info({ entries: this.snap.kb?.entries.length }, 'knowledge base reloaded');
      else this.logger?.info({ file: partFile(part, this.names) }, `${part} reloaded`);
      this.emit({ part, applied: true, problems: [], snapshot: this.snap });
    }
    return true;
  }

  private withValue(part: EditorPart, value: unknown): { values?: Partial<EditorSnapshot<C>>; problems: KbProblem[] } {
    if (part === 'messages') return { values: { messages: value as Messages }, problems: [] };
    if (part === 'replies') return { values: { replies: value as readonly CannedReply[] }, problems: [] };
    if (part === 'smalltalk') return { values: { smalltalk: value as Smalltalk }, problems: [] };
    try {
      return { values: { faq: this.compile(value as KnowledgeBase), kb: value as KnowledgeBase }, problems: [] };
    } catch (err) {
      return { problems: [{ file: '.', line: 1, message: `build failed: ${err instanceof Error ? err.message : String(err)}` }] };
    }
  }

  private report(part: EditorPart, problems: KbProblem[]): void {
    for (const p of problems) this.logger?.warn({ file: p.file, line: p.line }, formatProblem(p));
    if (!this.started) return void this.logger?.warn({ problems: problems.length }, `${LABEL[part]} has problems; not loaded`);
    this.logger?.warn({ problems: problems.length }, `${LABEL[part]} has problems; the last good version keeps serving`);
    this.emit({ part, applied: false, problems, snapshot: this.snap });
  }

  private emit(event: EditorEvent<C>): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger?.error({ err }, 'editor files listener failed');
      }
    }
  }
}
