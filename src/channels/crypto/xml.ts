/**
 * The small XML dialect of WeChat's callbacks and passive replies: one root holding named
 * elements whose text is plain or CDATA, e.g.
 *   <xml><ToUserName><![CDATA[ww…]]></ToUserName><Encrypt><![CDATA[…]]></Encrypt><AgentID>1</AgentID></xml>
 *
 * A strict parser, not a general one: no DTD, entities beyond the five predefined and numeric
 * references, attributes, comments, processing instructions (other than the prolog), mixed
 * content or repeated siblings — a callback carrying any of them is not WeChat's, and a general
 * parser's features (entity expansion above all) are attack surface here. Nested elements (the
 * few events with ScanCodeInfo and the like) flatten to dotted keys: "ScanCodeInfo.ScanType".
 * Values stay strings: a MsgId is a 64-bit integer that a JS number would round.
 */
import { CallbackXmlError } from './errors.ts';

export interface ParseXmlOptions {
  /** Larger inputs are refused before parsing (UTF-8 bytes). Default 256 KiB. */
  maxBytes?: number;
  /** Element nesting allowed below the root. Default 3. */
  maxDepth?: number;
}

const NAME_RE = /[A-Za-z_][A-Za-z0-9_.-]*/y;
const NAME_ONLY_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const WS_RE = /^[ \t\r\n]*$/;
// eslint-disable-next-line no-control-regex -- these are exactly the characters XML 1.0 forbids
const INVALID_CHAR_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

const invalid = (message: string): CallbackXmlError => new CallbackXmlError('XML_INVALID', message);

function decodeText(raw: string): string {
  return raw.replace(/&([^;&\s]{0,10});?/g, (whole, body: string) => {
    if (!whole.endsWith(';')) throw invalid('a bare "&" in text');
    const named = ENTITIES[body];
    if (named !== undefined) return named;
    const num = /^#x([0-9A-Fa-f]{1,6})$/.exec(body) ?? /^#([0-9]{1,7})$/.exec(body);
    if (!num?.[1]) throw invalid(`unknown entity &${body};`);
    const code = Number.parseInt(num[1], body.startsWith('#x') ? 16 : 10);
    if (code > 0x10ffff || code === 0) throw invalid(`invalid character reference &${body};`);
    return String.fromCodePoint(code);
  });
}

class Parser {
  private pos = 0;
  readonly fields = new Map<string, string>();

  constructor(
    private readonly src: string,
    private readonly maxDepth: number,
  ) {}

  parse(): void {
    if (this.src.startsWith('\uFEFF')) this.pos = 1;
    this.skipWs();
    if (this.src.startsWith('<?xml', this.pos)) {
      const end = this.src.indexOf('?>', this.pos);
      if (end < 0) throw invalid('unterminated XML declaration');
      this.pos = end + 2;
      this.skipWs();
    }
    if (this.src[this.pos] !== '<' || /[!?/]/.test(this.src[this.pos + 1] ?? '')) throw invalid('expected the root element');
    this.pos++;
    const root = this.name();
    if (this.openTagEnd()) return;
    this.content(root, '', 0);
    this.skipWs();
    if (this.pos !== this.src.length) throw invalid('content after the root element');
  }

  private skipWs(): void {
    while (this.pos < this.src.length && ' \t\r\n'.includes(this.src[this.pos] as string)) this.pos++;
  }

  private name(): string {
    NAME_RE.lastIndex = this.pos;
    const m = NAME_RE.exec(this.src);
    if (!m) throw invalid(`expected an element name at ${this.pos}`);
    this.pos += m[0].length;
    return m[0];
  }

  /** After an element's name: true for "/>", false for ">"; attributes are refused. */
  private openTagEnd(): boolean {
    this.skipWs();
    if (this.src.startsWith('/>', this.pos)) {
      this.pos += 2;
      return true;
    }
    if (this.src[this.pos] === '>') {
      this.pos++;
      return false;
    }
    throw new CallbackXmlError('XML_UNSUPPORTED', `attributes or a broken tag at ${this.pos}`);
  }

