/**
 * Small talk and dead ends: what keeps a customer who is chatting, or whose question the FAQ does
 * not cover, from waiting a day in the human queue for nothing. Chit-chat ("今天天气怎么样",
 * "你是机器人吗") gets a short phrase and the menu; "都不是" after a "did you mean" list asks once
 * to rephrase before a person; thanks or "还是不行啊" right after an answer are its verdict.
 */
import type { MatchResult, SmalltalkIntent } from '../../knowledge/index.ts';
import type { MessageKey } from '../messages.ts';
import type { Decision, Session } from '../types.ts';
import { helpful, lowConfidence, menu, reply, say, type Turn } from './context.ts';
import { ASKING, compact, DEAD_END, isComplaint, namesDevice, ratingOf, rejects, saysOneOf, statesContext } from './words.ts';
import { declinesRating } from './rating.ts';
import { leavingQueue } from './waiting.ts';

/** Said around a question ("你好，…", "谢谢，那…"): never a reason to pass the FAQ by. */
const FRAMING: ReadonlySet<SmalltalkIntent> = new Set(['greeting', 'presence', 'thanks', 'bye', 'preamble']);
/**
 * Their phrase alone, without the menu: thanks and bye end a chat; "我想咨询一下" announces a
 * question the customer is about to type (a menu would only be in the way).
 */
const ENDING: ReadonlySet<SmalltalkIntent> = new Set(['thanks', 'bye', 'preamble']);
/** A message at least this much small talk (phrases and filler) is chit-chat when the FAQ finds nothing. */
export const MOSTLY_SMALLTALK = 0.5;
/**
 * A "did you mean" list whose best entry scores below this is as good as nothing for a message
 * that is mostly small talk (about the middle of the calibrated suggest band, 0.17-0.69).
 */
export const WEAK_SUGGESTION = 0.4;

/** Said again once greeted: 在的~ answers 在吗, not a second 你好. */
const AGAIN = { greeting: 'greeting_again', presence: 'presence_again' } as const satisfies Record<string, MessageKey>;

const PHRASE: Record<Exclude<SmalltalkIntent, keyof typeof AGAIN>, MessageKey> = {
  thanks: 'smalltalk_thanks',
  bye: 'smalltalk_bye',
  how_are_you: 'smalltalk_how_are_you',
  bot_identity: 'smalltalk_bot_identity',
  weather: 'smalltalk_weather',
  praise: 'smalltalk_praise',
  chitchat: 'smalltalk_chitchat',
  preamble: 'smalltalk_preamble',
};

/**
 * The reply to small talk: a greeting or "在吗" the greeting and the menu on first contact, later
 * its own phrase (`greeting_again`, `presence_again`); thanks and bye their phrase; any other
 * intent its phrase and the menu.
 */
export function smalltalk(t: Turn, intent: SmalltalkIntent): Decision {
  const outcome = { type: 'smalltalk' } as const;
  if (intent === 'greeting' || intent === 'presence') {
    if (!t.session.greeted) return { ...menu(t, true), outcome };
    // "在吗" then "在不在": the menu just sent still answers to its numbers (the "2" that follows).
    return { ...reply(t, t.messages[AGAIN[intent]], menuPending(t) ? menuKept(t) : undefined), outcome };
  }
  const text = t.messages[PHRASE[intent]];
  if (ENDING.has(intent)) return { ...reply(t, text), outcome };
  // The menu was the last list sent and still answers to its numbers: the phrase alone, not the
  // whole menu again for every "哈哈" or "你是机器人吗" in a row.
  if (menuPending(t)) return { ...reply(t, alone(text), menuKept(t)), outcome };
  return { ...menu(t, false, [say(text)]), outcome };
}

/** A phrase that leads into the menu ("…尽管问我：") said without it: no colon left hanging. */
export function alone(text: string): string {
  return text.replace(/[：:]\s*$/u, '~');
}

/** "我年纪大了不太会弄", "这个软件怎么用": a word of encouragement and the menu (not the menu again right after it). */
export function guidance(t: Turn): Decision {
  const outcome = { type: 'smalltalk' } as const;
  if (menuPending(t)) return { ...reply(t, t.messages.guidance_again, menuKept(t)), outcome };
  return { ...menu(t, false, [say(t.messages.guidance)]), outcome };
}

/** The session of a reply after which the menu still answers to its numbers (menuPending). */
const menuKept = (t: Turn): Session => ({ ...t.base, greeted: true, offered: t.session.offered! });

/** The menu was the last list sent and still answers to its numbers. */
export function menuPending(t: Turn): boolean {
  const { offered, offeredFrom, suggested } = t.session;
  const ids = t.kb.menu.map((e) => e.id);
  return !suggested && (offeredFrom ?? 1) === 1 && offered !== undefined && offered.length === ids.length && offered.every((id, i) => id === ids[i]);
}

