import type { Cluster, Redis } from 'ioredis';
import { KefuError } from '../errors.ts';
import { luaScripts } from '../lua.ts';
import { fromScriptError } from './errors.ts';
import { parseConversationId, type Keys } from './keys.ts';
import type { ConversationStatus, HandoffReason, MessageFrom, Tier, TurnOutcome } from './types.ts';

/**
 * One typed function per Lua script of lua/ (`<name>-<numKeys>.lua`, whose header documents KEYS
 * and ARGV): named arguments in, a parsed result out. Each builds its KEYS from the key builder
 * and its ARGV in the header's order, here and only here, so no caller lines up positions.
 * The conversation scripts turn their refusals into HandoffError (see errors.ts).
 */

type Client = Redis | Cluster;

/** Every script and how many of its arguments are keys (the number in its file name; 'n': the caller's). */
export const SCRIPT_KEYS = {
  append: 15,
  enqueue: 11,
  claim: 9,
  transfer: 4,
  release: 6,
  resolve: 11,
  park: 8,
  escalate: 5,
  reply: 6,
  tags: 3,
  'sla-tick': 3,
  read: 2,
  ack: 2,
  pending: 2,
  'notify-fix': 7,
  'problem-fix': 1,
  fields: 'n',
  'resolved-index': 'n',
  'bot-index': 'n',
} as const;
export type ScriptName = keyof typeof SCRIPT_KEYS;

/**
 * Positional KEYS and ARGV, as Redis takes them: only the functions below use it (and tests that
 * replay one command exactly as a reconnecting client would).
 */
export const runScript = luaScripts<ScriptName>(new URL('./lua/', import.meta.url), 'kefu');

/** A script argument that Redis would store as garbage ("NaN", "undefined"): a bug in the caller. */
export class ScriptArgError extends KefuError {
  constructor(script: ScriptName, what: string) {
    super('INVALID_SCRIPT_ARG', `${script}: ${what}`);
  }
}

type Arg = string | number;

/** Runs `name` with ARGV in the order of `args`' fields (that of the script's header), each checked first (list-scripts.ts and outbound-scripts.ts use it too). */
export async function run(redis: Client, name: ScriptName, keys: string[], args: Record<string, Arg>, rest: string[] = []): Promise<unknown> {
  const numKeys = SCRIPT_KEYS[name];
  if (numKeys === 'n' ? keys.length === 0 : keys.length !== numKeys) throw new ScriptArgError(name, `takes ${numKeys === 'n' ? 'at least 1' : numKeys} keys, not ${keys.length}`);
  for (const [field, v] of Object.entries(args)) {
    const ok = typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
    if (!ok) throw new ScriptArgError(name, `${field} must be a string or a finite number, not ${String(v)}`);
  }
  return runScript(redis, name, keys, [...Object.values(args), ...rest]);
}

/** A conversation's script: its refusals ("NOT_FOUND", "CONFLICT <owner>", …) become HandoffError. */
async function runConv(redis: Client, name: ScriptName, conv: string, keys: string[], args: Record<string, Arg>, rest?: string[]): Promise<unknown> {
  try {
    return await run(redis, name, keys, args, rest);
  } catch (err) {
    throw fromScriptError(err, conv);
  }
}

/** A reply of the expected length (an array from a script that changed its answer is a bug to see at once). */
function tuple(name: ScriptName, raw: unknown, length: number): unknown[] {
  if (!Array.isArray(raw) || raw.length !== length) throw new Error(`${name} answered ${JSON.stringify(raw)}, not ${length} values`);
  return raw;
}

/** What every script writing to the events (and outbound) streams needs. */
interface Streams {
  conv: string;
  now: number;
  /** Approximate length the events stream is trimmed to. */
  eventsMaxLen: number;
}

/**
 * A handoff's SLA times for either tier (computed in business time in JS), and the tier by rule:
 * the script takes the tier a manager set on the customer's profile, else the rule's.
 */
export interface HandoffTimes {
  ruleTier: Tier;
  standard: { dueAt: number; warnAt: number };
  vip: { dueAt: number; warnAt: number };
}

