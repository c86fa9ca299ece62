import { createInterface } from 'node:readline';
import { readMessages, renderSuggestions } from '../phrases.ts';
import { renderAnswer } from '../render.ts';
import type { Matcher } from '../engine/matcher.ts';
import type { MatchResult, Thresholds } from '../types.ts';
import { DEFAULT_SMALLTALK, detectSmalltalk, readSmalltalk, type Smalltalk, type SmalltalkIntent } from '../smalltalk.ts';
import { bareText, DEFAULT_HUMAN_KEYWORDS, HELP, humanRequest, isComplaint, normalizeText } from '../../bot/policy/words.ts';
import { loadMatcher } from './load.ts';

/**
 * `json`: the machine contract, one JSON object per question: the `questions` given as arguments,
 * else stdin's lines. Without it, the one question described for a person.
 */
export async function runAsk(kbDir: string, thresholds: Partial<Thresholds>, questions: string[], json: boolean): Promise<number> {
  const matcher = await loadMatcher(kbDir, thresholds);
  if (!matcher) return 1;
  const smalltalk = readSmalltalk(kbDir)?.smalltalk ?? DEFAULT_SMALLTALK;
  if (!json) {
    process.stdout.write(describe(matcher, questions.join(' '), smalltalk, kbDir));
    return 0;
  }
  if (questions.length > 0) {
    for (const q of questions) process.stdout.write(jsonLine(matcher, q, smalltalk));
    return 0;
  }
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) process.stdout.write(jsonLine(matcher, line.replace(/\r$/, ''), smalltalk));
  return 0;
}

/**
 * What the bot does with a message besides the FAQ's decision: a person asked for, the menu, a reply
 * to small talk, or (when the FAQ does not answer it) anger at the service sent to a person.
 */
function before(question: string, smalltalk: Smalltalk, answered: boolean): { person?: true; complaint?: true; menu?: true; smalltalk?: SmalltalkIntent } {
  const bare = bareText(normalizeText(question));
  // As the bot: a request for a person that is also anger ("去12315投诉") is a complaint.
  if (humanRequest(question, DEFAULT_HUMAN_KEYWORDS) === 'ask') return isComplaint(bare) ? { complaint: true } : { person: true };
  if (!answered && isComplaint(bare)) return { complaint: true };
  if (HELP.has(bare)) return { menu: true };
  const chat = detectSmalltalk(question, smalltalk);
  return chat?.whole ? { smalltalk: chat.intent } : {};
}

/**
 * The contract's fields, then what the bot does before the FAQ (extensions): a request for a
 * person is `handoff` with no list, as the bot does; `menu` and `smalltalk` say the bot replies
 * with the menu or its small-talk phrase, while `decision` stays what the FAQ alone would give.
 */
function jsonLine(matcher: Matcher, q: string, smalltalk: Smalltalk): string {
  const r = matcher.match(q);
  const first = before(q, smalltalk, r.decision === 'answer');
  const line = first.person || first.complaint
    ? { q, decision: 'handoff', id: r.id, score: r.score, candidates: [], ...first }
    : { q, decision: r.decision, id: r.id, score: r.score, candidates: r.candidates.map((c) => c.id), ...also(r), ...first };
  return `${JSON.stringify(line)}\n`;
}

/** A message that asks several questions: the other entries the bot answers with too. */
const also = (r: MatchResult): { also?: string[] } => (r.questions ? { also: r.questions.filter((x) => x.id !== r.id).map((x) => x.id) } : {});

/** What the bot says to a whole message of small talk (bot/policy/chitchat.ts), as `kb ask` reports it. */
const SMALLTALK_REPLY = (intent: SmalltalkIntent): string =>
  intent === 'greeting' || intent === 'presence'
    ? `the bot sends the greeting and the menu on first contact, then ${intent}_again`
    : `the bot replies with smalltalk_${intent}${intent === 'thanks' || intent === 'bye' || intent === 'preamble' ? '' : ' and the menu'}`;

