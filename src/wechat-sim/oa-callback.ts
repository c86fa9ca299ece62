/**
 * An Official Account's callback URL as WeChat uses it: the URL check (GET, echostr echoed in
 * plaintext in both modes) and message/event POSTs, in plaintext mode (signature over token,
 * timestamp, nonce) or safe mode (encrypt_type=aes, msg_signature, an Encrypt envelope). The
 * HTTP answer is the passive reply: "" or "success" for none, else a reply XML (encrypted in
 * safe mode) — which is what the customer receives. Any other answer makes WeChat show the
 * customer an error notice.
 */
import { buildXml, openEncryptedReply, parseFlatXml, plainSignature, type MsgCrypt, type XmlFields } from '../channels/crypto/index.ts';
import type { CallbackSender } from './callbacks.ts';
import { seconds, type SimClock } from './clock.ts';
import type { OaWorld } from './oa-world.ts';
import type { DeliveryResult, OaSimOptions } from './types.ts';
import { randomDigits, randomNonce, withQuery } from './wecom-callback.ts';

export class OaCallbacks {
  url: string | undefined;

  constructor(
    private readonly options: OaSimOptions,
    private readonly world: OaWorld,
    /** Present in safe mode. */
    private readonly crypt: MsgCrypt | undefined,
    private readonly sender: CallbackSender,
    private readonly clock: SimClock,
  ) {
    this.url = options.callbackUrl;
  }

  /** Posts `fields` from `openid`; a passive reply in the answer is recorded as received. */
  async deliver(openid: string, fields: XmlFields): Promise<DeliveryResult> {
    if (!this.url) return { delivered: false, attempts: 0, outcome: 'no-callback-url' };
    const timestamp = String(seconds(this.clock.now()));
    const nonce = randomNonce();
    const params: Record<string, string> = { signature: plainSignature(this.options.token, timestamp, nonce), timestamp, nonce, openid };
    const inner = buildXml(fields);
    let body = inner;
    if (this.crypt) {
      const encrypted = this.crypt.encrypt(inner);
      params.encrypt_type = 'aes';
      params.msg_signature = this.crypt.signature(timestamp, nonce, encrypted);
      body = buildXml({ ToUserName: this.world.ghId, Encrypt: encrypted });
    }
    const result = await this.sender.send('oa', { method: 'POST', url: withQuery(this.url, params), body, contentType: 'text/xml' }, (status) => status === 200);
    if (result.delivered) this.takeReply(openid, result.body ?? '');
    return result;
  }

  private takeReply(openid: string, answer: string): void {
    const trimmed = answer.trim();
    if (trimmed === '' || trimmed === 'success') return;
    let fields: Record<string, string>;
    try {
      fields = parseFlatXml(this.crypt ? openEncryptedReply(this.crypt, trimmed) : trimmed);
    } catch (err) {
      this.world.errorNotice(openid, err instanceof Error ? err.message : String(err));
      return;
    }
    const problem =
      fields.ToUserName !== openid
        ? 'ToUserName is not the customer'
        : fields.FromUserName !== this.world.ghId
          ? 'FromUserName is not the account'
          : !fields.MsgType
            ? 'no MsgType'
            : fields.MsgType === 'text' && !fields.Content
              ? 'empty Content'
              : undefined;
    if (problem) this.world.errorNotice(openid, problem);
    else this.world.passiveReply(openid, fields);
  }

  /** The URL check run when the server address is saved: the answer must be echostr itself. */
  async verify(): Promise<boolean> {
    if (!this.url) return false;
    const timestamp = String(seconds(this.clock.now()));
    const nonce = randomNonce();
    const echostr = randomDigits();
    const url = withQuery(this.url, { signature: plainSignature(this.options.token, timestamp, nonce), timestamp, nonce, echostr });
    const result = await this.sender.send('oa', { method: 'GET', url }, (status, text) => status === 200 && text === echostr, 0);
    return result.delivered;
  }
}
