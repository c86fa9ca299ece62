/** Callback crypto and XML shared by the 微信客服 (WeCom) and Official Account channels. */
export { CallbackCryptoError, CallbackXmlError, type CallbackCryptoCode, type XmlErrorCode } from './errors.ts';
export {
  aesKeyBytes,
  createMsgCrypt,
  plainSignature,
  sha1Signature,
  signatureEquals,
  verifyPlainSignature,
  type DecryptResult,
  type MsgCrypt,
  type MsgCryptOptions,
  type SealedMessage,
} from './msg-crypt.ts';
export { assertFreshTimestamp, isFreshTimestamp, type FreshnessOptions } from './timestamp.ts';
export { buildXml, cdata, parseFlatXml, type ParseXmlOptions, type XmlFields, type XmlValue } from './xml.ts';
export {
  buildCallbackEnvelope,
  buildEncryptedReply,
  envelopeEncrypt,
  openCallback,
  openEncryptedReply,
  type CallbackQuery,
} from './envelope.ts';