function describe(matcher: Matcher, question: string, smalltalk: Smalltalk, kbDir?: string): string {
  const r = matcher.match(question);
  // Score 0: nothing in common with any entry; the id the matcher reports then means nothing.
  const best = r.score > 0 ? (r.id ?? '-') : '- (nothing in common with any entry)';
  const found = `best: ${best}   score: ${r.score.toFixed(3)}`;
  // The bot hands these off before it asks the FAQ: a "did you mean" list would be no list it sends.
  const first = before(question, smalltalk, r.decision === 'answer');
  const person = first.person === true || first.complaint === true;
  // The matcher knows only the FAQ; the bot answers chit-chat before asking it (see _smalltalk.yml).
  const chat = first.smalltalk !== undefined && r.decision !== 'answer' ? first.smalltalk : undefined;
  const out: string[] = [
    person
      ? `decision: handoff   ${first.complaint ? 'anger at the service (complaint): the bot says sorry and hands off' : 'asks for a person (the default HUMAN_KEYWORDS): the bot hands off at once'}; the FAQ alone: ${r.decision}, ${found}`
      : first.menu
        ? `decision: menu   the bot replies with the numbered menu of the FAQ (menu_header), not a match; the FAQ alone: ${r.decision}, ${found}`
        : chat
          ? `decision: small talk (${chat})   ${SMALLTALK_REPLY(chat)}, not the FAQ; the FAQ alone: ${r.decision}, ${found}`
          : `decision: ${r.decision}   ${found}`,
  ];
  const t = matcher.thresholds;
  out.push(`thresholds: answer >= ${t.answer}, suggest >= ${t.suggest}`);
  const listed = person ? [] : r.candidates.map((c) => ({ ...c, entry: matcher.entry(c.id), lowered: matcher.loweredNote(question, c.id) }));
  // Confident, yet a list: two entries explain the question about equally (a lowered entry says so below).
  const [one, two] = listed;
  if (r.decision === 'suggest' && one && two && r.score >= t.answer && !one.lowered) {
    out.push(`why a list: ${one.id} and ${two.id} fit the question about equally, so the customer picks`);
  }
  for (const [i, c] of listed.entries()) {
    out.push(`  ${i + 1}. ${c.id} (${c.score.toFixed(3)}) ${c.entry?.question ?? ''}`);
    // Say why an entry that shares the question's words was only suggested.
    if (c.lowered) out.push(`     lowered: ${c.lowered}`);
  }
  // The "did you mean" message as WeChat shows it, in this knowledge base's own words.
  const questions = listed.flatMap((c) => (c.entry ? [c.entry.question] : []));
  const phrases = r.decision === 'suggest' && !first.menu && !chat && questions.length > 0 && kbDir !== undefined ? readMessages(kbDir)?.messages : undefined;
  if (phrases) out.push('', '--- WeChat message ---', renderSuggestions(phrases, questions));
  const answered = r.id ? matcher.entry(r.id) : undefined;
  if (r.decision === 'answer' && r.questions && !person) {
    // Several questions: each answered under a line naming its entry (the bot's answer_part).
    out.push(`several questions: the bot answers each (${r.questions.map((x) => `${x.id} for "${x.text}"`).join(', ')})`);
    for (const x of r.questions) {
      const e = matcher.entry(x.id);
      if (e) renderAnswer(e.answer).forEach((m, i, all) => out.push('', `--- WeChat message (${x.id}${all.length > 1 ? ` ${i + 1}/${all.length}` : ''}) ---`, m));
    }
  } else if (r.decision === 'answer' && answered) {
    const messages = renderAnswer(answered.answer);
    messages.forEach((m, i) => {
      out.push('', messages.length > 1 ? `--- WeChat message ${i + 1}/${messages.length} ---` : '--- WeChat message ---', m);
    });
  }
  return `${out.join('\n')}\n`;
}
