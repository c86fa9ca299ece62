/**
 * The console UI's SLA wording (src/console/ui/format.js, a plain module the browser loads as is):
 * the last minute before and after a promise is said in words, never "0分钟".
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a browser module without types
import { slaText, snippetOf } from '../../src/console/ui/format.js';

const due = Date.parse('2026-12-05T10:00:00Z');
const conv = { slaDueAt: new Date(due).toISOString() };
const at = (s: number): string => slaText(conv, due + s * 1000, true) as string;

describe('slaText', () => {
  it('says the last minute before and after the promise in words, and minutes beyond', () => {
    expect(at(-30 * 60)).toBe('剩30分钟');
    expect(at(-61)).toBe('剩1分钟');
    expect(at(-59)).toBe('不到1分钟');
    expect(at(0)).toBe('不到1分钟');
    expect(at(1)).toBe('刚超时');
    expect(at(59)).toBe('刚超时');
    expect(at(5 * 60)).toBe('超5分钟');
    expect(slaText(conv, due + 10_000)).toBe('刚刚超时');
    expect(slaText({ slaDueAt: null }, due)).toBe('');
  });
});

describe('a search result of a long message', () => {
  it('shows the stretch around the word found, cut with "…"; a short message whole', () => {
    expect(snippetOf('退款多久到账', '退款')).toBe('退款多久到账');
    const long = `${'前面的故事'.repeat(60)}我的退款还没到账${'后面的话'.repeat(60)}`;
    const shown = snippetOf(long, '退款') as string;
    expect(shown.startsWith('…')).toBe(true);
    expect(shown.endsWith('…')).toBe(true);
    expect(shown).toContain('我的退款还没到账');
    expect(Array.from(shown).length).toBe(160 + 2);
    // Nothing found (a name matched, say): the start of the message.
    expect(snippetOf(long, '发票')).toBe(`${Array.from(long).slice(0, 160).join('')}…`);
    // Near the end: the last 160 characters, not a short tail.
    expect(Array.from(snippetOf(`${'字'.repeat(300)}退款`, '退款') as string).length).toBe(161);
  });
});
