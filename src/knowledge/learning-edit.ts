/**
 * Undoing an alternate: the reverse of edit.ts's addAlternate, for an automatic adoption an editor
 * takes back. Like every console edit it touches only what it must: the item's line of a block list
 * (and the `alternates:` line when it was the last item, as an adoption into an entry without
 * alternates wrote both), so undoing an adoption gives the file back byte for byte. Anything
 * unusual (a flow list, a multi-line item) is written by the yaml document model; the result must
 * mean the old front matter minus that one phrasing, or nothing is written.
 */
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node, Pair, YAMLMap } from 'yaml';
import { KbEditError } from './errors.ts';
import { findEntry, phraseKey, type AlternateAdded } from './edit.ts';
import { lineStart, nextLine, splitFrontMatter } from './edit-splice.ts';
import { applyKbEdits, readEntryFile, serialized } from './edit-write.ts';
import { lintKnowledgeBase } from './loader.ts';

/**
 * Removes the alternate of entry `entryId` that is `question` (compared as phrasings: width, case,
 * spaces and punctuation ignored). NOT_FOUND: no such entry, or the entry has no such alternate.
 */
export async function removeAlternate(kbDir: string, entryId: string, question: string): Promise<AlternateAdded> {
  const key = phraseKey(question);
  return serialized(kbDir, async (root) => {
    const tree = await lintKnowledgeBase(root);
    const entry = findEntry(tree, entryId);
    if (!entry.alternates.some((a) => phraseKey(a) === key)) throw new KbEditError('NOT_FOUND', `"${question}" is not an alternate of "${entryId}"`);
    const raw = await readEntryFile(root, entry.file);
    const content = withoutAlternate(raw, key, entry.file);
    const after = await applyKbEdits(root, [{ file: entry.file, content, expected: raw }], tree.problems);
    return { id: entry.id, file: entry.file, alternates: after.entries.find((e) => e.id === entry.id)?.alternates ?? [] };
  });
}

/** The file with the first alternate whose phrasing is `key` removed. */
export function withoutAlternate(raw: string, key: string, file: string): string {
  const { head, yaml, tail } = splitFrontMatter(raw, file);
  const doc = parseDocument(yaml, { prettyErrors: false });
  if (doc.errors.length > 0 || !isMap(doc.contents)) throw new KbEditError('KB_INVALID', `${file}: front matter does not parse`);
  const map = doc.contents as YAMLMap;
  const pair = map.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === 'alternates') as Pair | undefined;
  const seq = pair?.value;
  if (!pair || !isSeq(seq)) throw new KbEditError('NOT_FOUND', `${file}: no alternates`);
  const old = (seq.toJSON() as unknown[]).map(String);
  const index = old.findIndex((a) => phraseKey(a) === key);
  if (index < 0) throw new KbEditError('NOT_FOUND', `${file}: no such alternate`);
  const expected = old.filter((_, i) => i !== index);
  const { alternates: _old, ...restBefore } = doc.toJS() as Record<string, unknown>;
  void _old;
  const rest = JSON.stringify(restBefore);
  /** The old front matter, only that one phrasing gone (an emptied list may go with it). */
  const want = (js: Record<string, unknown>): boolean => {
    const { alternates, ...restAfter } = js;
    if (JSON.stringify(restAfter) !== rest) return false;
    return expected.length === 0 ? alternates === undefined || JSON.stringify(alternates) === '[]' : JSON.stringify(alternates) === JSON.stringify(expected);
  };

  let next: string | undefined;
  const item = seq.items[index] as Node | undefined;
  if (!seq.flow && item?.range) {
    // The whole span to cut: the item's line(s), or the key's line through the list when it empties.
    const from = expected.length === 0 ? lineStart(yaml, (pair.key as Node).range![0]) : lineStart(yaml, item.range[0]);
    const to = expected.length === 0 ? nextLine(yaml, Math.max(seq.range![1] - 1, seq.range![0])) : nextLine(yaml, Math.max(item.range[1] - 1, item.range[0]));
    next = yaml.slice(0, from) + yaml.slice(to);
  }
  if (next === undefined || !matches(next, want)) {
    if (expected.length === 0) doc.delete('alternates');
    else seq.delete(index);
    next = doc.toString({ lineWidth: 0 });
    if (!matches(next, want)) throw new KbEditError('KB_INVALID', `${file}: could not remove the alternate safely`);
  }
  return head + next + tail;
}

function matches(yaml: string, want: (js: Record<string, unknown>) => boolean): boolean {
  const doc = parseDocument(yaml, { prettyErrors: false });
  return doc.errors.length === 0 && isMap(doc.contents) && want(doc.toJS() as Record<string, unknown>);
}
