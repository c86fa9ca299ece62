/**
 * Ratings and what comes after them: the 1-5 answer to the rating question (in digits, words or
 * stars, with a remark after it, or a slip owned up to), the low-rating follow-up window in which
 * whatever the customer writes goes to a person, and remarks on the service after a good one.
 */
import type { Decision, Session } from '../types.ts';
import { acknowledgement, saysStillBroken, thanksIn } from './acks.ts';
import { carry, handoff, LOW_RATING_FOLLOW_UP_MS, RATING_COMMENT_MS, reply, say, type Turn } from './context.ts';
import { ASKING, bareText, correctedRating, isComplaint, lastScoreNamed, NO, NOT_HELPFUL, numberOf, offScale, ratingOf } from './words.ts';

/** The session with its low-rating follow-up window only while it is open. */
export function followUpActive(session: Session, now: number): Session {
  if (!session.ratingFollowUp) return session;
  // A session from before the window existed (no end): it still lasts this one turn.
  if (session.ratingFollowUpUntil === undefined || now < session.ratingFollowUpUntil) return session;
  const { ratingFollowUp: _s, ratingFollowUpUntil: _u, ...rest } = session;
  return rest;
}

/** `carry`, plus the open follow-up window: small talk and thanks in between do not close it. */
export function keepFollowUp(session: Session): Session {
  const base = carry(session);
  if (session.ratingFollowUp && session.ratingFollowUpUntil !== undefined) {
    base.ratingFollowUp = session.ratingFollowUp;
    base.ratingFollowUpUntil = session.ratingFollowUpUntil;
  }
  return base;
}

/**
 * Step 0: after a 1-2 rating the customer was asked what went wrong. Within the window
 * (PolicyOptions.lowRatingFollowUpMs) whatever they write next goes to a person as a low-rating
 * follow-up, their words as the question (the bot answering a customer who just said the service
 * was bad closes nothing). "不用了" closes the window; "谢谢" / emoji leave it open; another rating
 * is a rating.
 */
export function followUp(t: Turn): Decision | undefined {
  const { session, bare, messages } = t;
  if (!session.ratingFollowUp) return undefined;
  const closed = carry(session);
  if (t.human === 'ask') return { ...handoff(t, 'low_rating', [], t.text.slice(0, 500)), session: closed };
  if (t.human === 'negated' || NO.has(bare)) return reply(t, messages.offer_declined, closed);
  if (acknowledgement(bare) || !bare) return undefined;
  if (numberOf(bare) !== undefined || ratingOf(t.normalized) !== undefined) return undefined;
  // "啊不是 按错了 5分": the score they meant, not a complaint for a person.
  const meant = correctedRating(bare);
  if (meant !== undefined) return rated({ ...t, session: closed }, meant);
  const comment = t.text.trim().slice(0, 500);
  return {
    ...handoff(t, 'low_rating', [say(messages.rating_comment_thanks)], comment),
    session: closed,
    outcome: { type: 'rating_comment', question: comment },
  };
}

/**
 * The answer to the rating question in words or stars ("5分", "五星好评", "满分", "⭐⭐⭐⭐⭐"): before
 * anything reads it as a question (it is none; the matcher would hand it to a person). Digits are
 * step 7's.
 */
const DECLINES_RATING = /^(?:不|不用|不想|懒得|算了)(?:打|评|评价|打分|评分)?了?(?:吧|啊)?$|^(?:不|不想|懒得)(?:打分|评分|评价)/u;
/** "不评了", "懒得打分": no rating wanted, said in so many words (not a bare "不"). */
export const declinesRating = (bare: string): boolean => DECLINES_RATING.test(bare) && /评|打/u.test(bare);
/** A remark in the rating's place: "…但是等太久了", "回复有点慢". */
const REMARK = /但是|不过|可是|太久|太慢|有点慢|有点久|挺久|好久|久了|等了/u;

/** The score asked about rather than given: "你猜我打几分", "打几分合适", "满分几分". */
const ASKS_SCORE = /(?:打|给|评|满分是?)(?:几|多少)(?:分|星)|(?:几|多少)分(?:合适|好|呢|啊)/u;

/** Said with a low score: the problem is still there. */
const UNSOLVED = /解决不了|没解决|没有解决|没弄好|还是不行|还没好|没用/u;

