/**
 * What the bot delivers from the handoff's outbound stream: agents' replies and the notices it
 * words itself (resolved, fixed, joined, late: the apology after an SLA breach).
 *
 * The console takes replies of up to 2,000 characters, WeChat a message of up to 2,000 bytes (a
 * third of that in Chinese): a longer text is split the way the bot's own answers are
 * (`splitMessages`: at paragraphs, lines, sentences, and only as a last resort inside a sentence)
 * and sent part by part, in order.
 *
 * Re-delivery: the outbound consumer delivers at least once per message (it acknowledges after
 * WeChat took it). For a text of several parts, each part WeChat accepted is marked in the
 * bot's delivered set (`<msgId>#<n>`, trimmed with the delivered ids), so a re-delivery (a later part
 * failed, the process restarted, another consumer took over) sends only the parts still missing.
 * That makes it at least once per part: only the one part in flight when a process died can be
 * seen twice, as a whole message can today.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ChannelSendError, type ChannelAdapter, type CustomerHandle } from '../channels/types.ts';
import { outcomeLineId, type ConversationStatus, type Keys, type OutboundMessage } from '../handoff/index.ts';
import { renderFixNotice, splitMessages, WECHAT_MAX_MESSAGE_BYTES } from '../knowledge/index.ts';
import { renderTemplate, type Messages } from './messages.ts';
import { formatWhen } from './policy/notices.ts';
import type { Session } from './types.ts';
import type { BotWriter, WriteChain } from './writes.ts';

export interface DeliveryHost {
  adapter: ChannelAdapter;
  redis: Redis | Cluster;
  keys: Keys;
  writer: BotWriter;
  messages(): Messages;
  /** The business time zone, in which an apology's new estimate is said ("今天 15:30"). */
  timezone?: string;
  /** The bot's memory of this customer (the turn's per-customer state). */
  state(customer: CustomerHandle): WriteChain & { status: ConversationStatus; session: Session };
  metrics?: {
    sent?(kind: 'bot' | 'agent' | 'notice'): void;
    sendFailed?(kind: 'bot' | 'agent'): void;
    relaySeconds?(seconds: number): void;
  };
  logger?: Logger;
}

/** The text the customer gets for an outbound message. */
export function outboundText(m: OutboundMessage, messages: Messages, timezone = 'Asia/Shanghai', now = Date.now()): string {
  switch (m.kind) {
    case 'late': {
      // The estimate was fixed when the breach fired; said relative to when it is delivered.
      const at = Number(m.text);
      return Number.isFinite(at) && at > now ? renderTemplate(messages.sla_apology, { time: formatWhen(at, now, timezone) }) : messages.sla_apology_soon;
    }
    case 'resolved':
      return messages.resolved;
    case 'fixed':
      return renderFixNotice(messages, { title: m.title ?? '', note: m.text });
    case 'parked':
      return messages.awaiting_fix;
    case 'joined':
      // No customer-facing name chosen for the agent: the phrase without one.
      return m.text.trim() ? renderTemplate(messages.agent_joined, { agent: m.text.trim() }) : messages.agent_joined_unnamed;
    default:
      return m.text;
  }
}

/**
 * Sends `text` in as many WeChat messages as it needs, in order, skipping the parts an earlier
 * attempt of the same message (`msgId`) got through.
 */
export async function sendInParts(
  say: (part: string, key: string) => Promise<void>,
  text: string,
  o: { msgId: string; redis: Redis | Cluster; deliveredKey: string; maxBytes?: number },
): Promise<number> {
  const max = o.maxBytes ?? WECHAT_MAX_MESSAGE_BYTES;
  const parts = Buffer.byteLength(text, 'utf8') <= max ? [text] : splitMessages(text, max);
  if (parts.length === 1) {
    await say(parts[0]!, o.msgId);
    return 1;
  }
  const ids = parts.map((_, i) => `${o.msgId}#${i + 1}`);
  const marked = (await o.redis.zmscore(o.deliveredKey, ...ids)) as unknown as (string | null)[];
  for (const [i, part] of parts.entries()) {
    if (marked[i] !== null && marked[i] !== undefined) continue;
    await say(part, ids[i]!);
    await o.redis.zadd(o.deliveredKey, Date.now(), ids[i]!);
  }
  return parts.length;
}

