/**
 * docs/knowledge-base.md is written by hand; these checks hold it to the code where the code has
 * a list: the front-matter fields, the phrase keys with their placeholders, the fields of a
 * `kb ask --json` line.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MESSAGE_PLACEHOLDERS } from '../../src/knowledge/index.ts';
import { KNOWN_FIELDS } from '../../src/knowledge/schema.ts';
import { runNode } from '../support/processes.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const doc = readFileSync(path.join(ROOT, 'docs/knowledge-base.md'), 'utf8');

/** The rows of the table that follows `heading`, as arrays of trimmed cells. */
function tableAfter(heading: string): string[][] {
  const start = doc.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const lines = doc.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

const ticked = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

describe('docs/knowledge-base.md', () => {
  it('has a row for every front-matter field the loader knows, and no other', () => {
    const fields = tableAfter('## An entry').map((r) => ticked(r[0]!)[0]);
    expect(fields.sort()).toEqual([...KNOWN_FIELDS].sort());
  });

  it('lists every phrase of _messages.yml with exactly the placeholders it may use', () => {
    const documented = new Map<string, string[]>();
    for (const [keys, , placeholders] of tableAfter('### `_messages.yml`')) {
      for (const key of ticked(keys!)) documented.set(key, [...placeholders!.matchAll(/`\{(\w+)\}`/g)].map((m) => m[1]!));
    }
    expect(Object.fromEntries(documented)).toEqual(MESSAGE_PLACEHOLDERS);
  });

  it('shows `kb ask --json` lines as the command writes them', { timeout: 60_000 }, async () => {
    const section = doc.slice(doc.indexOf('## Matching from a script'));
    const example = /```json\n([\s\S]*?)```/.exec(section)![1]!.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const documented = tableAfter('## Matching from a script').map((r) => ticked(r[0]!)[0]);
    const run = await runNode(['--import', 'tsx', 'src/knowledge/cli/main.ts', 'ask', '--json'], { cwd: ROOT, input: example.map((l) => `${String(l.q)}\n`).join('') });
    expect(run.code, run.stderr).toBe(0);
    const real = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(real).toHaveLength(example.length);
    real.forEach((line, i) => {
      expect(Object.keys(example[i]!)).toEqual(Object.keys(line));
      expect(example[i]).toMatchObject({ q: line.q, decision: line.decision });
    });
    // The contract's fields first, in the order written, then the extensions some lines carry.
    expect(documented.slice(0, 5)).toEqual(Object.keys(real[0]!));
    for (const line of real) for (const key of Object.keys(line)) expect(documented).toContain(key);
  });
});
