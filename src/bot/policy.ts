/**
 * The bot's dialogue policy: what to do with one customer message, as a pure function of the
 * message, the conversation status, the bot's memory of the customer (Session) and the knowledge
 * base. It never sends, stores or reads the clock; the plugin carries out the returned actions and
 * keeps the returned session. A customer back after a pause (PAUSE_MS) is decided for with
 * `afterPause(session)`: the prompts of the conversation before it are forgotten.
 *
 * ## Order of the checks (status bot / resolved)
 *
 * 1. Empty text: nothing to do. Only emoji/punctuation: 👍 counts as "helpful" or a thank-you; another
 *    emoji alone ("[微笑]") as the first bubble is a hello (the greeting and the menu).
 * 2. "你是机器人吗" / "是真人吗" as the whole message (small talk, `_smalltalk.yml`): the
 *    `smalltalk_bot_identity` reply and the menu, though 真人 is a keyword for a person.
 * 3. Explicit request for a person (see `humanRequest`): hand off at once, reason customer_asked
 *    (right after an answer, recorded as `rejected` for that entry). A negated request
 *    ("不用转人工") is answered with `offer_declined`.
 * 4. Help / menu words (帮助, 菜单, ?, help, …): the numbered menu (with the greeting on first contact).
 *    A greeting (你好, hi, 在吗, 你好呀～, …): greeting + menu on first contact, `greeting_again` later.
 * 5. A pending offer of a person (Session.humanOffered): "1" / 好 / 是 / 要 / … accepts (handoff with
 *    Session.offerReason), 不用 / 算了 / … declines.
 * 6. A pending "有帮助吗？" check (Session.feedbackFor): "1" / 有帮助 / 谢谢 / 👍 → helpful (so are
 *    thanks and praise in other words: "太感谢了"); "2" / 没解决 / 没用 → not helpful, and a person
 *    is offered; "还是不行啊" / "答非所问" … the same, recorded as `rejected`. Acknowledgements in
 *    several words (policy/acks.ts: "好的 明白了 谢谢亲", "搞定了") are helpful; "我试试" keeps the
 *    check open (`ack_trying`); "看不懂" / "怎么弄" offers a person (`unclear_offer`).
 * 7. A number: the entry behind it in the most recent numbered list (Session.offered, shown from
 *    Session.offeredFrom); a number outside every pending choice → `pick_number` hint (the state
 *    is kept so the customer can try again); a number when no list is pending → the menu
 *    (status resolved: a 1-5 reply is a rating → `rating_thanks`). A pick from a "did you mean"
 *    list (Session.suggested) is recorded as `picked`, with the question behind the list. Right
 *    after an answer, a number past its related questions picks from the menu shown earlier.
 * 8. The full question of an offered entry, typed out: that entry (`picked` likewise).
 * 9. Thanks / ok / bye: `closing` for thanks, `ack_ok` for a plain "好的", `smalltalk_bye`, `ack_trying`.
 * 10. "都不是" after a "did you mean" list: the first time `rephrase` and the menu
 *     (Session.rephrased); again — or "都不是" to the next list — a person as for low confidence.
 * 11. The whole message is small talk (thanks, bye, 你好吗, the weather, praise, 哈哈 / 讲个笑话):
 *     its `smalltalk_*` phrase, then the menu (not after thanks and bye); outcome `smalltalk`.
 * 12. Otherwise the matcher: answer / "did you mean" list / low confidence (handoff or offer); a
 *     third list in a row with nothing picked from the first two goes to a person instead; an
 *     entry answered earlier in the session, asked after with "还是…" ("还是没收到"), is not sent
 *     again (a person is offered, as for "没解决"); "算了" alone gets `gave_up`.
 *     Several questions the FAQ answers are each answered (`answer_part` above each); the entry
 *     just answered, asked after again, is not sent twice (`answer_again`); a detail or one point
 *     of it ("mac", "永久的呢") gets the one line of that answer that speaks of it (`answer_excerpt`);
 *     a question that alone lands on another entry but read after the one just answered lands
 *     on it ("是录游戏的" after no sound) is about it (the line, else `answer_again`).
 *     The line is also found by a where-question, the weightiest word or the last clause ("算了 分段录吧
 *     怎么合并"); an entry answered earlier and asked after again gets its line, a list led by the
 *     entry just answered its line or `answer_again`, and the same line twice `answer_again`. A
 *     device ("电脑配置i7 3060") is `detail_noted`; information the answer says to give a person (a
 *     tax number) offers one (`data_offer`); a few words after an answer the FAQ has nothing for
 *     offer a person instead of queueing. "不好用" asks what happened once (`vague_problem`); a few
 *     words after a "did you mean" list are read with the question behind it.
 *     When it finds nothing (or only a weak list) and the message is mostly small talk other than
 *     a greeting, thanks or bye ("今天天气怎么样啊，适合出去玩吗"), the small-talk reply instead —
 *     except after a rephrase prompt, where a question the FAQ cannot answer goes to a person.
 *
 * Numbers are unambiguous by construction: after an answer, one message carries the feedback
 * check as 1 and 2 and the related questions from 3 on (from 1 when the check is off); a "did
 * you mean" list or the menu replaces any pending state. Pending state lives for one turn: a
 * message that does not use it (a new question) drops it, except the related list, which stays
 * valid after the feedback "1".
 *
 * Other statuses: `waiting` → a question the FAQ answers with confidence is answered, followed by
 * `waiting_answered` (the place in the queue is kept; no feedback check, no outcome; an entry
 * once per wait); "人呢", "还要等多久" and a repeated request for a person get the place and the
 * time now (`queue_place`, with an apology to impatience or anger; a complaint is escalated
 * first, the `escalate` action), other words with something in
 * them `waiting_noted` (pings and notes at most every few minutes); "ok", thanks and small talk nothing;
 * "解决了", "不用转人工了", "算了 不等了" (or thanks right after an answer given there) ask
 * `queue_leave_confirm`, and a "1" then leaves the queue (the `withdraw` action; `queue_left`);
 * "你是机器人吗" gets `queue_bot_identity`; the third place told in a wait comes with an apology; a
 * detail right after an answer given there gets that answer's line (each line once per wait);
 * `active` → always silent; `awaiting_fix` → `awaiting_fix` once per session, else silent, but an
 * explicit request for a person is handed off (the queue accepts awaiting_fix → waiting).
 *
 * The parts: the decision (policy/decide.ts) with what its steps share (policy/context.ts), small
 * talk and dead ends (policy/chitchat.ts; what counts as small talk: knowledge/smalltalk.ts), how
 * short replies, numbers and requests for a person are read (policy/words.ts), acknowledgements
 * and verdicts in many words (policy/acks.ts), a detail or one point of the answer just given
 * (policy/follow-up.ts), several questions in one message
 * (policy/several.ts), ratings and their follow-up (policy/rating.ts), a chat with a person
 * (policy/waiting.ts), and the queue and delay notices (policy/notices.ts).
 */
export {
  afterPause,
  decide,
  decideNonText,
  decideWelcome,
  DEFAULT_POLICY_OPTIONS,
  PAUSE_MS,
  type NonTextKind,
  type PolicyKnowledge,
  type PolicyOptions,
} from './policy/decide.ts';
export { DEFAULT_HUMAN_KEYWORDS, HUMAN_SENTENCE_MAX_CHARS, humanRequest, normalizeText } from './policy/words.ts';
export { delayNoticeText, formatWhen, hoursText, kindLabel, queueNoticeText, queuePlaceText } from './policy/notices.ts';