/** Where a script left the conversation in the queue (or did not queue it). */
export interface Queued {
  status: ConversationStatus;
  /** true when this call queued it (false: already waiting or with an agent, nothing changed). */
  changed: boolean;
  slaDueAt: number | null;
  tier: Tier;
  /** Waiting conversations of the same bot account due before it (-1 when not waiting). */
  ahead: number;
}

const dueOf = (raw: unknown): number | null => (raw === '' || raw === null || raw === undefined ? null : Number(raw));

/** append-15.lua: one message (and the bot's replies to it, or its handoff) into the conversation, created on first use. */
export async function append(
  redis: Client,
  k: Keys,
  a: Streams & {
    customerName: string;
    /** The business day of `now` (its counters). */
    day: string;
    from: MessageFrom;
    text: string;
    /** The status the replies were decided for ('' = no replies). */
    decidedFor: ConversationStatus | '';
    replies: { text: string; fields: Record<string, string> }[];
    outcome?: { type: TurnOutcome['type']; faqId?: string; question?: string };
    /** A handoff decided with the message: made with the replies, only when the decision stood. */
    handoff?: { reason: HandoffReason; question: string; times: HandoffTimes };
    /** Approximate length the gaps and learning streams are trimmed to. */
    gapsMaxLen: number;
    dayTtlS: number;
    /** Extra transcript fields of the message (msgId, kind, url, faqId, …). */
    fields: Record<string, string>;
    /** The message is filler a list row does not show (preview.ts). */
    filler?: boolean;
  },
): Promise<{ entryId: string; status: ConversationStatus; repliesRecorded: boolean; duplicate: boolean; queued: Queued | null }> {
  const { botId, customerId } = parseConversationId(a.conv);
  const c = a.conv;
  const keys = [
    k.conversation(c),
    k.transcript(c),
    k.events(botId),
    k.msgIds(c),
    k.faqHits(botId),
    k.gaps(botId),
    k.day(botId, a.day),
    k.totals(botId),
    k.learning(botId),
    k.queue(botId),
    k.slaTimers(botId),
    k.customer(botId, customerId),
    k.parked(botId),
    k.resolved(botId),
    k.botChats(botId),
  ];
  const h = a.handoff;
  const args = {
    conv: c,
    botId,
    customerId,
    now: a.now,
    from: a.from,
    text: a.text,
    eventsMaxLen: a.eventsMaxLen,
    customerName: a.customerName,
    decidedFor: a.decidedFor,
    replies: a.replies.length ? JSON.stringify(a.replies) : '',
    outcome: a.outcome?.type ?? '',
    faqId: a.outcome?.faqId ?? '',
    question: a.outcome?.question ?? '',
    gapsMaxLen: a.gapsMaxLen,
    dayTtlS: a.dayTtlS,
    handoffReason: h?.reason ?? '',
    handoffQuestion: h?.question ?? '',
    ruleTier: h?.times.ruleTier ?? '',
    standardDueAt: h?.times.standard.dueAt ?? '',
    standardWarnAt: h?.times.standard.warnAt ?? '',
    vipDueAt: h?.times.vip.dueAt ?? '',
    vipWarnAt: h?.times.vip.warnAt ?? '',
    filler: a.filler ? 1 : 0,
  };
  const raw = await runConv(redis, 'append', c, keys, args, Object.entries(a.fields).flat());
  const [entryId, status, replied, duplicate, due, tier, ahead, queued] = tuple('append', raw, 8);
  const st = status as ConversationStatus;
  return {
    entryId: String(entryId),
    status: st,
    repliesRecorded: replied === 1,
    duplicate: duplicate === 1,
    queued: queued === 1 ? { status: st, changed: true, slaDueAt: dueOf(due), tier: tier as Tier, ahead: Number(ahead) } : null,
  };
}

