import { createHash } from 'node:crypto';
import { KefuError } from '../errors.ts';

/**
 * Every Redis key of the product, built here and nowhere else: the handoff's, the known problems'
 * and the console's agents and logins (the strings are the stored data's names: never change one).
 *
 * All keys of one bot account share the hash tag `{b:<botId>}`, so in a Redis Cluster they live
 * in one slot: a transition can then update the conversation, the queue, the SLA timers and
 * the events stream in one atomic script. (A conversation's own keys are a subset, so they
 * share a slot as well.) One bot account is one WeChat account, whose traffic WeChat itself
 * keeps modest; more accounts spread over more slots. The only cross-slot key is the registry
 * of bot accounts, which nothing updates atomically with anything else.
 */
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export class InvalidIdError extends KefuError {
  constructor(what: string, value: string) {
    super('INVALID_ID', `${what} must be 1-64 letters, digits, "_" or "-": ${JSON.stringify(value)}`);
  }
}

export function checkId(what: string, value: string): string {
  if (!ID.test(value)) throw new InvalidIdError(what, value);
  return value;
}

/** A conversation is one customer's thread with one bot account: its id says which. */
export const conversationId = (botId: string, customerId: string): string =>
  `${checkId('bot id', botId)}.${checkId('customer id', customerId)}`;

export function parseConversationId(id: string): { botId: string; customerId: string } {
  const dot = id.indexOf('.');
  const botId = id.slice(0, dot);
  const customerId = id.slice(dot + 1);
  if (dot < 0 || !ID.test(botId) || !ID.test(customerId)) throw new InvalidIdError('conversation id', id);
  return { botId, customerId };
}

export type Keys = ReturnType<typeof createKeys>;