/** Pleased with the service, in words: "挺好的", "很专业", "不错". */
const PLEASED = /挺好|很好|不错|满意|给力|专业|耐心|热情|及时/u;

/** After the chat was closed, something wanted ("我想注销账号"): a question, not a remark. */
const WANTS_AFTER = /想|要|能|可以|请|帮|怎么/u;
/** After the chat was closed, trouble still (or again): for a person, not a remark to thank for. */
const TROUBLE_AFTER = /不行|不能|没有?|还是|失败|错|坏|卡|黑屏|打不开|闪退|崩|报错/u;

/** "没解决啊", "还没弄好": the problem the agent closed is still there. */
const NOT_SOLVED = /^.{0,6}?(?:没|没有|未|还没)(?:解决|弄好|处理好|修好|好)(?:啊|呀|呢|吧|了|的)*$/u;

export function ratingGiven(t: Turn): Decision | undefined {
  if (t.status !== 'resolved') return undefined;
  const alone = ratingOf(t.normalized);
  const score = alone ?? ratedWithComment(t) ?? lastScoreNamed(t.bare) ?? trailingScore(t);
  // "10分": a score on another scale; the question stays open, as for the number 10.
  // "你猜我打几分", "打几分好呢": the scale asked about, no score given; the question stays open.
  if (score === undefined && (offScale(t.normalized) || ASKS_SCORE.test(t.bare)) && !t.session.rated) return reply(t, t.messages.rating_range, { ...t.base, ratingAsked: true });
  if (score !== undefined) return rated(t, score, alone === undefined);
  // "哦 5" after the scale was asked again: the digit, after an interjection.
  const after = /^(?:哦|噢|嗯|那|好吧?|额|呃|哎|唉)+\s*([1-5])$/u.exec(t.bare);
  if (after && !(t.session.offered ?? []).length) return rated(t, Number(after[1]));
  // Rated already, or a number (a pick from a list, or off the scale): nothing more here.
  if (t.session.rated || numberOf(t.bare) !== undefined) return undefined;
  const stillOpen = { ...t.base, ratingAsked: true };
  // "不打了", "不评了": no rating, no person either.
  if (DECLINES_RATING.test(t.bare)) return reply(t, t.messages.ack_ok, { ...t.base, rated: true });
  const ack = acknowledgement(t.bare);
  const asks = ASKING.test(t.bare);
  // "厉害 👍👍": praise with a thumbs up is the top score; praise alone ("太棒了", "挺好的")
  // is thanked for, and the score asked once more (it is not "we will do better").
  // Not negated: "服务不专业", "回复不及时", "不是很好" are no praise.
  const negated = /不|没/u.test(t.bare);
  const praise = t.talk?.whole === true && t.talk.intent === 'praise' && !negated;
  const pleasedWords = PLEASED.test(t.bare) && !negated;
  if ((praise || pleasedWords) && /👍|\[强\]/u.test(t.text) && !/👎|\[弱\]/u.test(t.text)) return rated(t, 5, true);
  if ((praise || (pleasedWords && !thanksIn(t.bare) && ack !== 'helpful')) && !REMARK.test(t.bare) && !asks) return reply(t, t.messages.rating_praise, stillOpen);
  // "解决是解决了 但是等太久了", "挺好的，解决了": a remark on the service instead of a score.
  const pleased = !thanksIn(t.bare) && (ack === 'helpful' || PLEASED.test(t.bare));
  if ((REMARK.test(t.bare) || pleased) && !asks) return reply(t, t.messages.rating_comment_noted, stillOpen);
  // "？？？没解决啊" to the rating question: the chat was closed too soon; back to a person, with
  // their words as the question, not "这个问题我暂时答不上来".
  if (NOT_HELPFUL.has(t.bare) || saysStillBroken(t.bare) || NOT_SOLVED.test(t.bare)) {
    return handoff(t, 'not_helpful', [say(t.messages.resolved_not_solved)], t.text.trim().slice(0, 500));
  }
  // "行吧 下次别这样了", "看到了 付了 已经显示终身了[强]": a word on how it went, not a question for the
  // queue the customer just left; noted, and the score still welcome.
  const remarkOnly = t.human !== 'ask' && !asks && ack === undefined && !thanksIn(t.bare) && !t.talk?.whole && !TROUBLE_AFTER.test(t.bare) && !WANTS_AFTER.test(t.bare) && !isComplaint(t.bare);
  if (remarkOnly && t.kb.matcher.match(t.text).decision !== 'answer') return reply(t, t.messages.rating_comment_noted, stillOpen);
  return undefined;
}

