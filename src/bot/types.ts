import type { ConversationStatus, HandoffReason, TurnOutcome } from '../handoff/index.ts';

/** What the bot remembers about one customer between messages (in memory, per bot process). */
export interface Session {
  /** Entry ids behind the numbers just offered ("did you mean", the menu, related questions). */
  offered?: string[];
  /** `offered` is a "did you mean" list: a pick there is evidence for the question behind it (`picked`). */
  suggested?: boolean;
  /** How many "did you mean" lists in a row the customer has not picked from (with `suggested`); the third goes to a person. */
  listsInRow?: number;
  /** `offered` is a list the bot was far from sure of (suggest_header_unsure): another such guess next goes to a person. */
  unsureList?: boolean;
  /**
   * After "都不是" the customer was asked once to rephrase: another dead end ("都不是" again, or
   * another question the FAQ cannot answer) goes to a person. Lasts until a question is answered.
   */
  rephrased?: boolean;
  /**
   * The number shown for `offered[0]` (default 1). Related questions after an answer start at 3
   * when the "1 有帮助 / 2 没解决" check is in the same message, so every number is unambiguous.
   */
  offeredFrom?: number;
  /** The entry just answered: "1 有帮助 / 2 没解决" is pending for it. */
  feedbackFor?: string;
  /** Entries answered earlier in this session (newest last): "还是没收到" some turns later is not answered with one of them again. */
  answered?: string[];
  /**
   * The entry the customer last said did not help ("2", "还是不行"): a later question that lands
   * on it again is not answered with it a second time (policy/decide.ts), for the session.
   */
  rejected?: string;
  /** When "人呢" / "还要等多久" in the queue was last answered with "already queued" (ms since epoch). */
  waitAckAt?: number;
  /** When the place in the queue was last told on request ("还要等多久", "人工"; ms since epoch). */
  placeAt?: number;
  /** When an apology for the wait was last given (ms since epoch). */
  waitSorryAt?: number;
  /** The line of an answer said last turn (answer_excerpt): the same line next is not sent twice. */
  excerpted?: string;
  /** Last turn said "the answer is above" (answer_again): a second time, a person is offered instead. */
  pointedAbove?: boolean;
  /** Lines of answers said in this wait (each once). */
  linesInQueue?: string[];
  /** How often in this wait the place was told: from the third time it comes with an apology. */
  placeTold?: number;
  /** When a complaint in the queue was last answered (ms since epoch). */
  complainedAt?: number;
  /**
   * In the queue the customer said they may not need a person any more ("解决了", "不用转人工了") and
   * was asked to confirm with "1" (ms since epoch): the next message answers that, for a while.
   */
  leaveAskedAt?: number;
  /** Asked once already in this wait: saying it again later leaves without a second question. */
  leaveAsked?: boolean;
  /** In the queue the bot just answered from the FAQ: thanks or "可以了" next may mean the person is not needed. One turn. */
  waitingAnswered?: boolean;
  /** FAQ entries answered while the customer waits in the queue: not sent again in the same wait. */
  answeredInQueue?: string[];
  /** The customer left the queue (withdraw): the chat is resolved with no rating asked, and what they write next is for the bot. */
  leftQueue?: boolean;
  /** Left the queue with the last message: a "1" now confirms it again, it picks nothing. One turn. */
  justLeft?: boolean;
  /**
   * What the customer just said about themselves ("我用的是mac", "我是会员"): read with their next
   * message when that alone finds no answer ("录出来全是黑的"). One turn.
   */
  context?: string;
  /** The question behind `feedbackFor` / `offered` (the customer's words), kept for editors when it did not help. */
  question?: string;
  /** A person was offered (after "没解决", or low confidence with HANDOFF_MODE=offer): "1"/"好" accepts. */
  humanOffered?: boolean;
  /** Why the person was offered: the handoff reason when the customer accepts (default not_helpful). */
  offerReason?: HandoffReason;
  /** The "we'll tell you when it's fixed" notice was sent (status awaiting_fix): at most once. */
  fixNoticeSent?: boolean;
  /** The customer has been greeted with the menu once. */
  greeted?: boolean;
  /** The customer wrote in English and was told once that a person can help in English (`english_note`). */
  englishNoted?: boolean;
  /**
   * The customer just rated 1-2 and was asked what went wrong: the next words are the reason (or a
   * request for a person, who then follows up with reason low_rating). Lasts until a person has
   * the chat, the customer declines, or `ratingFollowUpUntil` passes: a low rating is followed up
   * by the system, not by whether the customer happens to type 人工.
   */
  ratingFollowUp?: number;
  /** When the follow-up window of `ratingFollowUp` closes (ms since epoch). */
  ratingFollowUpUntil?: number;
  /**
   * After a rating of 3-5, until when (ms since epoch) the next message, when the FAQ does not
   * answer it, is a remark on the service ("回复有点慢，不过解决了"), thanked for, not a question.
   */
  commentUntil?: number;
  /**
   * The customer rated the chat just resolved: it stays resolved (in the console's 已解决) and
   * what they write next is for the bot, a number a menu pick, not another rating. Until the next
   * resolve clears the session.
   */
  rated?: boolean;
  /**
   * The rating question is still open after a reply that gave the chat back to the bot: a number
   * off the 1-5 scale (the scale asked again), thanks or an ok, praise or a remark instead of a
   * score. The customer's next 1-5 (or words for it) still rates the chat; a question, a person
   * or a score closes it.
   */
  ratingAsked?: boolean;
}

/** One step the plugin carries out, in order. The policy itself never sends or writes anything. */
export type Action =
  /** Send this text as one WeChat message (already in the customer's language). */
  | { type: 'say'; text: string }
  /**
   * Send the rendered answer of this entry (split into several messages when long); `lead`: a line
   * above it, in its first message (which of several questions it answers).
   */
  | { type: 'answer'; faqId: string; confidence: number; lead?: string }
  /** Put the conversation in the human queue; the plugin then tells the customer where they stand. */
  | { type: 'handoff'; reason: HandoffReason; question?: string }
  /** Record the customer's "helpful?" verdict for the funnel. */
  | { type: 'feedback'; faqId: string; helpful: boolean }
  /** The customer leaves the human queue (they confirmed they no longer need a person); `then`: said once it is done. */
  | { type: 'withdraw'; then: string }
  /**
   * Tell a waiting customer their place in the queue and when to expect a reply: `place` as asked,
   * `sorry` with an apology for the wait, `escalated` with an apology and that the complaint is prioritized.
   */
  | { type: 'queue_place'; tell: 'place' | 'sorry' | 'escalated' }
  /** A waiting customer complains: their chat is due as a complaint is (sooner), before anything is said. */
  | { type: 'escalate' };

export interface PolicyInput {
  text: string;
  /** The conversation's status in the handoff (bot / resolved = the bot handles it). */
  status: ConversationStatus;
  session: Session;
  /** The clock for the low-rating follow-up window (default Date.now()). */
  now?: number;
}

export interface Decision {
  actions: Action[];
  session: Session;
  /** What this turn means for editors and the funnel (recorded with the turn). */
  outcome?: TurnOutcome;
}
