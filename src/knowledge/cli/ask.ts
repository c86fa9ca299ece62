import { createInterface } from 'node:readline';
import { renderAnswer } from '../render.ts';
import type { Matcher } from '../engine/matcher.ts';
import type { Thresholds } from '../types.ts';
import { DEFAULT_SMALLTALK, detectSmalltalk, readSmalltalk, type Smalltalk } from '../smalltalk.ts';
import { loadMatcher } from './load.ts';

/** `question === null`: the machine contract — stdin lines in, one JSON object per line out. */
export async function runAsk(kbDir: string, thresholds: Partial<Thresholds>, question: string | null): Promise<number> {
  const matcher = await loadMatcher(kbDir, thresholds);
  if (!matcher) return 1;
  if (question !== null) {
    process.stdout.write(describe(matcher, question, readSmalltalk(kbDir)?.smalltalk ?? DEFAULT_SMALLTALK));
    return 0;
  }
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    const q = line.replace(/\r$/, '');
    const r = matcher.match(q);
    const out = { q, decision: r.decision, id: r.id, score: r.score, candidates: r.candidates.map((c) => c.id) };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
  return 0;
}

function describe(matcher: Matcher, question: string, smalltalk: Smalltalk): string {
  const r = matcher.match(question);
  // Score 0: nothing in common with any entry; the id the matcher reports then means nothing.
  const best = r.score > 0 ? (r.id ?? '-') : '- (nothing in common with any entry)';
  const out: string[] = [`decision: ${r.decision}   best: ${best}   score: ${r.score.toFixed(3)}`];
  // The matcher knows only the FAQ; the bot answers chit-chat before asking it (see _smalltalk.yml).
  const chat = detectSmalltalk(question, smalltalk);
  if (chat?.whole) out.unshift(`small talk: ${chat.intent} (the bot replies with its smalltalk phrase and the menu, not the FAQ)`);
  const t = matcher.thresholds;
  out.push(`thresholds: answer >= ${t.answer}, suggest >= ${t.suggest}`);
  for (const [i, c] of r.candidates.entries()) {
    out.push(`  ${i + 1}. ${c.id} (${c.score.toFixed(3)}) ${matcher.entry(c.id)?.question ?? ''}`);
    // Say why an entry that shares the question's words was only suggested.
    const note = matcher.loweredNote(question, c.id);
    if (note) out.push(`     lowered: ${note}`);
  }
  const answered = r.id ? matcher.entry(r.id) : undefined;
  if (r.decision === 'answer' && answered) {
    const messages = renderAnswer(answered.answer);
    messages.forEach((m, i) => {
      out.push('', messages.length > 1 ? `--- WeChat message ${i + 1}/${messages.length} ---` : '--- WeChat message ---', m);
    });
  }
  return `${out.join('\n')}\n`;
}
