import { createInterface } from 'node:readline';
import { renderAnswer } from '../render.ts';
import type { Matcher } from '../engine/matcher.ts';
import type { Thresholds } from '../types.ts';
import { DEFAULT_SMALLTALK, detectSmalltalk, readSmalltalk, type Smalltalk, type SmalltalkIntent } from '../smalltalk.ts';
import { DEFAULT_HUMAN_KEYWORDS, humanRequest } from '../../bot/policy/words.ts';
import { loadMatcher } from './load.ts';

/**
 * `json`: the machine contract, one JSON object per question: the `questions` given as arguments,
 * else stdin's lines. Without it, the one question described for a person.
 */
export async function runAsk(kbDir: string, thresholds: Partial<Thresholds>, questions: string[], json: boolean): Promise<number> {
  const matcher = await loadMatcher(kbDir, thresholds);
  if (!matcher) return 1;
  if (!json) {
    process.stdout.write(describe(matcher, questions.join(' '), readSmalltalk(kbDir)?.smalltalk ?? DEFAULT_SMALLTALK));
    return 0;
  }
  if (questions.length > 0) {
    for (const q of questions) process.stdout.write(jsonLine(matcher, q));
    return 0;
  }
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) process.stdout.write(jsonLine(matcher, line.replace(/\r$/, '')));
  return 0;
}

function jsonLine(matcher: Matcher, q: string): string {
  const r = matcher.match(q);
  return `${JSON.stringify({ q, decision: r.decision, id: r.id, score: r.score, candidates: r.candidates.map((c) => c.id) })}\n`;
}

/** What the bot says to a whole message of small talk (bot/policy/chitchat.ts), as `kb ask` reports it. */
const SMALLTALK_REPLY = (intent: SmalltalkIntent): string =>
  intent === 'greeting' || intent === 'presence'
    ? `the bot sends the greeting and the menu on first contact, then ${intent}_again`
    : `the bot replies with smalltalk_${intent}${intent === 'thanks' || intent === 'bye' ? '' : ' and the menu'}`;

function describe(matcher: Matcher, question: string, smalltalk: Smalltalk): string {
  const r = matcher.match(question);
  // Score 0: nothing in common with any entry; the id the matcher reports then means nothing.
  const best = r.score > 0 ? (r.id ?? '-') : '- (nothing in common with any entry)';
  const found = `best: ${best}   score: ${r.score.toFixed(3)}`;
  // The bot hands these off before it asks the FAQ: a "did you mean" list would be no list it sends.
  const person = humanRequest(question, DEFAULT_HUMAN_KEYWORDS) === 'ask';
  const out: string[] = [
    person
      ? `decision: handoff   asks for a person (the default HUMAN_KEYWORDS): the bot hands off at once; the FAQ alone: ${r.decision}, ${found}`
      : `decision: ${r.decision}   ${found}`,
  ];
  // The matcher knows only the FAQ; the bot answers chit-chat before asking it (see _smalltalk.yml).
  const chat = detectSmalltalk(question, smalltalk);
  if (chat?.whole) out.unshift(`small talk: ${chat.intent} (${SMALLTALK_REPLY(chat.intent)}, not the FAQ)`);
  const t = matcher.thresholds;
  out.push(`thresholds: answer >= ${t.answer}, suggest >= ${t.suggest}`);
  for (const [i, c] of (person ? [] : r.candidates).entries()) {
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
