/**
 * The journal file (src/bot/journal.ts) on a real filesystem: what a later process recovers, how
 * it stays small, and that a damaged line costs only that line. The bot's use of it (replay after a
 * crash, idempotent redo) is in ./journal-replay.test.ts and ./journal-fault.test.ts.
 */
import { existsSync, readFileSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, journalName } from '../../src/bot/journal.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (o: Partial<ConstructorParameters<typeof Journal>[0]> = {}) => new Journal({ dir, name: 'bot1.kefu', ...o });

describe('Journal', () => {
  it('a later process recovers exactly the entries never confirmed, in order, and numbers on after them', () => {
    const a = open();
    const ids = ['a', 'b', 'c', 'd'].map((x) => a.append({ x })!);
    a.done(ids[1]!);
    a.done(ids[3]!);
    expect(a.size).toBe(2);
    // No close: the process was killed.
    const b = open();
    expect(b.recovered.map((e) => e.data)).toEqual([{ x: 'a' }, { x: 'c' }]);
    expect(b.recovered.map((e) => e.id)).toEqual([ids[0], ids[2]]);
    expect(b.size).toBe(2);
    const next = b.append({ x: 'e' })!;
    expect(next).toBeGreaterThan(ids[3]!);
    b.done(ids[0]!);
    b.done(ids[2]!);
    b.close();
    expect(open().recovered.map((e) => e.data)).toEqual([{ x: 'e' }]);
  });

  it('is emptied whenever nothing is pending, and removed on a clean close', () => {
    const j = open();
    for (let i = 0; i < 100; i++) j.done(j.append({ i, text: '一条客户消息' })!);
    expect(statSync(j.file).size).toBe(0);
    j.append({ i: 'pending' });
    expect(statSync(j.file).size).toBeGreaterThan(0);
    j.close();
    expect(existsSync(j.file)).toBe(true);
    const again = open();
    again.done(again.recovered[0]!.id);
    again.close();
    expect(existsSync(again.file)).toBe(false);
  });

  it('rewrites itself with only the pending entries when confirmed ones make up most of a large file', () => {
    const j = open({ compactBytes: 4_096 });
    const stuck = j.append({ stuck: true })!;
    for (let i = 0; i < 500; i++) j.done(j.append({ i, text: 'x'.repeat(50) })!);
    expect(statSync(j.file).size).toBeLessThan(4_096 + 200);
    j.close();
    const again = open();
    expect(again.recovered.map((e) => e.id)).toEqual([stuck]);
  });

  it('skips a torn or foreign line and keeps the rest', () => {
    const file = path.join(dir, 'bot1.kefu.jsonl');
    writeFileSync(file, `${JSON.stringify({ id: 1, at: 1, data: { ok: 1 } })}\n{"id":2,"at":2,"da`);
    appendFileSync(file, `\n${JSON.stringify({ something: 'else' })}\n${JSON.stringify({ id: 3, at: 3, data: { ok: 3 } })}\n`);
    const j = open();
    expect(j.recovered.map((e) => e.data)).toEqual([{ ok: 1 }, { ok: 3 }]);
  });

  it('moves an entry Redis keeps refusing to the rejected file, with the reason', () => {
    const a = open();
    a.append({ op: 'bad' });
    const b = open();
    b.reject(b.recovered[0]!.id, 'ERR something');
    expect(b.size).toBe(0);
    const rejected = readFileSync(path.join(dir, 'bot1.kefu.rejected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(rejected).toEqual([expect.objectContaining({ data: { op: 'bad' }, reason: 'ERR something' })]);
    expect(open().recovered).toEqual([]);
  });

  it('after close, appends are not journaled (a write still on its way while the bot stops)', () => {
    const j = open();
    j.close();
    expect(j.append({ late: true })).toBeUndefined();
  });

  it('names a file per bot account and key prefix, and refuses a name that is not a plain file name', () => {
    expect(journalName('kefu-bridge', 'kefu:staging')).toBe('kefu-bridge.kefu_staging');
    expect(() => open({ name: '../x' })).toThrow(RangeError);
  });
});
