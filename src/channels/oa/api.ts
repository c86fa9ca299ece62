/**
 * The Official Account API calls the channel needs: `stable_token` (the token shared by every
 * process through Redis, refreshed single-flight) and `message/custom/send`. A refused token is
 * replaced once and the call made once more; a closed window is a permanent refusal.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { KefuError } from '../../errors.ts';
import type { Keys } from '../../handoff/index.ts';
import { TokenSource } from '../wecom-kf/token.ts';
import { baseAnswer, OA_ERRCODE, tokenAnswer } from './wire.ts';

export class OaApiError extends KefuError {
  constructor(
    readonly api: string,
    readonly errcode: number,
    errmsg: string,
  ) {
    super(errcode === OA_ERRCODE.RATE_LIMITED ? 'OA_RATE_LIMITED' : 'OA_API_ERROR', `${api}: errcode ${errcode} ${errmsg}`.trim());
  }
}

export interface OaApiOptions {
  base: string;
  appId: string;
  appSecret: string;
  redis: Redis | Cluster;
  keys: Keys;
  logger?: Logger;
  timeoutMs?: number;
  now?: () => number;
}

export class OaApi {
  private readonly tokens: TokenSource;

  constructor(private readonly o: OaApiOptions) {
    // The same token cache as 微信客服's, under the Official Account's own key.
    this.tokens = new TokenSource({
      redis: o.redis,
      key: o.keys.oaToken(o.appId),
      now: o.now,
      logger: o.logger,
      fetchToken: () => this.fetchToken(),
    });
  }

  /** When a token was last obtained (ms; 0 = never): readiness. */
  get lastTokenAt(): number {
    return this.tokens.lastOk;
  }

  token(): Promise<string> {
    return this.tokens.get();
  }

  /** A text to one customer through the customer-service message API. */
  async customSend(openid: string, text: string): Promise<void> {
    await this.call('message/custom/send', { touser: openid, msgtype: 'text', text: { content: text } });
  }

  private async fetchToken(): Promise<{ token: string; expiresInS: number }> {
    const body = { grant_type: 'client_credential', appid: this.o.appId, secret: this.o.appSecret, force_refresh: false };
    const answer = tokenAnswer.parse(await this.post('/cgi-bin/stable_token', body));
    if ('errcode' in answer) throw new OaApiError('stable_token', answer.errcode, answer.errmsg);
    return { token: answer.access_token, expiresInS: answer.expires_in };
  }

  private async call(api: string, body: unknown): Promise<z.infer<typeof baseAnswer>> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.tokens.get();
      const answer = baseAnswer.parse(await this.post(`/cgi-bin/${api}?access_token=${encodeURIComponent(token)}`, body));
      if (answer.errcode === 0) return answer;
      if (OA_ERRCODE.TOKEN.has(answer.errcode as 40001) && attempt === 1) {
        this.o.logger?.warn({ errcode: answer.errcode }, 'access token refused; fetching a new one');
        await this.tokens.invalidate(token);
        continue;
      }
      throw new OaApiError(api, answer.errcode, answer.errmsg);
    }
  }

  private async post(path: string, body: unknown): Promise<unknown> {
    const res = await fetch(`${this.o.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
    });
    if (!res.ok) throw new KefuError('OA_TRANSPORT', `${path.split('?')[0]}: HTTP ${res.status}`);
    return res.json();
  }
}
