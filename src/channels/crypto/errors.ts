/** Typed errors of the callback crypto and XML helpers: callers branch on `code`, never on text. */
import { KefuError } from '../../errors.ts';

export type CallbackCryptoCode =
  /** The EncodingAESKey is not 43 base64 characters. */
  | 'CRYPTO_BAD_KEY'
  /** msg_signature / signature does not match: not from WeChat, or the Token is wrong. */
  | 'CRYPTO_BAD_SIGNATURE'
  /** The Encrypt text is not base64 of whole AES blocks. */
  | 'CRYPTO_BAD_CIPHERTEXT'
  /** The PKCS#7 padding after decryption is invalid (wrong key, or tampered text). */
  | 'CRYPTO_BAD_PADDING'
  /** The length inside the plaintext points past its end. */
  | 'CRYPTO_BAD_LENGTH'
  /** Decrypted fine, but for another corp / app id. */
  | 'CRYPTO_WRONG_RECEIVER'
  /** The timestamp is too far from now: a replay, or a clock that is off. */
  | 'CRYPTO_STALE_TIMESTAMP';

export class CallbackCryptoError extends KefuError {
  declare readonly code: CallbackCryptoCode;
  constructor(code: CallbackCryptoCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export type XmlErrorCode = 'XML_INVALID' | 'XML_TOO_LARGE' | 'XML_UNSUPPORTED';

/** The callback XML is not the small, flat document WeChat sends (or a value cannot be written as XML). */
export class CallbackXmlError extends KefuError {
  declare readonly code: XmlErrorCode;
  constructor(code: XmlErrorCode, message: string) {
    super(code, message);
  }
}
