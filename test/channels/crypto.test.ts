import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  assertFreshTimestamp,
  buildCallbackEnvelope,
  buildEncryptedReply,
  buildXml,
  CallbackCryptoError,
  CallbackXmlError,
  cdata,
  createMsgCrypt,
  isFreshTimestamp,
  openCallback,
  openEncryptedReply,
  parseFlatXml,
  plainSignature,
  verifyPlainSignature,
} from '../../src/channels/crypto/index.ts';

// WeCom's published callback sample (URL verification).
const WECOM = { token: 'QDG6eK', aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', receiverId: 'wx5823bf96d3bd56c7' };
const VERIFY = {
  signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
};
// The Official Account sample (the crypto demo's fixed-random vector).
const OA = { token: 'pamtest', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', receiverId: 'wxb11529c136998cb6' };
const OA_CIPHER = 'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof CallbackCryptoError || err instanceof CallbackXmlError) return err.code;
    throw err;
  }
  return undefined;
}

/** Encrypts raw plaintext bytes with the WeCom sample key, bypassing createMsgCrypt's own padding. */
function rawEncrypt(plain: Buffer): string {
  const key = Buffer.from(`${WECOM.aesKey}=`, 'base64');
  const c = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  c.setAutoPadding(false);
  return Buffer.concat([c.update(plain), c.final()]).toString('base64');
}

describe('createMsgCrypt with the WeCom sample', () => {
  const crypt = createMsgCrypt(WECOM);

  it('computes the published msg_signature and decrypts the echostr', () => {
    expect(crypt.signature(VERIFY.timestamp, VERIFY.nonce, VERIFY.echostr)).toBe(VERIFY.signature);
    expect(crypt.verifySignature(VERIFY.signature, VERIFY.timestamp, VERIFY.nonce, VERIFY.echostr)).toBe(true);
    expect(crypt.decrypt(VERIFY.echostr)).toEqual({ message: '1616140317555161061', receiverId: WECOM.receiverId, key: 'current' });
    expect(crypt.open({ ...VERIFY, encrypted: VERIFY.echostr })).toBe('1616140317555161061');
  });

  it('rejects a tampered signature, timestamp or ciphertext', () => {
    const bad = `${VERIFY.signature.slice(0, -1)}0`;
    expect(crypt.verifySignature(bad, VERIFY.timestamp, VERIFY.nonce, VERIFY.echostr)).toBe(false);
    expect(crypt.verifySignature('short', VERIFY.timestamp, VERIFY.nonce, VERIFY.echostr)).toBe(false);
    expect(codeOf(() => crypt.open({ ...VERIFY, signature: bad, encrypted: VERIFY.echostr }))).toBe('CRYPTO_BAD_SIGNATURE');
    expect(codeOf(() => crypt.open({ ...VERIFY, timestamp: '1409659590', encrypted: VERIFY.echostr }))).toBe('CRYPTO_BAD_SIGNATURE');
    expect(codeOf(() => crypt.assertSignature(VERIFY.signature, VERIFY.timestamp, VERIFY.nonce, `${VERIFY.echostr}x`))).toBe('CRYPTO_BAD_SIGNATURE');
  });

  it('rejects a message for another receiver', () => {
    const other = createMsgCrypt({ ...WECOM, receiverId: 'wwsomeoneelse' });
    expect(codeOf(() => other.decrypt(VERIFY.echostr))).toBe('CRYPTO_WRONG_RECEIVER');
  });

  it('rejects invalid padding, lengths and ciphertexts', () => {
    const body = Buffer.concat([Buffer.alloc(16, 1), Buffer.from([0, 0, 0, 2]), Buffer.from('hi'), Buffer.from(WECOM.receiverId)]);
    const fill = (n: number, byte: number) => Buffer.concat([body, Buffer.alloc(n, byte)]);
    const padLen = 32 - (body.length % 32);
    expect(crypt.decrypt(rawEncrypt(fill(padLen, padLen))).message).toBe('hi');
    expect(codeOf(() => crypt.decrypt(rawEncrypt(fill(padLen, 0))))).toBe('CRYPTO_BAD_PADDING');
    const inconsistent = fill(padLen, padLen);
    inconsistent[inconsistent.length - 2] = 1;
    expect(codeOf(() => crypt.decrypt(rawEncrypt(inconsistent)))).toBe('CRYPTO_BAD_PADDING');
    // A padding byte of 33..255 is never valid with 32-byte blocks.
    expect(codeOf(() => crypt.decrypt(rawEncrypt(Buffer.concat([body, Buffer.alloc(padLen + 32, 48)]))))).toBe('CRYPTO_BAD_PADDING');
    const long = Buffer.from(body);
    long.writeUInt32BE(1000, 16);
    expect(codeOf(() => crypt.decrypt(rawEncrypt(Buffer.concat([long, Buffer.alloc(padLen, padLen)]))))).toBe('CRYPTO_BAD_LENGTH');
    expect(codeOf(() => crypt.decrypt('not base64!'))).toBe('CRYPTO_BAD_CIPHERTEXT');
    expect(codeOf(() => crypt.decrypt(Buffer.alloc(20).toString('base64')))).toBe('CRYPTO_BAD_CIPHERTEXT');
    expect(codeOf(() => crypt.decrypt(''))).toBe('CRYPTO_BAD_CIPHERTEXT');
  });

  it('accepts the previous key during a rotation, and only then', () => {
    const rotated = createMsgCrypt({ ...WECOM, aesKey: OA.aesKey, previousAesKey: WECOM.aesKey });
    expect(rotated.decrypt(VERIFY.echostr)).toMatchObject({ message: '1616140317555161061', key: 'previous' });
    const fresh = rotated.encrypt('new key text');
    expect(rotated.decrypt(fresh)).toMatchObject({ message: 'new key text', key: 'current' });
    const withoutPrevious = createMsgCrypt({ ...WECOM, aesKey: OA.aesKey });
    expect(codeOf(() => withoutPrevious.decrypt(VERIFY.echostr))).toMatch(/^CRYPTO_BAD_(PADDING|LENGTH)$|^CRYPTO_WRONG_RECEIVER$/);
  });

  it('refuses a malformed EncodingAESKey', () => {
    expect(codeOf(() => createMsgCrypt({ ...WECOM, aesKey: 'short' }))).toBe('CRYPTO_BAD_KEY');
    expect(codeOf(() => createMsgCrypt({ ...WECOM, aesKey: `${WECOM.aesKey.slice(0, 42)}!` }))).toBe('CRYPTO_BAD_KEY');
  });
});