/**
 * Throws when the customer cannot be reached now: the consumer keeps the entry and retries. A
 * refusal the channel says is final (微信客服's 48-hour window closed) is not retried: the agent
 * finds the reason in the transcript.
 */
export async function deliverOutbound(host: DeliveryHost, m: OutboundMessage): Promise<void> {
  const { adapter } = host;
  if (!adapter.canSend()) throw new Error('the channel cannot send now (not logged in)');
  const customer = await adapter.handleOf(m.customerId);
  if (!customer) throw new Error(`customer ${m.customerId} is not reachable (contact not found)`);
  const st = host.state(customer);
  let text = outboundText(m, host.messages(), host.timezone);
  const window = adapter.limits.window;
  const heldKey = window ? host.keys.joinHeld(adapter.botId, m.customerId) : '';
  if (window && m.kind === 'joined') {
    // 微信客服 and Official Accounts allow 5 messages per customer message: "客服已接入" on its own
    // would spend one. It goes out with the agent's first reply instead (or not at all if none comes).
    await host.redis.set(heldKey, text, 'EX', window.windowS);
    st.status = 'active';
    void host.writer.write(st, { kind: 'message', msg: { from: 'bot', text, msgId: outcomeLineId.said(m.msgId) } }, false);
    return;
  }
  const held = window && m.kind === 'text' ? await host.redis.get(heldKey) : null;
  if (held) text = `${held}\n\n${text}`;
  try {
    await sendInParts((part, key) => adapter.send(customer, part, key), text, {
      msgId: m.msgId,
      redis: host.redis,
      deliveredKey: host.keys.delivered(adapter.botId),
      maxBytes: adapter.limits.maxTextBytes,
    });
  } catch (err) {
    host.metrics?.sendFailed?.('agent');
    if (err instanceof ChannelSendError && err.permanent) {
      host.logger?.warn({ code: err.code, msgId: m.msgId }, 'the channel refused a reply for good; the agent is told');
      void host.writer.write(st, { kind: 'message', msg: { from: 'system', kind: 'send_failed', text: err.message, msgId: outcomeLineId.failed(m.msgId) } }, false);
      return;
    }
    throw err;
  }
  // Said, or no longer true (closed by an agent who took it over from one who had written): not
  // prefixed to a later reply. A chat closed before anyone wrote keeps it until the next claim
  // replaces it (or the window ends).
  if (held || (window && (m.kind === 'resolved' || m.kind === 'fixed'))) await host.redis.del(heldKey);
  host.metrics?.sent?.(m.kind === 'text' ? 'agent' : 'notice');
  if (m.kind === 'text' && m.at) host.metrics?.relaySeconds?.(Math.max(0, Date.now() - Date.parse(m.at)) / 1000);
  // The notice's line in the transcript takes its id from the outbound message: a re-delivery records it once.
  const record = () => void host.writer.write(st, { kind: 'message', msg: { from: 'bot', text, msgId: outcomeLineId.said(m.msgId) } }, false);
  if (m.kind === 'joined') {
    st.status = 'active';
    record();
  } else if (m.kind === 'late') {
    // An apology to a customer still waiting: the chat stays where it is.
    record();
  } else if (m.kind === 'parked') {
    // Told now: their next message while it waits gets no second "正在修复中" (policy: fixNoticeSent).
    st.status = 'awaiting_fix';
    st.session = { ...st.session, fixNoticeSent: true };
    record();
  } else if (m.kind === 'resolved' || m.kind === 'fixed') {
    // A fix notice resolves a chat parked on that problem (the handoff did); one with an agent stays.
    if (m.kind === 'resolved' || st.status === 'awaiting_fix') {
      st.status = 'resolved';
      st.session = {};
    }
    record();
  } else if (st.status !== 'active') {
    st.status = 'active';
  }
}