  /** The content of element `name` up to and including its end tag; `path` is its dotted key. */
  private content(name: string, path: string, depth: number): void {
    const texts: { text: string; cdata: boolean }[] = [];
    const children = new Set<string>();
    for (;;) {
      if (this.pos >= this.src.length) throw invalid(`<${name}> is not closed`);
      if (this.src.startsWith('</', this.pos)) {
        this.pos += 2;
        if (this.name() !== name) throw invalid(`mismatched end tag for <${name}>`);
        this.skipWs();
        if (this.src[this.pos] !== '>') throw invalid(`broken end tag for <${name}>`);
        this.pos++;
        break;
      }
      if (this.src.startsWith('<![CDATA[', this.pos)) {
        const end = this.src.indexOf(']]>', this.pos + 9);
        if (end < 0) throw invalid('unterminated CDATA section');
        texts.push({ text: this.src.slice(this.pos + 9, end), cdata: true });
        this.pos = end + 3;
        continue;
      }
      if (this.src.startsWith('<!', this.pos) || this.src.startsWith('<?', this.pos)) {
        throw new CallbackXmlError('XML_UNSUPPORTED', 'DTDs, comments and processing instructions are not accepted');
      }
      if (this.src[this.pos] === '<') {
        this.pos++;
        const child = this.name();
        if (children.has(child)) throw new CallbackXmlError('XML_UNSUPPORTED', `<${child}> appears twice in <${name}>`);
        children.add(child);
        if (depth + 1 > this.maxDepth) throw new CallbackXmlError('XML_UNSUPPORTED', `<${child}> is nested too deeply`);
        const childPath = path ? `${path}.${child}` : child;
        if (this.openTagEnd()) this.fields.set(childPath, '');
        else this.content(child, childPath, depth + 1);
        continue;
      }
      const next = this.src.indexOf('<', this.pos);
      const end = next < 0 ? this.src.length : next;
      texts.push({ text: decodeText(this.src.slice(this.pos, end)), cdata: false });
      this.pos = end;
    }
    const meaningful = texts.filter((t) => t.cdata || !WS_RE.test(t.text));
    if (children.size > 0 || !path) {
      // The root, or an element holding elements: only whitespace may sit between them.
      if (meaningful.length > 0) throw new CallbackXmlError('XML_UNSUPPORTED', `text mixed with elements in <${name}>`);
      return;
    }
    // Whitespace around CDATA sections is layout (pretty-printed XML), not part of the value.
    const value = texts.some((t) => t.cdata) ? meaningful.map((t) => t.text).join('') : texts.map((t) => t.text).join('');
    this.fields.set(path, value);
  }
}

/**
 * Parses a callback body or a decrypted message into { ElementName: text }; nested elements
 * become "Parent.Child". Throws CallbackXmlError (XML_INVALID, XML_TOO_LARGE, XML_UNSUPPORTED).
 */
export function parseFlatXml(xml: string, options: ParseXmlOptions = {}): Record<string, string> {
  const { maxBytes = 256 * 1024, maxDepth = 3 } = options;
  if (Buffer.byteLength(xml, 'utf8') > maxBytes) throw new CallbackXmlError('XML_TOO_LARGE', `the XML is larger than ${maxBytes} bytes`);
  const parser = new Parser(xml, maxDepth);
  parser.parse();
  // fromEntries defines own properties, so an element named "__proto__" cannot reach the prototype.
  return Object.fromEntries(parser.fields);
}

/** Text as a CDATA section; "]]>" inside is split across two sections, as XML requires. */
export function cdata(text: string): string {
  if (INVALID_CHAR_RE.test(text)) throw new CallbackXmlError('XML_UNSUPPORTED', 'the text holds a character XML cannot carry');
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

export type XmlValue = string | number | bigint | XmlFields;
export interface XmlFields {
  [name: string]: XmlValue | undefined;
}

function element(name: string, value: XmlValue): string {
  if (!NAME_ONLY_RE.test(name)) throw new CallbackXmlError('XML_UNSUPPORTED', `"${name}" is not an element name`);
  if (typeof value === 'string') return `<${name}>${cdata(value)}</${name}>`;
  if (typeof value === 'bigint') return `<${name}>${value}</${name}>`;
  if (typeof value === 'number') {
    // Numbers are written bare, as WeChat does for CreateTime, MsgId and AgentID.
    if (!Number.isSafeInteger(value)) throw new CallbackXmlError('XML_UNSUPPORTED', `<${name}>: ${value} is not a safe integer (pass a string or bigint)`);
    return `<${name}>${value}</${name}>`;
  }
  return `<${name}>${children(value)}</${name}>`;
}

function children(fields: XmlFields): string {
  return Object.entries(fields)
    .filter((e): e is [string, XmlValue] => e[1] !== undefined)
    .map(([k, v]) => element(k, v))
    .join('');
}

/** Builds `<root>…</root>`: strings as CDATA, integers bare, objects as nested elements; undefined is left out. */
export function buildXml(fields: XmlFields, root = 'xml'): string {
  return element(root, fields);
}
