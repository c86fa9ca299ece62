/**
 * Tags are Chinese-first: the knowledge base's entries carry short ids (`tags: [billing, refund]`,
 * the first one the category), and `_tags.yml` at its root says what each is called (`billing:
 * 付费`). Suggestions show and apply the name; a conversation tagged with the id before keeps it
 * (the id and its name count as the same tag there). Read again when the file changes, so an
 * editor's new name applies without a restart; a broken file keeps the last good names.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

export const TAG_LABELS_FILE = '_tags.yml';

const labelsSchema = z.record(z.string().min(1).max(32), z.string().trim().min(1).max(32));

/** How often the file's mtime is looked at (suggestions are asked per opened chat). */
const CHECK_MS = 2_000;

export class TagLabels {
  private labels: Record<string, string> = {};
  private mtimeMs = -1;
  private checkedAt = -Infinity;

  constructor(
    private readonly file: string | undefined,
    private readonly onError?: (err: unknown) => void,
  ) {}

  /** The labels of the knowledge base at `kbDir` (none without one). */
  static of(kbDir: string | undefined, onError?: (err: unknown) => void): TagLabels {
    return new TagLabels(kbDir ? path.join(kbDir, TAG_LABELS_FILE) : undefined, onError);
  }

  /** The name of `tag` (an id from the knowledge base), else the tag as it is. */
  label(tag: string): string {
    this.refresh();
    return Object.hasOwn(this.labels, tag) ? this.labels[tag]! : tag;
  }

  private refresh(now = Date.now()): void {
    if (!this.file || now - this.checkedAt < CHECK_MS) return;
    this.checkedAt = now;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.file).mtimeMs;
    } catch {
      this.labels = {};
      this.mtimeMs = -1;
      return;
    }
    if (mtimeMs === this.mtimeMs) return;
    try {
      this.labels = labelsSchema.parse(parse(readFileSync(this.file, 'utf8')) ?? {});
      this.mtimeMs = mtimeMs;
    } catch (err) {
      this.onError?.(err);
    }
  }
}
