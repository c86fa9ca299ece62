/**
 * The 微信客服 API client: gettoken, kf/sync_msg, kf/send_msg, kf/send_msg_on_event,
 * kf/service_state/get|trans, kf/customer/batchget and media/get, under WECOM_API_BASE. Every
 * answer is checked with zod; errcodes become typed errors. A refused access token (42001/40014)
 * is replaced once and the call made once more; nothing else is retried here (a send whose outcome
 * is unknown may only be tried again by the caller, with the same msgid).
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Keys } from '../../handoff/index.ts';
import { ERRCODE, TOKEN_CODES, WecomApiError, WecomMediaTooLargeError, WecomRateLimitedError, WecomTransportError } from './errors.ts';
import { TokenSource } from './token.ts';
import {
  baseAnswer,
  batchgetAnswer,
  sendMsgAnswer,
  serviceStateAnswer,
  syncMsgAnswer,
  tokenAnswer,
  transAnswer,
  type BatchgetAnswer,
  type ServiceStateAnswer,
  type SyncMsgAnswer,
} from './wire.ts';

export interface WecomApiOptions {
  /** WECOM_API_BASE, without a trailing slash. */
  base: string;
  corpId: string;
  secret: string;
  redis: Redis | Cluster;
  keys: Keys;
  logger?: Logger;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** Wait this long after a 45009 before calling that API again (default 60 s: WeChat counts per minute). */
  rateLimitBackoffMs?: number;
  now?: () => number;
}

export interface SyncMsgRequest {
  open_kfid: string;
  cursor?: string;
  /** The callback's token (valid 10 minutes); without it WeChat limits calls strictly. */
  token?: string;
  limit?: number;
}

export interface TextMessage {
  msgtype: 'text';
  text: { content: string };
}

export interface MediaFile {
  body: Buffer;
  contentType: string;
  filename?: string;
}

export class WecomApi {
  readonly tokens: TokenSource;
  private readonly timeoutMs: number;
  private readonly backoffMs: number;
  private readonly log?: Logger;

  constructor(private readonly o: WecomApiOptions) {
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.backoffMs = o.rateLimitBackoffMs ?? 60_000;
    this.log = o.logger;
    this.tokens = new TokenSource({ redis: o.redis, key: o.keys.wecomToken(o.corpId), now: o.now, logger: o.logger, fetchToken: () => this.getToken() });
  }

  syncMsg(req: SyncMsgRequest): Promise<SyncMsgAnswer> {
    const body: Record<string, unknown> = { open_kfid: req.open_kfid, limit: req.limit ?? 1000, voice_format: 0 };
    if (req.cursor) body.cursor = req.cursor;
    if (req.token) body.token = req.token;
    return this.post('/cgi-bin/kf/sync_msg', body, syncMsgAnswer);
  }

  /** Sends one message; `msgid` (at most 32 of [0-9a-zA-Z_-]) makes a repeat recognisable. */
  async sendMsg(req: { touser: string; open_kfid: string; msgid: string } & TextMessage): Promise<{ msgid?: string }> {
    return this.post('/cgi-bin/kf/send_msg', req, sendMsgAnswer);
  }

  /** The one message an event's code allows (the welcome after enter_session: within 20 s). */
  async sendMsgOnEvent(req: { code: string; msgid?: string } & TextMessage): Promise<{ msgid?: string }> {
    return this.post('/cgi-bin/kf/send_msg_on_event', req, sendMsgAnswer);
  }

  serviceStateGet(req: { open_kfid: string; external_userid: string }): Promise<ServiceStateAnswer> {
    return this.post('/cgi-bin/kf/service_state/get', req, serviceStateAnswer);
  }

  serviceStateTrans(req: { open_kfid: string; external_userid: string; service_state: number; servicer_userid?: string }): Promise<{ msg_code?: string }> {
    return this.post('/cgi-bin/kf/service_state/trans', req, transAnswer);
  }

  /** Nicknames (and more) of up to 100 customers who wrote within 48 h; the others come back as invalid. */
  customerBatchget(externalUserIds: readonly string[]): Promise<BatchgetAnswer> {
    return this.post('/cgi-bin/kf/customer/batchget', { external_userid_list: externalUserIds, need_enter_session_context: 0 }, batchgetAnswer);
  }

