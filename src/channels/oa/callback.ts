/**
 * The Official Account's callback (`GET|POST /wechat/oa/callback`), plaintext or safe mode.
 *
 * WeChat waits 5 s for an answer and retries three times. The turn usually answers an FAQ in
 * milliseconds, so the reply goes back passively in the response itself when it is a single
 * message ready within `passiveWaitMs` (about 4 s). Otherwise the response is `success` and every
 * reply goes out through the customer-service API, in order. A message is taken once across
 * processes (`MsgId`, a string beyond 2^53; events by FromUserName+CreateTime); a retry of one
 * already taken is answered `success`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  assertFreshTimestamp,
  buildEncryptedReply,
  buildXml,
  openCallback,
  parseFlatXml,
  verifyPlainSignature,
  type MsgCrypt,
} from '../crypto/index.ts';
import type { Keys } from '../../handoff/index.ts';
import type { InboundMessage } from '../types.ts';
import { noteCustomerMessage } from '../wecom-kf/window.ts';
import type { OaAdapter } from './adapter.ts';
import { callbackMessage, type CallbackMessage } from './wire.ts';

export const OA_CALLBACK_PATH = '/wechat/oa/callback';

export interface OaCallbackOptions {
  adapter: OaAdapter;
  token: string;
  /** Safe mode (OA_AES_KEY set); undefined = plaintext mode. */
  crypt?: MsgCrypt;
  redis: Redis | Cluster;
  keys: Keys;
  /** How long a callback waits for the turn before answering `success` (default 4,000 ms). */
  passiveWaitMs?: number;
  now?: () => number;
  logger?: Logger;
}

/** How long a taken message id is remembered: longer than WeChat's retries, by far. */
const SEEN_TTL_S = 24 * 3600;

const KINDS: Record<string, string> = {
  text: 'text',
  image: 'image',
  voice: 'voice',
  video: 'video',
  shortvideo: 'video',
  location: 'location',
  link: 'link',
};

function inboundOf(m: CallbackMessage): Pick<InboundMessage, 'kind' | 'text' | 'url'> | undefined {
  const kind = KINDS[m.MsgType];
  if (!kind) return undefined;
  switch (m.MsgType) {
    case 'text':
      return { kind, text: m.Content ?? '' };
    case 'image':
      return { kind, text: '', url: m.PicUrl };
    case 'voice':
      // WeChat's own speech recognition, when the account has it on, is what the customer said.
      return m.Recognition ? { kind: 'text', text: m.Recognition } : { kind, text: '' };
    case 'location':
      return { kind, text: m.Label ? `[位置] ${m.Label}` : '' };
    case 'link':
      return { kind, text: m.Title ? `[链接] ${m.Title}` : '', url: m.Url };
    default:
      return { kind, text: '' };
  }
}

