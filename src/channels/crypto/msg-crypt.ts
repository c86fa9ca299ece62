/**
 * WeChat's callback encryption, shared by 微信客服 (WeCom) and Official Accounts in safe mode
 * (the "WXBizMsgCrypt" scheme, written from the published description of the algorithm):
 *
 * - signature = sha1 of the lexicographically sorted concatenation of token, timestamp, nonce and
 *   the encrypted text (hex, lower case);
 * - AES-256-CBC with key = base64(EncodingAESKey + "=") and IV = the key's first 16 bytes;
 * - plaintext = 16 random bytes + 4-byte big-endian length + message + receiver id (the corp id or
 *   the app id), PKCS#7-padded to 32-byte blocks — not AES's 16, which is why Node's own padding
 *   check is switched off and the padding is checked here.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CallbackCryptoError } from './errors.ts';

const BLOCK = 32;
const RANDOM_PREFIX = 16;
const AES_KEY_RE = /^[A-Za-z0-9+/]{43}$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface MsgCryptOptions {
  /** The callback Token. */
  token: string;
  /** The EncodingAESKey (43 characters). */
  aesKey: string;
  /** What the plaintext must end with: the corp id (WeCom) or the app id (Official Account). */
  receiverId: string;
  /** During a key rotation: the key WeChat may still be using; tried when the current one fails. */
  previousAesKey?: string;
}

export interface DecryptResult {
  message: string;
  receiverId: string;
  /** Which key opened it: 'previous' tells the operator the rotation is not finished on WeChat's side. */
  key: 'current' | 'previous';
}

export interface SealedMessage {
  encrypt: string;
  signature: string;
  timestamp: string;
  nonce: string;
}

export interface MsgCrypt {
  /** sha1(sort(token, timestamp, nonce, encrypted)) as lower-case hex. */
  signature(timestamp: string, nonce: string, encrypted: string): string;
  /** Constant-time comparison of a received signature with the expected one. */
  verifySignature(signature: string, timestamp: string, nonce: string, encrypted: string): boolean;
  /** Throws CRYPTO_BAD_SIGNATURE unless `verifySignature`. */
  assertSignature(signature: string, timestamp: string, nonce: string, encrypted: string): void;
  /** Decrypts with the current key, then the previous one; throws a CallbackCryptoError. */
  decrypt(encrypted: string): DecryptResult;
  /** Checks the signature, then decrypts: the message text. */
  open(params: { signature: string; timestamp: string; nonce: string; encrypted: string }): string;
  /** Encrypts with the current key. `random` (16 bytes) only for reproducing published vectors. */
  encrypt(message: string, options?: { random?: Buffer }): string;
  /** Encrypts and signs, e.g. an Official Account's safe-mode passive reply or a simulated callback. */
  seal(message: string, options?: { timestamp?: string; nonce?: string }): SealedMessage;
}

/** sha1 of the sorted concatenation of `parts`: the signature of both the encrypted and plaintext modes. */
export function sha1Signature(parts: readonly string[]): string {
  return createHash('sha1').update([...parts].sort().join('')).digest('hex');
}