export function createKeys(prefix: string) {
  // Braces would change the hash tag; a prefix is letters, digits and a few separators.
  if (!/^[\w:.-]{1,64}$/.test(prefix)) throw new InvalidIdError('key prefix', prefix);
  const bot = (botId: string): string => `${prefix}:{b:${checkId('bot id', botId)}}`;
  // Agents are global (no bot account): their keys share `{agents}`, so the auth scripts stay atomic in a cluster.
  const agents = `${prefix}:{agents}`;
  const agentId = (id: string): string => checkId('agent id', id);
  const conv = (id: string): string => {
    const { botId, customerId } = parseConversationId(id);
    return `${bot(botId)}:conv:${customerId}`;
  };
  return {
    prefix,
    /** Hash: status, assignee, SLA times, tags, customer name and tier. */
    conversation: conv,
    /** Stream: every message of the conversation (customer, bot, agent, system, note). */
    transcript: (id: string): string => `${conv(id)}:msgs`,
    /** Hash: msgId of each message recorded with one -> its transcript entry id (a repeat is dropped). */
    msgIds: (id: string): string => `${conv(id)}:msgids`,
    /** Hash: the customer's profile (name, tier, tags), per bot account. */
    customer: (botId: string, customerId: string): string => `${bot(botId)}:cust:${checkId('customer id', customerId)}`,
    /** Sorted set: waiting conversations by SLA due time (ms). */
    queue: (botId: string): string => `${bot(botId)}:queue`,
    /** Sorted set: pending SLA events "<conv>|warn" / "<conv>|breach" by when they fire (ms). */
    slaTimers: (botId: string): string => `${bot(botId)}:sla`,
    /** Sorted set: conversations owned by an agent, by claim time. */
    active: (botId: string): string => `${bot(botId)}:active`,
    /** Sorted set: conversations parked on a known problem, by park time. */
    parked: (botId: string): string => `${bot(botId)}:parked`,
    /**
     * Sorted set: resolved conversations, by resolve time (ms): the console's 已解决 list. Kept by the
     * scripts that close a chat and those that take one out of resolved; the archive's trim removes it.
     */
    resolved: (botId: string): string => `${bot(botId)}:resolved`,
    /** String: set once the account's resolved conversations from before that index are in it (the one-off backfill). */
    resolvedIndexed: (botId: string): string => `${bot(botId)}:resolved:indexed`,
    /**
     * Sorted set: conversations with the bot (status bot: no handoff, or back from resolved), by
     * updatedAt (ms): the console's bot list. Kept by the scripts that create, write to or take a
     * chat out of bot; the archive's trim removes it.
     */
    botChats: (botId: string): string => `${bot(botId)}:botchats`,
    /** String: set once the account's bot conversations from before that index are in it (the one-off backfill). */
    botChatsIndexed: (botId: string): string => `${bot(botId)}:botchats:indexed`,
    /** Stream: queue changes and message hints for consoles. */
    events: (botId: string): string => `${bot(botId)}:events`,
    /** Stream: what the bot must deliver to WeChat (agent replies, notices), read by a consumer group. */
    outbound: (botId: string): string => `${bot(botId)}:outbound`,
    /** Sorted set: outbound message ids already delivered, by delivery time (dedupe). */
    delivered: (botId: string): string => `${bot(botId)}:delivered`,
    /**
     * Hash: customer id -> the bot's memory of the chat (JSON: what was offered, pending checks),
     * left by a bot process that stopped for the next one (expires; src/bot/sessions.ts).
     */
    botSessions: (botId: string): string => `${bot(botId)}:botsessions`,
    /**
     * String (expires with WeChat's service window): the "agent joined" notice held back on a channel
     * that limits replies, sent with the agent's first reply instead of on its own (bot/deliver.ts).
     */
    joinHeld: (botId: string, customerId: string): string => `${bot(botId)}:joinheld:${checkId('customer id', customerId)}`,
    /** Hash (expires): a customer's image, voice or file fetched from the channel (type, name, data). */
    media: (botId: string, id: string): string => `${bot(botId)}:media:${checkId('media id', id)}`,
    /** Hash: the account's channel for consoles (kind, label, maxTextBytes, windowS, maxReplies). */
    channel: (botId: string): string => `${bot(botId)}:channel`,
    /** Hash: the bot account's login state for consoles (status, QR code URL, when). */
    botStatus: (botId: string): string => `${bot(botId)}:status`,
    /**
     * Hash: the bot's customer identities: `c:<contact id>` and `p:<profile fingerprint>` -> stable
     * customer id, `to:<customer id>` -> current contact id, `seq` (last number handed out), `epoch`
     * (login count).
     */
    identity: (botId: string): string => `${bot(botId)}:ident`,
    /** Hash: FAQ entry id -> how often the bot answered with it (all time). */
    faqHits: (botId: string): string => `${bot(botId)}:faqhits`,
    /** Hash: the bot account's all-time counters (conversations, `out:<outcome>`, `handoff:<reason>`, `csat:*`). */
    totals: (botId: string): string => `${bot(botId)}:totals`,
    /** Stream: customers' 1-5 ratings after a resolve (conversation, score, agent, tags, FAQ entry). */
    ratings: (botId: string): string => `${bot(botId)}:ratings`,
    /** Sorted set: conversations rated 1-2, by when (for a manager to look at). */
    flagged: (botId: string): string => `${bot(botId)}:flagged`,
    /** Stream: customer questions the FAQ did not answer (low confidence, "not helpful"), for editors. */
    gaps: (botId: string): string => `${bot(botId)}:gaps`,
    /**
     * Stream: evidence of what customers' questions mean (kind picked | helpful | agent | rejected |
     * not_helpful, conv, faqId, text, botFaqId, at), for editors' alternates and wrong answers.
     */
    learning: (botId: string): string => `${bot(botId)}:learning`,
    /** Hash: one business day's counters (`out:<outcome>`, `faq:<id>`), 'YYYY-MM-DD' in the business zone. */
    day: (botId: string, date: string): string => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new InvalidIdError('date', date);
      return `${bot(botId)}:day:${date}`;
    },
    /** Set: "<problem id>|<conversation id>" of every fix notice sent through this bot account (exactly once each). */
    fixNotices: (botId: string): string => `${bot(botId)}:fixnotices`,
    /**
     * The archiver (src/archive): String (expires) the token of the process copying this bot
     * account to PostgreSQL now; in the account's slot so the trim script checks it atomically.
     */
    archiveLock: (botId: string): string => `${bot(botId)}:archive:lock`,
    /** SCAN pattern of the account's conversation hashes and their keys (the archiver's full pass). */
    conversationPattern: (botId: string): string => `${bot(botId)}:conv:*`,
    /** Hash: a known problem (title, description, status open|fixed, note, who and when). Slot `{problems}`. */
    problem: (id: string): string => `${prefix}:{problems}:p:${checkId('problem id', id)}`,
    /** Set: the conversations linked to a known problem. */
    problemConvs: (id: string): string => `${prefix}:{problems}:p:${checkId('problem id', id)}:convs`,
    /** Sorted set: every known problem by creation time; and the counter its ids come from. */
    problems: (): string => `${prefix}:{problems}:all`,
    problemSeq: (): string => `${prefix}:{problems}:seq`,
    /**
     * Learning from traffic, for the one knowledge base every bot account answers from: the
     * editors' switch, their decisions and the audit of automatic adoptions. Slot `{learning}`.
     */
    learn: {
      /** Hash: autoAdopt (0|1), threshold (agreeing conversations), updatedBy, updatedAt. */
      settings: (): string => `${prefix}:{learning}:settings`,
      /** Hash: "<faq id>|<phrase key>" -> when an editor dismissed (or undid) that alternate. */
      dismissed: (): string => `${prefix}:{learning}:dismissed`,
      /** Hash: "<faq id>|<phrase key>" -> the audit entry of its automatic adoption (claimed once). */
      adopted: (): string => `${prefix}:{learning}:adopted`,
      /** Stream: every automatic adoption (faqId, text, key, convs, count, kinds, at): the audit list. */
      adoptions: (): string => `${prefix}:{learning}:adoptions`,
      /** Hash: audit entry id -> JSON {by, at} of its undo. */
      undone: (): string => `${prefix}:{learning}:undone`,
    },
    /**
     * Suggested tags (src/tagging), one model every console shares: trained on all bot accounts'
     * tagged conversations. Slot `{tagging}`.
     */
    tagging: {
      /** String: the trained model with its measured per-tag quality and tag counts (JSON). */
      model: (): string => `${prefix}:{tagging}:model`,
      /** Hash: modelAt (the stored model's trainedAt), auto (0|1), `off:<tag>` (a manager stopped that tag's auto-apply), updatedBy, updatedAt. */
      settings: (): string => `${prefix}:{tagging}:settings`,
      /** Hash: conversation id -> JSON list of the tags applied automatically to it (each at most once). */
      applied: (): string => `${prefix}:{tagging}:applied`,
      /** Sorted set: conversation id -> when a tag was last applied to it automatically (ms): the bound on `applied` (src/tagging/applied.ts). */
      appliedAt: (): string => `${prefix}:{tagging}:applied-at`,
      /** Hash: `accepted:<tag>` (agents took the suggestion), `applied:<tag>` (applied automatically). */
      counters: (): string => `${prefix}:{tagging}:counters`,
      /** String (expires): the token of the console training now (one at a time). */
      lock: (): string => `${prefix}:{tagging}:lock`,
    },
    // 微信客服 (wecom-kf): a bot account is one open_kfid; its keys share the account's slot, so one
    // script can check the pull lock's fence and move the cursor together.
    /** String: the account's kf/sync_msg cursor ("" = installed, nothing read yet). */
    kfCursor: (botId: string): string => `${bot(botId)}:kf:cursor`,
    /** String: the fence token of the process pulling this account now (expires); and the fence counter. */
    kfLock: (botId: string): string => `${bot(botId)}:kf:lock`,
    kfFence: (botId: string): string => `${bot(botId)}:kf:fence`,
    /** String: a callback's sync token left for the lock holder, which pulls again before letting go. */
    kfPending: (botId: string): string => `${bot(botId)}:kf:pending`,
    /** Sorted set: msgids already handed on, by when (kept longer than sync_msg's 3-day re-read). */
    kfSeen: (botId: string): string => `${bot(botId)}:kf:seen`,
    /** Hash: a customer's 48 h / 5 service window (lastIn, sent, m:<msgid> per counted send). */
    kfWindow: (botId: string, customerId: string): string => `${bot(botId)}:kf:win:${checkId('customer id', customerId)}`,
    /** Hash: a customer's mirrored 微信客服 session state (state 0-4, servicer, at). */
    kfSession: (botId: string, customerId: string): string => `${bot(botId)}:kf:sess:${checkId('customer id', customerId)}`,
    /** Hash: customer id -> external_userid, for the ids that had to be hashed. */
    kfExternal: (botId: string): string => `${bot(botId)}:kf:ext`,
    /** Hash: customer id -> the customer's 微信客服 nickname (kf/customer/batchget), looked up once. */
    kfNames: (botId: string): string => `${bot(botId)}:kf:names`,
    /** String: the corp's cached access token (JSON), shared by every process. */
    wecomToken: (corpId: string): string => `${prefix}:{wecom:${checkId('corp id', corpId)}}:token`,
    // Official Account (oa): a bot account is one AppID.
    /** String (expires): a callback message or event already taken (MsgId, or FromUserName+CreateTime for events). */
    oaSeen: (botId: string, id: string): string => `${bot(botId)}:oa:seen:${id.replace(/[{}]/g, '_')}`,
    /** String: the Official Account's cached access token (JSON), shared by every process. */
    oaToken: (appId: string): string => `${prefix}:{oa:${checkId('app id', appId)}}:token`,
    /** Set: every bot account that ever wrote here (its own slot). */
    bots: (): string => `${prefix}:bots`,
    /** The console's agents, tokens and logins (see console/auth). Slot `{agents}`. */
    agents: {
      /** Hash: id, username, name, roles (comma-separated), disabled (0/1), createdAt, pw (the password hash). */
      agent: (id: string): string => `${agents}:a:${agentId(id)}`,
      /** Hash: username -> agent id. */
      names: (): string => `${agents}:names`,
      /** String: the agent id a token belongs to, with PEXPIRE; named by the token's sha256 (the raw token is never stored). */
      token: (tokenHash: string): string => {
        if (!SHA256_HEX.test(tokenHash)) throw new InvalidIdError('token hash', tokenHash);
        return `${agents}:t:${tokenHash}`;
      },
      /** Sorted set: the agent's token hashes by expiry (ms), for revoking them all. */
      tokens: (id: string): string => `${agents}:at:${agentId(id)}`,
      /** Hash: failed logins of a username, known or not; any string may be tried, hashed it is a safe key. */
      loginFailures: (username: string): string => `${agents}:lf:${createHash('sha256').update(username).digest('hex')}`,
      /** Sorted set: agent id -> when one of its live sockets last said it is there (ms). */
      online: (): string => `${agents}:online`,
    },
  };
}