export function oaCallbackRoutes(o: OaCallbackOptions) {
  const log = o.logger?.child({ module: 'channel-oa' });
  const now = o.now ?? Date.now;
  const waitMs = o.passiveWaitMs ?? 4_000;

  const signed = (q: Record<string, string | undefined>): boolean =>
    !!q.signature && !!q.timestamp && !!q.nonce && verifyPlainSignature(o.token, q.signature, q.timestamp, q.nonce);

  return async function oaCallback(app: FastifyInstance): Promise<void> {
    app.addContentTypeParser(['text/xml', 'application/xml', 'text/plain'], { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) =>
      done(null, body),
    );

    // URL verification: the same signature in both modes; the echostr goes back as it came.
    app.get(OA_CALLBACK_PATH, async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      if (!signed(q) || q.echostr === undefined) return reply.code(401).type('text/plain').send('invalid signature');
      return reply.type('text/plain').send(q.echostr);
    });

    app.post(OA_CALLBACK_PATH, async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      const body = typeof req.body === 'string' ? req.body : '';
      let fields: Record<string, string>;
      try {
        if (!signed(q)) throw new Error('invalid signature');
        assertFreshTimestamp(q.timestamp!, { now });
        if (o.crypt && (q.encrypt_type === 'aes' || body.includes('<Encrypt>'))) {
          fields = openCallback(o.crypt, body, { msg_signature: q.msg_signature ?? '', timestamp: q.timestamp!, nonce: q.nonce! });
        } else {
          fields = parseFlatXml(body);
        }
      } catch (err) {
        log?.warn({ err: (err as Error).message }, 'callback refused');
        return reply.code(401).type('text/plain').send('invalid callback');
      }
      const parsed = callbackMessage.safeParse(fields);
      if (!parsed.success) {
        log?.warn({ issue: parsed.error.issues[0]?.message }, 'callback not understood; acknowledged');
        return reply.type('text/plain').send('success');
      }
      return handle(parsed.data, reply, q);
    });
  };

  async function handle(m: CallbackMessage, reply: FastifyReply, q: Record<string, string | undefined>): Promise<FastifyReply> {
    const { adapter } = o;
    const sink = adapter.sink;
    const id = m.MsgId ?? `${m.FromUserName}-${m.CreateTime}-${m.Event ?? m.MsgType}`;
    const fresh = await o.redis.set(o.keys.oaSeen(adapter.botId, id), '1', 'EX', SEEN_TTL_S, 'NX');
    if (fresh !== 'OK' || !sink) return reply.type('text/plain').send('success');
    const customer = adapter.handle(m.FromUserName);
    // Anything the customer does (a message, a follow, a menu click) opens WeChat's 48 h window anew.
    await noteCustomerMessage(o.redis, o.keys, adapter.botId, m.FromUserName, Number(m.CreateTime) * 1000, now());

    // Replies are held while a passive answer is still possible, then go through the API in order.
    const held: { text: string; key: string }[] = [];
    let answered = false;
    let chain = Promise.resolve();
    const viaApi = (text: string, key: string): Promise<void> => {
      const sent = chain.then(() => adapter.send(customer, text, key));
      chain = sent.catch((err: unknown) => {
        log?.warn({ err: (err as Error).message }, 'a held reply could not be sent');
        sink.record(customer, { from: 'system', kind: 'send_failed', text: (err as Error).message });
      });
      return sent;
    };
    const replyFn = async (text: string, key: string): Promise<void> => {
      if (!answered) held.push({ text, key });
      else await viaApi(text, key);
    };
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));

    if (m.MsgType === 'event') {
      if (m.Event === 'subscribe') sink.welcome(customer, id, replyFn);
      else sink.record(customer, { from: 'system', kind: 'event', text: `[${m.Event ?? 'event'}${m.EventKey ? ` ${m.EventKey}` : ''}]`, msgId: `oa:${id}` });
      // The welcome runs in the customer's turn: give it the same chance to answer passively.
      setTimeout(finished, m.Event === 'subscribe' ? Math.min(waitMs, 1_500) : 0).unref();
    } else {
      const what = inboundOf(m);
      if (!what) {
        sink.record(customer, { from: 'system', kind: m.MsgType, text: `[${m.MsgType}]`, msgId: `oa:${id}` });
        return reply.type('text/plain').send('success');
      }
      void sink.message({ id: `oa:${id}`, at: Number(m.CreateTime) * 1000, customer, ...what, reply: replyFn, done: () => finished() });
    }

    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([done.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), waitMs)))]);
    clearTimeout(timer);
    answered = true;
    if (inTime && held.length === 1) {
      const xml = buildXml({
        ToUserName: m.FromUserName,
        FromUserName: m.ToUserName,
        CreateTime: Math.floor(now() / 1000),
        MsgType: 'text',
        Content: held[0]!.text,
      });
      const out = o.crypt && q.encrypt_type === 'aes' ? buildEncryptedReply(o.crypt, xml) : xml;
      return reply.type('application/xml').send(out);
    }
    for (const h of held) void viaApi(h.text, h.key).catch(() => undefined);
    return reply.type('text/plain').send('success');
  }
}