/** enqueue-11.lua: into the human queue (bot|resolved|awaiting_fix -> waiting); already waiting or active: unchanged. */
export async function enqueue(
  redis: Client,
  k: Keys,
  a: Streams & { reason: HandoffReason; times: HandoffTimes; question: string; day: string; dayTtlS: number; filler?: boolean },
): Promise<Queued> {
  const { botId, customerId } = parseConversationId(a.conv);
  const c = a.conv;
  const keys = [
    k.conversation(c),
    k.transcript(c),
    k.queue(botId),
    k.slaTimers(botId),
    k.events(botId),
    k.customer(botId, customerId),
    k.parked(botId),
    k.day(botId, a.day),
    k.totals(botId),
    k.resolved(botId),
    k.botChats(botId),
  ];
  const { reason, times, question, eventsMaxLen, dayTtlS } = a;
  const args = {
    conv: c,
    botId,
    customerId,
    now: a.now,
    reason,
    standardDueAt: times.standard.dueAt,
    standardWarnAt: times.standard.warnAt,
    vipDueAt: times.vip.dueAt,
    vipWarnAt: times.vip.warnAt,
    ruleTier: times.ruleTier,
    question,
    eventsMaxLen,
    dayTtlS,
    filler: a.filler ? 1 : 0,
  };
  const [status, ahead, due, changed, tier] = tuple('enqueue', await runConv(redis, 'enqueue', c, keys, args), 5);
  return { status: status as ConversationStatus, changed: changed === 1, slaDueAt: dueOf(due), tier: tier as Tier, ahead: Number(ahead) };
}

/** claim-9.lua: an agent takes the conversation (exactly one wins; the others get CONFLICT). */
export async function claim(
  redis: Client,
  k: Keys,
  a: Streams & {
    agentId: string;
    agentName: string;
    /** '' = do not tell the customer. */
    outboundMsgId: string;
    outboundMaxLen: number;
    /** The name the customer hears ('' or absent = none: the internal name is never said). */
    publicName?: string;
    /** Only from this status ('resolved': a reopen); absent = any the claim takes. */
    from?: 'resolved';
  },
): Promise<void> {
  const { botId, customerId } = parseConversationId(a.conv);
  const c = a.conv;
  const keys = [k.conversation(c), k.transcript(c), k.queue(botId), k.slaTimers(botId), k.active(botId), k.events(botId), k.outbound(botId), k.resolved(botId), k.botChats(botId)];
  const { agentId, agentName, now, eventsMaxLen, outboundMsgId, outboundMaxLen } = a;
  const publicName = a.publicName ?? '';
  const from = a.from ?? '';
  await runConv(redis, 'claim', c, keys, { conv: c, agentId, agentName, now, eventsMaxLen, customerId, outboundMsgId, outboundMaxLen, publicName, from });
}

/** transfer-4.lua: an active conversation to another agent (the customer told who took over). */
export async function transfer(
  redis: Client,
  k: Keys,
  a: Streams & {
    /** '' = any (a manager's override). */ expectedOwner: string;
    agentId: string;
    agentName: string;
    /** A private note for the new owner ('' = none), and who wrote it. */
    note: string;
    noteById: string;
    noteByName: string;
    /** '' = do not tell the customer. */
    outboundMsgId: string;
    outboundMaxLen: number;
    /** The name the customer hears ('' = none). */
    publicName: string;
  },
): Promise<void> {
  const { botId, customerId } = parseConversationId(a.conv);
  const c = a.conv;
  const { expectedOwner, agentId, agentName, now, eventsMaxLen, note, noteById, noteByName, outboundMsgId, outboundMaxLen, publicName } = a;
  await runConv(redis, 'transfer', c, [k.conversation(c), k.transcript(c), k.events(botId), k.outbound(botId)], {
    conv: c,
    expectedOwner,
    agentId,
    agentName,
    now,
    eventsMaxLen,
    note,
    noteById,
    noteByName,
    customerId,
    outboundMsgId,
    outboundMaxLen,
    publicName,
  });
}