  /** A customer's media file, refused (and the download cut) beyond `maxBytes`. */
  async mediaGet(mediaId: string, maxBytes: number): Promise<MediaFile> {
    const api = '/cgi-bin/media/get';
    const out = await this.withToken(async (token): Promise<{ json: unknown } | { file: MediaFile }> => {
      const url = `${this.o.base}${api}?access_token=${encodeURIComponent(token)}&media_id=${encodeURIComponent(mediaId)}`;
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), this.timeoutMs);
      try {
        const res = await this.fetch(api, url, { signal: ctl.signal });
        const type = res.headers.get('content-type') ?? 'application/octet-stream';
        // Errors come back as JSON (or text) with an errcode; files with their own type.
        if (/json|text\/plain/i.test(type)) return { json: await this.json(api, res) };
        if (Number(res.headers.get('content-length') ?? 0) > maxBytes) throw new WecomMediaTooLargeError(mediaId, maxBytes);
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of res.body ?? []) {
          size += chunk.byteLength;
          if (size > maxBytes) throw new WecomMediaTooLargeError(mediaId, maxBytes);
          chunks.push(Buffer.from(chunk));
        }
        const filename = /filename="?([^";]+)"?/i.exec(res.headers.get('content-disposition') ?? '')?.[1];
        return { file: { body: Buffer.concat(chunks), contentType: type, filename } };
      } catch (err) {
        if (err instanceof WecomMediaTooLargeError || err instanceof WecomTransportError) throw err;
        throw new WecomTransportError(api, (err as Error).message, { cause: err });
      } finally {
        // Stops a download cut short (the rest of the body is not read).
        ctl.abort();
        clearTimeout(timer);
      }
    });
    if ('file' in out) return out.file;
    this.check(api, out.json, baseAnswer);
    throw new WecomTransportError(api, 'neither a file nor an error');
  }

  // ------------------------------------------------------------------------------------------

  private async getToken(): Promise<{ token: string; expiresInS: number }> {
    const api = '/cgi-bin/gettoken';
    const url = `${this.o.base}${api}?corpid=${encodeURIComponent(this.o.corpId)}&corpsecret=${encodeURIComponent(this.o.secret)}`;
    const res = await this.fetch(api, url, { signal: AbortSignal.timeout(this.timeoutMs) });
    const answer = this.check(api, await this.json(api, res), tokenAnswer);
    return { token: answer.access_token, expiresInS: answer.expires_in };
  }

  private async post<S extends z.ZodType>(api: string, body: unknown, schema: S): Promise<z.infer<S>> {
    const out = await this.withToken(async (token) => {
      const url = `${this.o.base}${api}?access_token=${encodeURIComponent(token)}`;
      const res = await this.fetch(api, url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return { json: await this.json(api, res) };
    });
    return this.check(api, out.json, schema);
  }

  /**
   * Runs a call with the current token; when WeChat refuses the token, replaces it and runs the call
   * once more (the refused call did nothing, so this is safe even for a send).
   */
  private async withToken<R extends { json: unknown } | { file: unknown }>(call: (token: string) => Promise<R>): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get();
      const out = await call(token);
      const errcode = 'json' in out ? baseAnswer.safeParse(out.json).data?.errcode : undefined;
      if (errcode !== undefined && TOKEN_CODES.has(errcode) && attempt === 0) {
        this.log?.info({ errcode }, 'access token refused: fetching a new one');
        await this.tokens.invalidate(token);
        continue;
      }
      return out;
    }
  }

  /** The answer, checked: an errcode becomes a typed error, a malformed answer a transport error. */
  private check<S extends z.ZodType>(api: string, json: unknown, schema: S): z.infer<S> {
    const base = baseAnswer.safeParse(json);
    if (!base.success) throw new WecomTransportError(api, 'the answer is not the API\'s (no errcode object)');
    const { errcode, errmsg } = base.data;
    if (errcode === ERRCODE.RATE_LIMITED) throw new WecomRateLimitedError(api, errmsg, this.backoffMs);
    if (errcode !== 0) throw new WecomApiError(api, errcode, errmsg);
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new WecomTransportError(api, `unexpected answer: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data;
  }

  private async fetch(api: string, url: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (err) {
      throw new WecomTransportError(api, (err as Error).message, { cause: err });
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new WecomTransportError(api, `HTTP ${res.status}`);
    }
    return res;
  }

  private async json(api: string, res: Response): Promise<unknown> {
    try {
      return JSON.parse(await res.text());
    } catch (err) {
      throw new WecomTransportError(api, 'the answer is not JSON', { cause: err });
    }
  }
}