/** Constant-time equality of a received hex signature and the expected one. */
export function signatureEquals(received: string, expected: string): boolean {
  const a = Buffer.from(received.toLowerCase(), 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // Lengths differ only for garbage input; timingSafeEqual needs equal lengths.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An Official Account's plaintext-mode signature: sha1(sort(token, timestamp, nonce)). */
export function plainSignature(token: string, timestamp: string, nonce: string): string {
  return sha1Signature([token, timestamp, nonce]);
}

export function verifyPlainSignature(token: string, signature: string, timestamp: string, nonce: string): boolean {
  return signatureEquals(signature, plainSignature(token, timestamp, nonce));
}

/** The 32-byte AES key of an EncodingAESKey; throws CRYPTO_BAD_KEY. */
export function aesKeyBytes(encodingAesKey: string): Buffer {
  if (!AES_KEY_RE.test(encodingAesKey)) {
    throw new CallbackCryptoError('CRYPTO_BAD_KEY', 'the EncodingAESKey must be 43 letters, digits, + or /');
  }
  return Buffer.from(`${encodingAesKey}=`, 'base64');
}

function pad(data: Buffer): Buffer {
  const n = BLOCK - (data.length % BLOCK);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

function unpad(data: Buffer): Buffer {
  const n = data[data.length - 1] ?? 0;
  if (n < 1 || n > BLOCK || n > data.length) {
    throw new CallbackCryptoError('CRYPTO_BAD_PADDING', 'invalid padding after decryption');
  }
  for (let i = data.length - n; i < data.length; i++) {
    if (data[i] !== n) throw new CallbackCryptoError('CRYPTO_BAD_PADDING', 'invalid padding after decryption');
  }
  return data.subarray(0, data.length - n);
}

function encryptWith(key: Buffer, message: string, receiverId: string, random: Buffer): string {
  if (random.length !== RANDOM_PREFIX) throw new RangeError('random must be 16 bytes');
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const plain = pad(Buffer.concat([random, length, body, Buffer.from(receiverId, 'utf8')]));
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

function decryptWith(key: Buffer, cipherBytes: Buffer): { message: string; receiverId: string } {
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = unpad(Buffer.concat([decipher.update(cipherBytes), decipher.final()]));
  if (plain.length < RANDOM_PREFIX + 4) {
    throw new CallbackCryptoError('CRYPTO_BAD_LENGTH', 'the decrypted text is too short');
  }
  const length = plain.readUInt32BE(RANDOM_PREFIX);
  const start = RANDOM_PREFIX + 4;
  if (length > plain.length - start) {
    throw new CallbackCryptoError('CRYPTO_BAD_LENGTH', 'the message length points past the decrypted text');
  }
  return {
    message: plain.subarray(start, start + length).toString('utf8'),
    receiverId: plain.subarray(start + length).toString('utf8'),
  };
}

function cipherBytesOf(encrypted: string): Buffer {
  if (encrypted.length === 0 || !BASE64_RE.test(encrypted)) {
    throw new CallbackCryptoError('CRYPTO_BAD_CIPHERTEXT', 'the encrypted text is not base64');
  }
  const bytes = Buffer.from(encrypted, 'base64');
  if (bytes.length === 0 || bytes.length % 16 !== 0) {
    throw new CallbackCryptoError('CRYPTO_BAD_CIPHERTEXT', 'the encrypted text is not whole AES blocks');
  }
  return bytes;
}

export function createMsgCrypt(options: MsgCryptOptions): MsgCrypt {
  const { token, receiverId } = options;
  if (!token) throw new CallbackCryptoError('CRYPTO_BAD_KEY', 'the callback Token is empty');
  if (!receiverId) throw new CallbackCryptoError('CRYPTO_BAD_KEY', 'the receiver id is empty');
  const current = aesKeyBytes(options.aesKey);
  const previous = options.previousAesKey ? aesKeyBytes(options.previousAesKey) : undefined;

  const signature = (timestamp: string, nonce: string, encrypted: string): string =>
    sha1Signature([token, timestamp, nonce, encrypted]);

  const verifySignature = (sig: string, timestamp: string, nonce: string, encrypted: string): boolean =>
    signatureEquals(sig, signature(timestamp, nonce, encrypted));

  const assertSignature = (sig: string, timestamp: string, nonce: string, encrypted: string): void => {
    if (!verifySignature(sig, timestamp, nonce, encrypted)) {
      throw new CallbackCryptoError('CRYPTO_BAD_SIGNATURE', 'the signature does not match');
    }
  };

  const attempt = (key: Buffer, bytes: Buffer): { message: string; receiverId: string } => {
    const opened = decryptWith(key, bytes);
    if (opened.receiverId !== receiverId) {
      throw new CallbackCryptoError('CRYPTO_WRONG_RECEIVER', 'the message is for another receiver id');
    }
    return opened;
  };

  const decrypt = (encrypted: string): DecryptResult => {
    const bytes = cipherBytesOf(encrypted);
    try {
      return { ...attempt(current, bytes), key: 'current' };
    } catch (first) {
      if (!previous || !(first instanceof CallbackCryptoError)) throw first;
      try {
        return { ...attempt(previous, bytes), key: 'previous' };
      } catch (second) {
        // A wrong receiver means one of the keys did open it: the more telling of the two errors.
        if (second instanceof CallbackCryptoError && second.code === 'CRYPTO_WRONG_RECEIVER') throw second;
        throw first;
      }
    }
  };

  const encrypt = (message: string, opts?: { random?: Buffer }): string =>
    encryptWith(current, message, receiverId, opts?.random ?? randomBytes(RANDOM_PREFIX));

  return {
    signature,
    verifySignature,
    assertSignature,
    decrypt,
    open({ signature: sig, timestamp, nonce, encrypted }) {
      assertSignature(sig, timestamp, nonce, encrypted);
      return decrypt(encrypted).message;
    },
    encrypt,
    seal(message, opts) {
      const timestamp = opts?.timestamp ?? String(Math.floor(Date.now() / 1000));
      const nonce = opts?.nonce ?? String(randomBytes(4).readUInt32BE(0));
      const encrypted = encrypt(message);
      return { encrypt: encrypted, signature: signature(timestamp, nonce, encrypted), timestamp, nonce };
    },
  };
}
