/**
 * WeCom's side of the callback URL: the URL check (GET with an encrypted echostr) and the
 * encrypted kf_msg_or_event notice (POST) that tells the adapter to pull with sync_msg.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { buildXml, type MsgCrypt } from '../channels/crypto/index.ts';
import type { CallbackSender } from './callbacks.ts';
import { seconds, type SimClock } from './clock.ts';
import type { DeliveryResult, WecomSimOptions } from './types.ts';
import type { WecomWorld } from './wecom-world.ts';

export function withQuery(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

export const randomNonce = (): string => String(randomInt(1_000_000_000, 9_999_999_999));
/** A long random decimal string, like the echostr of URL checks. */
export const randomDigits = (): string => randomBytes(8).readBigUInt64BE().toString();

export class WecomCallbacks {
  url: string | undefined;

  constructor(
    private readonly options: WecomSimOptions,
    private readonly world: WecomWorld,
    private readonly crypt: MsgCrypt,
    private readonly sender: CallbackSender,
    private readonly clock: SimClock,
  ) {
    this.url = options.callbackUrl;
  }

  private signedQuery(encrypted: string, timestamp: string, nonce: string): Record<string, string> {
    return { msg_signature: this.crypt.signature(timestamp, nonce, encrypted), timestamp, nonce };
  }

  /** Posts a kf_msg_or_event notice with a fresh Token; retried like WeChat does. */
  notify(openKfid: string): Promise<DeliveryResult> {
    if (!this.url) return Promise.resolve({ delivered: false, attempts: 0, outcome: 'no-callback-url' });
    const now = this.clock.now();
    const inner = buildXml({
      ToUserName: this.options.corpId,
      CreateTime: seconds(now),
      MsgType: 'event',
      Event: 'kf_msg_or_event',
      Token: this.world.issueMsgToken(),
      OpenKfId: openKfid,
    });
    const encrypted = this.crypt.encrypt(inner);
    const timestamp = String(seconds(now));
    const body = buildXml({ ToUserName: this.options.corpId, Encrypt: encrypted, AgentID: this.options.agentId ?? '' });
    const url = withQuery(this.url, this.signedQuery(encrypted, timestamp, randomNonce()));
    return this.sender.send('wecom-kf', { method: 'POST', url, body, contentType: 'text/xml' }, (status, text) => status === 200 && text.trim() === 'success');
  }

  /** The URL check WeCom runs when the callback is configured: the answer must be the decrypted echostr. */
  async verify(): Promise<boolean> {
    if (!this.url) return false;
    const plain = randomDigits();
    const echostr = this.crypt.encrypt(plain);
    const url = withQuery(this.url, { ...this.signedQuery(echostr, String(seconds(this.clock.now())), randomNonce()), echostr });
    const result = await this.sender.send('wecom-kf', { method: 'GET', url }, (status, text) => status === 200 && text === plain, 0);
    return result.delivered;
  }
}
