/**
 * The encrypted XML envelopes around a message: the one WeChat posts to a callback
 * (<xml><ToUserName/><Encrypt/>[<AgentID/>]</xml>, signed in the query string) and the one an
 * Official Account answers with in safe mode (<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>).
 */
import { CallbackXmlError } from './errors.ts';
import type { MsgCrypt } from './msg-crypt.ts';
import { buildXml, parseFlatXml, type XmlFields } from './xml.ts';

/** The signed query parameters WeChat adds to an encrypted callback. */
export interface CallbackQuery {
  msg_signature: string;
  timestamp: string;
  nonce: string;
}

/** A callback body: `extra` adds fields beside Encrypt (ToUserName, AgentID). */
export function buildCallbackEnvelope(encrypt: string, extra: XmlFields = {}): string {
  return buildXml({ ...extra, Encrypt: encrypt });
}

/** The Encrypt field of a callback body; throws CallbackXmlError when there is none. */
export function envelopeEncrypt(body: string): { encrypt: string; fields: Record<string, string> } {
  const fields = parseFlatXml(body);
  const encrypt = fields.Encrypt;
  if (!encrypt) throw new CallbackXmlError('XML_INVALID', 'the callback has no Encrypt element');
  return { encrypt, fields };
}

/** Verifies and decrypts a callback body against its query: the inner XML's fields. */
export function openCallback(crypt: MsgCrypt, body: string, query: CallbackQuery): Record<string, string> {
  const { encrypt } = envelopeEncrypt(body);
  const inner = crypt.open({ signature: query.msg_signature, timestamp: query.timestamp, nonce: query.nonce, encrypted: encrypt });
  return parseFlatXml(inner);
}

/** A safe-mode passive reply: `replyXml` encrypted and signed. */
export function buildEncryptedReply(crypt: MsgCrypt, replyXml: string, options?: { timestamp?: string; nonce?: string }): string {
  const sealed = crypt.seal(replyXml, options);
  return buildXml({ Encrypt: sealed.encrypt, MsgSignature: sealed.signature, TimeStamp: sealed.timestamp, Nonce: sealed.nonce });
}

/** Opens a safe-mode passive reply (the simulator's side): the reply's inner XML text. */
export function openEncryptedReply(crypt: MsgCrypt, body: string): string {
  const fields = parseFlatXml(body);
  const { Encrypt: encrypted, MsgSignature: signature, TimeStamp: timestamp, Nonce: nonce } = fields;
  if (!encrypted || !signature || !timestamp || nonce === undefined) {
    throw new CallbackXmlError('XML_INVALID', 'an encrypted reply needs Encrypt, MsgSignature, TimeStamp and Nonce');
  }
  return crypt.open({ signature, timestamp, nonce, encrypted });
}