describe('createMsgCrypt with the Official Account sample', () => {
  const crypt = createMsgCrypt(OA);

  it('reproduces and opens the published ciphertext', () => {
    expect(crypt.encrypt('我是中文abcd123', { random: Buffer.from('aaaabbbbccccdddd') })).toBe(OA_CIPHER);
    expect(crypt.decrypt(OA_CIPHER).message).toBe('我是中文abcd123');
  });

  it('round-trips texts of every padding length, with random prefixes', () => {
    for (let n = 0; n <= 70; n++) {
      const text = `中${'x'.repeat(n)}`;
      const a = crypt.encrypt(text);
      expect(crypt.decrypt(a).message).toBe(text);
      expect(Buffer.from(a, 'base64').length % 32).toBe(0);
    }
    expect(crypt.encrypt('same')).not.toBe(crypt.encrypt('same'));
  });

  it('seals and opens a signed message', () => {
    const sealed = crypt.seal('<xml><Content><![CDATA[你好]]></Content></xml>', { timestamp: '1409304348', nonce: 'xxxxxx' });
    expect(sealed.signature).toBe(crypt.signature('1409304348', 'xxxxxx', sealed.encrypt));
    expect(crypt.open({ ...sealed, encrypted: sealed.encrypt })).toContain('你好');
  });

  it('signs plaintext-mode callbacks over token, timestamp and nonce', () => {
    const sig = plainSignature(OA.token, '1409304348', 'xxxxxx');
    expect(sig).toMatch(/^[0-9a-f]{40}$/);
    expect(verifyPlainSignature(OA.token, sig, '1409304348', 'xxxxxx')).toBe(true);
    expect(verifyPlainSignature(OA.token, sig, '1409304349', 'xxxxxx')).toBe(false);
  });
});

describe('timestamp freshness', () => {
  const now = () => 1_700_000_000_000;
  it('accepts timestamps within the skew and refuses stale, future or malformed ones', () => {
    expect(() => assertFreshTimestamp('1700000000', { now })).not.toThrow();
    expect(isFreshTimestamp('1699999750', { now })).toBe(true);
    expect(codeOf(() => assertFreshTimestamp('1699999000', { now }))).toBe('CRYPTO_STALE_TIMESTAMP');
    expect(codeOf(() => assertFreshTimestamp('1700001000', { now }))).toBe('CRYPTO_STALE_TIMESTAMP');
    expect(codeOf(() => assertFreshTimestamp('17e8', { now }))).toBe('CRYPTO_STALE_TIMESTAMP');
    expect(isFreshTimestamp('1699999000', { now, maxSkewS: 1200 })).toBe(true);
  });
});