/** release-6.lua: back to the queue, keeping its SLA due time (the fallback is for a chat that had none). */
export async function release(
  redis: Client,
  k: Keys,
  a: Streams & { expectedOwner: string; fallbackDueAt: number; fallbackWarnAt: number; /** '' = unknown (no retry is recognised). */ releasedBy: string },
): Promise<void> {
  const { botId } = parseConversationId(a.conv);
  const c = a.conv;
  const keys = [k.conversation(c), k.transcript(c), k.queue(botId), k.slaTimers(botId), k.active(botId), k.events(botId)];
  const { expectedOwner, now, fallbackDueAt, fallbackWarnAt, eventsMaxLen, releasedBy } = a;
  await runConv(redis, 'release', c, keys, { conv: c, expectedOwner, now, fallbackDueAt, fallbackWarnAt, eventsMaxLen, releasedBy });
}

/** resolve-11.lua: closes the chat; a retry by the same closer changes nothing. */
export async function resolve(
  redis: Client,
  k: Keys,
  a: Streams & { by: string; expectedOwner: string; outboundMsgId: string; outboundMaxLen: number; askRating: boolean; day: string; dayTtlS: number; from?: 'waiting' },
): Promise<{ changed: boolean; ratingAsked: boolean }> {
  const { botId, customerId } = parseConversationId(a.conv);
  const c = a.conv;
  const keys = [
    k.conversation(c),
    k.transcript(c),
    k.queue(botId),
    k.slaTimers(botId),
    k.active(botId),
    k.parked(botId),
    k.events(botId),
    k.outbound(botId),
    k.day(botId, a.day),
    k.totals(botId),
    k.resolved(botId),
  ];
  const { by, now, expectedOwner, eventsMaxLen, outboundMsgId, outboundMaxLen, dayTtlS } = a;
  const args = { conv: c, by, now, expectedOwner, eventsMaxLen, customerId, outboundMsgId, outboundMaxLen, askRating: a.askRating ? '1' : '0', dayTtlS, from: a.from ?? '' };
  const [, changed, asked] = tuple('resolve', await runConv(redis, 'resolve', c, keys, args), 3);
  return { changed: changed === 1, ratingAsked: asked === 1 };
}

/** escalate-5.lua: a waiting chat due sooner, as a complaint is; changes nothing when it is due as soon already or not waiting. */
export async function escalate(redis: Client, k: Keys, a: Streams & { dueAt: number; warnAt: number; reason: string }): Promise<{ changed: boolean }> {
  const { botId } = parseConversationId(a.conv);
  const c = a.conv;
  const keys = [k.conversation(c), k.transcript(c), k.queue(botId), k.slaTimers(botId), k.events(botId)];
  const [changed] = tuple('escalate', await runConv(redis, 'escalate', c, keys, { conv: c, now: a.now, dueAt: a.dueAt, warnAt: a.warnAt, reason: a.reason, eventsMaxLen: a.eventsMaxLen }), 2);
  return { changed: changed === 1 };
}

/** park-8.lua: set aside until a known problem is fixed (waiting|active -> awaiting_fix); the customer is told. */
export async function park(redis: Client, k: Keys, a: Streams & { problemId: string; by: string; outboundMsgId: string; outboundMaxLen: number }): Promise<void> {
  const { botId, customerId } = parseConversationId(a.conv);
  const c = a.conv;
  const keys = [k.conversation(c), k.transcript(c), k.queue(botId), k.slaTimers(botId), k.active(botId), k.parked(botId), k.events(botId), k.outbound(botId)];
  const { problemId, by, now, eventsMaxLen, outboundMsgId, outboundMaxLen } = a;
  await runConv(redis, 'park', c, keys, { conv: c, problemId, by, now, eventsMaxLen, customerId, outboundMsgId, outboundMaxLen });
}

/** reply-6.lua: the assignee's message, into the transcript and the outbound stream together (and the agent's replies of the day). */
export async function reply(
  redis: Client,
  k: Keys,
  a: Streams & { agentId: string; agentName: string; text: string; msgId: string; outboundMaxLen: number; day: string; dayTtlS: number },
): Promise<{ entryId: string; firstResponse: boolean }> {
  const { botId, customerId } = parseConversationId(a.conv);
  const c = a.conv;
  const keys = [k.conversation(c), k.transcript(c), k.outbound(botId), k.events(botId), k.msgIds(c), k.day(botId, a.day)];
  const { agentId, agentName, text, now, msgId, eventsMaxLen, outboundMaxLen, dayTtlS } = a;
  const raw = await runConv(redis, 'reply', c, keys, { conv: c, agentId, agentName, text, now, msgId, customerId, eventsMaxLen, outboundMaxLen, dayTtlS });
  const [entryId, first] = tuple('reply', raw, 2);
  return { entryId: String(entryId), firstResponse: first === 1 };
}

