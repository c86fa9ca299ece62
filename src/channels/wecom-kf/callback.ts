/**
 * The 微信客服 callback: GET /wecom/kf/callback (URL verification: the decrypted echostr as plain
 * text) and POST /wecom/kf/callback (an encrypted kf_msg_or_event notice: "success" at once, the
 * pull runs afterwards, since WeChat retries a callback not answered within 5 s).
 *
 * Both check msg_signature in constant time and decrypt with the receiver id = the corp id (the
 * crypto refuses another). POSTs with a timestamp far from now are refused (a replay); the URL
 * verification is exempt (WeChat sends it once, when an admin saves the URL).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { assertFreshTimestamp, CallbackCryptoError, CallbackXmlError, openCallback, type MsgCrypt } from '../crypto/index.ts';
import { callbackNotice } from './wire.ts';

export const CALLBACK_PATH = '/wecom/kf/callback';
const BODY_LIMIT = 64 * 1024;

export interface KfNotice {
  /** The sync token (valid 10 minutes). */
  token?: string;
  openKfid?: string;
}

export interface CallbackRoutesOptions {
  crypt: MsgCrypt;
  /** Called for each verified notice, after the answer is on its way; must not throw. */
  onNotice(notice: KfNotice): void;
  /** POST timestamps further than this from now are refused (default 300 s). */
  maxSkewS?: number;
  now?: () => number;
  logger?: Logger;
}

const signed = z.object({
  msg_signature: z.string().regex(/^[0-9a-fA-F]{40}$/, '40 hex digits'),
  timestamp: z.string().regex(/^\d{1,12}$/, 'seconds'),
  nonce: z.string().min(1).max(64),
});
// A query parser may turn an unencoded "+" of the base64 echostr into a space; base64 has no spaces.
const verifyQuery = signed.extend({ echostr: z.string().min(1).max(4096).transform((s) => s.replace(/ /g, '+')) });

function refuse(reply: FastifyReply, err: unknown, log?: Logger): FastifyReply {
  if (err instanceof CallbackCryptoError) {
    log?.warn({ code: err.code }, 'callback refused');
    return reply.code(403).type('text/plain').send(err.code);
  }
  if (err instanceof CallbackXmlError) {
    log?.warn({ code: err.code }, 'callback refused: not the XML WeChat sends');
    return reply.code(400).type('text/plain').send(err.code);
  }
  throw err;
}

/** The routes, in their own encapsulated scope (the XML body parser stays there). */
export function callbackRoutes(o: CallbackRoutesOptions): (app: FastifyInstance) => Promise<void> {
  const log = o.logger;
  return async (app) => {
    await app.register(async (scope) => {
      const asString = (_req: unknown, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void => done(null, String(body));
      scope.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string', bodyLimit: BODY_LIMIT }, asString);

      scope.get(CALLBACK_PATH, async (req, reply) => {
        const q = verifyQuery.safeParse(req.query);
        if (!q.success) return reply.code(400).type('text/plain').send('bad query: msg_signature, timestamp, nonce and echostr');
        try {
          const { msg_signature: sig, timestamp, nonce, echostr } = q.data;
          o.crypt.assertSignature(sig, timestamp, nonce, echostr);
          const { message } = o.crypt.decrypt(echostr);
          log?.info('callback URL verified');
          return reply.type('text/plain').send(message);
        } catch (err) {
          return refuse(reply, err, log);
        }
      });

      scope.post(CALLBACK_PATH, { bodyLimit: BODY_LIMIT }, async (req, reply) => {
        const q = signed.safeParse(req.query);
        if (!q.success) return reply.code(400).type('text/plain').send('bad query: msg_signature, timestamp and nonce');
        if (typeof req.body !== 'string') return reply.code(415).type('text/plain').send('an XML body');
        let notice: KfNotice | undefined;
        try {
          assertFreshTimestamp(q.data.timestamp, { now: o.now, maxSkewS: o.maxSkewS });
          const fields = callbackNotice.parse(openCallback(o.crypt, req.body, q.data));
          if (fields.MsgType === 'event' && fields.Event === 'kf_msg_or_event') notice = { token: fields.Token, openKfid: fields.OpenKfId };
          else log?.debug({ msgType: fields.MsgType, event: fields.Event }, 'callback of another kind ignored');
        } catch (err) {
          if (err instanceof z.ZodError) return reply.code(400).type('text/plain').send('not a callback notice');
          return refuse(reply, err, log);
        }
        // After the answer: the pull must not hold up the "success" WeChat waits 5 s for.
        if (notice) {
          const n = notice;
          setImmediate(() => o.onNotice(n));
        }
        return reply.type('text/plain').send('success');
      });
    });
  };
}
