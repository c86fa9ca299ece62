import { describe, expect, it } from 'vitest';
import { openGaps, type RawGap } from '../../src/handoff/gaps.ts';

const row = (id: string, conv: string, reason: string, at: number, text = 'q'): RawGap => ({ id, conv, reason, text, faqId: null, at });

describe('openGaps: the gaps stream as editors read it', () => {
  it('a list picked from drops out with its pick; a list never picked from is a gap; picks are never gaps', () => {
    const got = openGaps([
      row('1-0', 'b.a', 'suggest', 1, '导出'),
      row('2-0', 'b.a', 'picked', 2, ''),
      row('3-0', 'b.c', 'suggest', 3, '水印'),
      row('4-0', 'b.d', 'unanswered', 4, '写首诗'),
      row('5-0', 'b.e', 'not_helpful', 5, '录屏'),
    ]);
    expect(got.map((g) => [g.conv, g.reason, g.text])).toEqual([
      ['b.e', 'not_helpful', '录屏'],
      ['b.d', 'unanswered', '写首诗'],
      ['b.c', 'suggested', '水印'],
    ]);
  });

  it('a pick settles only the latest list of its own conversation, in time order whatever the input order', () => {
    const got = openGaps([
      row('4-0', 'b.a', 'picked', 4, ''),
      row('1-0', 'b.a', 'suggest', 1, '第一次'),
      row('3-0', 'b.a', 'suggest', 3, '第二次'),
      row('2-0', 'b.x', 'picked', 2, ''),
    ]);
    expect(got.map((g) => g.text)).toEqual(['第一次']);
    expect(got[0]!.at).toBe(new Date(1).toISOString());
  });
});