/**
 * "5分，小李挺耐心的" / "4，回复有点慢": a rating, then a remark on the service. The remark stays in
 * the transcript; read as a question, the whole would have gone back to the queue and the score
 * been lost. A bare digit counts only when no list is open (its number would be a pick).
 */
function ratedWithComment(t: Turn): number | undefined {
  const cut = /[，,。.！!；;~～\s]+/u.exec(t.normalized);
  if (!cut || cut.index === 0 || !t.normalized.slice(cut.index + cut[0].length).trim()) return undefined;
  const head = t.normalized.slice(0, cut.index);
  const words = ratingOf(head);
  if (words !== undefined) return words;
  const n = numberOf(bareText(head));
  return n !== undefined && n >= 1 && n <= 5 && !(t.session.offered ?? []).length ? n : undefined;
}

/** "挺快的 5", "还行 4": a remark, then the score as a digit at the end (no list open to pick from). */
function trailingScore(t: Turn): number | undefined {
  const m = /(?:^|[\s，,。.！!~～])([1-5])(?:分|星)?[\s。.！!~～]*$/u.exec(t.normalized);
  return m && m.index > 0 && !(t.session.offered ?? []).length ? Number(m[1]) : undefined;
}

/**
 * Right after a rating of 3-5, words the FAQ does not answer are a remark on the service
 * ("客服回复有点慢，不过解决了"): thanked for, not met with a "did you mean" list. A question it
 * answers is answered; anger goes to a person (fromKnowledge).
 */
export function remark(t: Turn): Decision | undefined {
  const until = t.session.commentUntil;
  if (until === undefined || (t.now ?? Date.now()) >= until || isComplaint(t.bare)) return undefined;
  // "那超过7天的呢": a question, if one the FAQ can only guess at; not a remark to thank for.
  if (ASKING.test(t.bare) || t.kb.matcher.match(t.text).decision === 'answer') return undefined;
  // "谢谢小姐姐": thanks, answered as thanks (small talk), not "we will improve".
  if ((acknowledgement(t.bare) !== undefined || thanksIn(t.bare)) && !REMARK.test(t.bare)) return undefined;
  return reply(t, t.messages.rating_comment_noted);
}

/**
 * The thanks differ by score; a 1-2 asks what went wrong and opens the follow-up window (followUp),
 * or, said already with the score (`withWords`: "1 机器人太差了"), takes it without asking again.
 */
export function rated(t: Turn, score: number, withWords = false): Decision {
  const { messages } = t;
  const base = carry(t.session);
  if (score <= 2) {
    // "1 解决不了问题": the score, and the chat back to a person, as for "没解决啊" alone.
    if (withWords && UNSOLVED.test(t.bare)) {
      const back = handoff(t, 'not_helpful', [say(messages.resolved_not_solved)], t.text.trim().slice(0, 500));
      return { ...back, session: { ...back.session, rated: true }, outcome: { type: 'rating', score } };
    }
    const until = (t.now ?? Date.now()) + (t.options.lowRatingFollowUpMs ?? LOW_RATING_FOLLOW_UP_MS);
    // "1分 等太久": what went wrong said with the score; sorry for it, and noted for a person.
    return { ...reply(t, withWords ? messages.rating_low_noted : messages.rating_low_followup, { ...base, rated: true, ratingFollowUp: score, ratingFollowUpUntil: until }), outcome: { type: 'rating', score } };
  }
  const commentUntil = (t.now ?? Date.now()) + RATING_COMMENT_MS;
  // "4分吧 回复有点慢": a score with a remark on what could be better; thanked for the remark, not for praise.
  const thanks = withWords && REMARK.test(t.bare) ? messages.rating_comment_noted : score >= 4 ? messages.rating_thanks_high : messages.rating_thanks;
  return { ...reply(t, thanks, { ...base, rated: true, commentUntil }), outcome: { type: 'rating', score } };
}