/** tags-3.lua: replaces the tags; `heldTo` (an agent, '' = none) is held to the owner's rules. */
export async function tags(redis: Client, k: Keys, a: Streams & { tags: string[]; heldTo: string; /** '' = none. */ by: string }): Promise<void> {
  const { botId } = parseConversationId(a.conv);
  const c = a.conv;
  const args = { conv: c, tags: JSON.stringify(a.tags), now: a.now, eventsMaxLen: a.eventsMaxLen, heldTo: a.heldTo, by: a.by };
  await runConv(redis, 'tags', c, [k.conversation(c), k.events(botId), k.botChats(botId)], args);
}

/** sla-tick-3.lua: fires a bot account's due SLA warnings and breaches, each once (a breach with its apology). */
export async function slaTick(
  redis: Client,
  k: Keys,
  a: {
    botId: string;
    now: number;
    /** Most to fire in one call. */ limit: number;
    eventsMaxLen: number;
    /** The new reply time a customer whose breach fires is told (ms); absent: no apology. */
    apologyEstimate?: number;
    outboundMaxLen?: number;
  },
): Promise<{ warnings: number; breaches: number }> {
  const keys = [k.slaTimers(a.botId), k.events(a.botId), k.outbound(a.botId)];
  const args = { now: a.now, limit: a.limit, eventsMaxLen: a.eventsMaxLen, apologyEstimate: a.apologyEstimate ?? '', outboundMaxLen: a.outboundMaxLen ?? a.eventsMaxLen };
  const raw = await run(redis, 'sla-tick', keys, args);
  const [warnings, breaches] = tuple('sla-tick', raw, 2);
  return { warnings: Number(warnings), breaches: Number(breaches) };
}

/** read-2.lua: the owner read the chat: its unread count back to 0. Returns how many were unread. */
export async function read(redis: Client, k: Keys, a: Streams & { agentId: string }): Promise<number> {
  const { botId } = parseConversationId(a.conv);
  const args = { conv: a.conv, agentId: a.agentId, now: a.now, eventsMaxLen: a.eventsMaxLen };
  return Number(await runConv(redis, 'read', a.conv, [k.conversation(a.conv), k.events(botId)], args));
}

/** notify-fix-7.lua: tells one linked customer of a fix, exactly once; true when this call sent it. */
export async function notifyFix(
  redis: Client,
  k: Keys,
  a: Streams & { problemId: string; msgId: string; title: string; note: string; outboundMaxLen: number },
): Promise<boolean> {
  const { botId, customerId } = parseConversationId(a.conv);
  const c = a.conv;
  const keys = [k.conversation(c), k.transcript(c), k.parked(botId), k.events(botId), k.outbound(botId), k.fixNotices(botId), k.resolved(botId)];
  const { problemId, now, msgId, title, note, eventsMaxLen, outboundMaxLen } = a;
  return (await run(redis, 'notify-fix', keys, { conv: c, problemId, now, customerId, msgId, title, note, eventsMaxLen, outboundMaxLen })) === 1;
}

/** problem-fix-1.lua: marks a known problem fixed (the first call's note stands); NOT_FOUND as a Redis error. */
export async function problemFix(
  redis: Client,
  k: Keys,
  a: { problemId: string; now: number; note: string; byId: string; byName: string },
): Promise<{ status: string; title: string; note: string; changed: boolean }> {
  const raw = await run(redis, 'problem-fix', [k.problem(a.problemId)], { now: a.now, note: a.note, byId: a.byId, byName: a.byName });
  const [status, title, note, changed] = tuple('problem-fix', raw, 4);
  return { status: String(status), title: String(title ?? ''), note: String(note ?? ''), changed: changed === 1 };
}