describe('callback XML', () => {
  it('parses the callback envelope and a decrypted event', () => {
    const body = '<xml><ToUserName><![CDATA[ww123]]></ToUserName><Encrypt><![CDATA[abc+/=]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>';
    expect(parseFlatXml(body)).toEqual({ ToUserName: 'ww123', Encrypt: 'abc+/=', AgentID: '' });
    const inner =
      '<?xml version="1.0"?>\n<xml>\n  <ToUserName><![CDATA[ww123]]></ToUserName>\n  <CreateTime>1348831860</CreateTime>\n' +
      '  <MsgType><![CDATA[event]]></MsgType>\n  <Event>\n    <![CDATA[kf_msg_or_event]]>\n  </Event>\n  <MsgId>18446744073709551615</MsgId>\n</xml>';
    expect(parseFlatXml(inner)).toEqual({
      ToUserName: 'ww123',
      CreateTime: '1348831860',
      MsgType: 'event',
      Event: 'kf_msg_or_event',
      MsgId: '18446744073709551615',
    });
  });

  it('round-trips CDATA with "]]>", entities and nested elements', () => {
    const text = 'a]]>b <c> & "d" 中文 ]]]]>';
    const xml = buildXml({ Content: text, CreateTime: 1409304348, MsgId: 9223372036854775807n, Info: { ScanType: 'qrcode' } });
    expect(parseFlatXml(xml)).toEqual({ Content: text, CreateTime: '1409304348', MsgId: '9223372036854775807', 'Info.ScanType': 'qrcode' });
    expect(parseFlatXml('<xml><A>x &lt;&amp;&gt; &#20320;&#x597D;</A><B/></xml>')).toEqual({ A: 'x <&> 你好', B: '' });
    expect(cdata('x]]>y')).toBe('<![CDATA[x]]]]><![CDATA[>y]]>');
  });

  it('refuses what WeChat never sends', () => {
    const bad = {
      doctype: '<!DOCTYPE xml [<!ENTITY x "boom">]><xml><A>&x;</A></xml>',
      entity: '<xml><A>&x;</A></xml>',
      bareAmp: '<xml><A>a & b</A></xml>',
      duplicate: '<xml><A>1</A><A>2</A></xml>',
      attribute: '<xml><A k="v">1</A></xml>',
      mixed: '<xml><A>text<B>1</B></A></xml>',
      unclosed: '<xml><A>1</A>',
      mismatched: '<xml><A>1</B></xml>',
      trailing: '<xml></xml><xml></xml>',
      comment: '<xml><!-- hi --><A>1</A></xml>',
      rootText: '<xml>hello</xml>',
      empty: '',
      deep: '<xml><A><B><C><D>1</D></C></B></A></xml>',
    };
    for (const [name, xml] of Object.entries(bad)) {
      expect(codeOf(() => parseFlatXml(xml)), name).toMatch(/^XML_(INVALID|UNSUPPORTED)$/);
    }
    expect(codeOf(() => parseFlatXml(`<xml><A>${'x'.repeat(300_000)}</A></xml>`))).toBe('XML_TOO_LARGE');
    expect(codeOf(() => buildXml({ A: 'nul\u0000' }))).toBe('XML_UNSUPPORTED');
    expect(codeOf(() => buildXml({ 'bad name': 'x' }))).toBe('XML_UNSUPPORTED');
    expect(codeOf(() => buildXml({ MsgId: 2 ** 60 }))).toBe('XML_UNSUPPORTED');
  });

  it('keeps an element named __proto__ as data', () => {
    const parsed = parseFlatXml('<xml><__proto__>x</__proto__></xml>');
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('envelopes', () => {
  const crypt = createMsgCrypt(WECOM);

  it('opens a signed callback body and refuses a tampered one', () => {
    const inner = buildXml({ ToUserName: WECOM.receiverId, MsgType: 'event', Event: 'kf_msg_or_event', Token: 'T1', OpenKfId: 'wk1' });
    const sealed = crypt.seal(inner);
    const body = buildCallbackEnvelope(sealed.encrypt, { ToUserName: WECOM.receiverId, AgentID: '' });
    const query = { msg_signature: sealed.signature, timestamp: sealed.timestamp, nonce: sealed.nonce };
    expect(openCallback(crypt, body, query)).toMatchObject({ Event: 'kf_msg_or_event', Token: 'T1', OpenKfId: 'wk1' });
    expect(codeOf(() => openCallback(crypt, body, { ...query, nonce: `${query.nonce}1` }))).toBe('CRYPTO_BAD_SIGNATURE');
    expect(codeOf(() => openCallback(crypt, '<xml><ToUserName>x</ToUserName></xml>', query))).toBe('XML_INVALID');
  });

  it('round-trips a safe-mode passive reply', () => {
    const oa = createMsgCrypt(OA);
    const reply = buildXml({ ToUserName: 'openid1', FromUserName: 'gh_1', CreateTime: 1, MsgType: 'text', Content: '收到' });
    const envelope = buildEncryptedReply(oa, reply);
    expect(Object.keys(parseFlatXml(envelope))).toEqual(['Encrypt', 'MsgSignature', 'TimeStamp', 'Nonce']);
    expect(parseFlatXml(openEncryptedReply(oa, envelope)).Content).toBe('收到');
    expect(codeOf(() => openEncryptedReply(oa, envelope.replace(/<Nonce>.*<\/Nonce>/, '<Nonce>1</Nonce>')))).toBe('CRYPTO_BAD_SIGNATURE');
  });
});