/** The whole message is small talk. */
export function chitchat(t: Turn): Decision | undefined {
  return t.talk?.whole ? smalltalk(t, t.talk.intent) : undefined;
}

/**
 * Right after an answer ("有帮助吗？" pending): thanks or praise in words of their own count as
 * helpful; "还是不行啊", "答非所问" as not helpful (a person is offered, like after "2"), recorded
 * as `rejected` with the entry and the question it answered.
 */
export function verdictInWords(t: Turn): Decision | undefined {
  if (!t.session.feedbackFor) return undefined;
  // Thanks counts as "helpful", and is answered as thanks ("收到反馈" would answer a button).
  if (t.talk?.whole && (t.talk.intent === 'thanks' || t.talk.intent === 'praise')) {
    return helpful(t, true, undefined, t.talk.intent === 'thanks' ? t.messages.smalltalk_thanks : t.messages.smalltalk_praise);
  }
  if (rejects(t.bare)) return helpful(t, false, 'rejected');
  return undefined;
}

/**
 * "都不是" after a "did you mean" list: the first time a prompt to rephrase and the menu (the
 * question counts as unanswered); again, a person for the question asked (low confidence).
 */
export function deadEnd(t: Turn, said = saysOneOf(DEAD_END, t.bare)): Decision | undefined {
  const { session } = t;
  // "不是这个" after an answer, a person offered, then "都不是": asked to rephrase as well.
  if (!session.suggested && !session.rephrased && !session.humanOffered) return undefined;
  if (!said) return undefined;
  const question = session.question;
  // A new list after the rephrase: its question was not counted yet; the first one was.
  const unanswered = question && session.suggested ? ({ type: 'unanswered', question } as const) : undefined;
  if (session.rephrased) return lowConfidence(t, unanswered, question);
  // The menu without the entries the customer just said were not it.
  const d = menu(t, false, [say(t.messages.rephrase)], new Set(session.offered ?? []));
  const next: Session = { ...d.session, rephrased: true, ...(question ? { question } : {}) };
  return unanswered ? { ...d, session: next, outcome: unanswered } : { ...d, session: next };
}

/**
 * The FAQ found nothing (no entry, or only a weak "did you mean") for a message that is mostly
 * small talk ("今天天气怎么样啊，适合出去玩吗"): the small-talk reply instead of a person. Not after
 * a rephrase prompt: a second dead end goes to a person.
 */
export function smalltalkInstead(t: Turn, match: MatchResult): Decision | undefined {
  const { talk } = t;
  if (!talk || t.session.rephrased || FRAMING.has(talk.intent) || talk.coverage < MOSTLY_SMALLTALK) return undefined;
  const nothing = match.decision === 'handoff' || (match.decision === 'suggest' && match.score < WEAK_SUGGESTION);
  return nothing ? smalltalk(t, talk.intent) : undefined;
}

/**
 * "我用的是mac", "我是会员" with nothing pending: noted, and read with the next message if that
 * alone finds no answer (fromKnowledge), instead of answering the statement as a question.
 */
export function aboutThemselves(t: Turn): Decision | undefined {
  const { session } = t;
  // After the menu too ("你好" then "我是个老师"); not while a "did you mean" list waits for a pick.
  // Their device alone ("电脑上的" after "具体是哪里不好用呢？") is such a statement too.
  if (session.feedbackFor || session.suggested || session.humanOffered || !(statesContext(t.bare) || namesDevice(t.bare))) return undefined;
  const context = t.text.trim().replace(/^(?:你好|您好|亲)[\s，,、~～!！]*/u, '').slice(0, 200);
  return reply(t, t.messages.context_noted, { ...t.base, context });
}

/** "算了", "唉 算了吧": the customer gives up on the bot; nothing to match, no queue they did not ask for. */
const GIVES_UP = /^(?:那|哎|唉|哦|好吧)?(?:算了)+(?:吧|啦|了)?$/u;

/** Giving up, with nothing pending that "算了" answers (a person offered, handled before): sorry, and where a person is. */
export function givesUp(t: Turn): Decision | undefined {
  if (GIVES_UP.test(compact(t.bare))) return { ...reply(t, t.messages.gave_up, t.base), outcome: { type: 'smalltalk' } };
  // "不用了 已经登上了" just after leaving the queue, "不评了" with no rating asked: nothing is wanted,
  // and the FAQ finding nothing in it is no reason to queue them (it had, twice in a row).
  // A good score nobody asked for ("5分" after a chat closed without a reply) is feedback, not a
  // question; a bad one ("差评") is a complaint, for a person (below).
  // "算了 差评 卸载了" gives up angrily: a complaint (below), not an ok.
  if (!ASKING.test(t.bare) && !isComplaint(t.bare) && (leavingQueue(t.bare, t.human) || declinesRating(compact(t.bare)) || (ratingOf(t.normalized) ?? 0) >= 3)) return reply(t, t.messages.ack_ok, t.base);
  return undefined;
}
