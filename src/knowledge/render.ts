/**
 * FAQ answers are written in Markdown, but WeChat shows plain text only and caps the size of a
 * message: render an answer to readable plain text and split it into sendable messages.
 */
import { Lexer, getDefaults } from 'marked';
import type { MarkedToken, Token, Tokens } from 'marked';

export const WECHAT_MAX_MESSAGE_BYTES = 2000;

export function renderAnswer(markdown: string, opts?: { maxBytes?: number }): string[] {
  return splitMessages(renderPlainText(markdown), opts?.maxBytes ?? WECHAT_MAX_MESSAGE_BYTES);
}

export function renderPlainText(markdown: string): string {
  // Fresh defaults so that a marked.use() elsewhere in the process cannot change our output.
  const tokens = new Lexer(getDefaults()).lex(markdown);
  return renderBlocks(tokens)
    .join('\n\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function renderBlocks(tokens: Token[]): string[] {
  return tokens.map(renderBlock).filter((block) => block.trim() !== '');
}

function renderBlock(token: Token): string {
  const t = token as MarkedToken;
  switch (t.type) {
    case 'paragraph':
      return inline(t.tokens);
    case 'heading': {
      const title = inline(t.tokens).trim();
      return title && `【${title}】`;
    }
    case 'code':
      return t.text;
    case 'blockquote':
      return renderBlocks(t.tokens).join('\n\n');
    case 'list':
      return renderList(t);
    case 'table':
      return [t.header, ...t.rows]
        .map((row) => row.map((cell) => inline(cell.tokens).trim()).join(' | '))
        .join('\n');
    case 'space':
    case 'hr':
    case 'def':
      return '';
    default:
      // Block-level `text` (tight list items) and `html` render the same as inline.
      return renderInline(token);
  }
}

function renderList(list: Tokens.List): string {
  const start = list.start === '' ? 1 : list.start;
  return list.items
    .map((item, i) => {
      const box = item.task ? (item.checked ? '☑ ' : '☐ ') : '';
      const marker = (list.ordered ? `${start + i}. ` : '• ') + box;
      // Loose and tight items alike: one line per item, nested content indented under it.
      const [first = '', ...rest] = renderBlocks(item.tokens).join('\n').split('\n');
      return [marker + first, ...rest.map((line) => `  ${line}`)].join('\n');
    })
    .join('\n');
}

const EMPHASIS = new Set(['strong', 'em', 'del']);
const HAN_THEN_SPACE = /\p{Script=Han} $/u;
const HAN_FIRST = /^\p{Script=Han}/u;

/**
 * Editors put spaces around emphasis between Chinese words so Markdown sees it ("开通 **会员** 后");
 * WeChat shows no bold, and Chinese has no spaces between words: those spaces go ("开通会员后"), and
 * a bold menu path is quoted instead ("在「我的 → 订单记录」找到").
 */
function inline(tokens: Token[] | undefined): string {
  let out = '';
  let afterEmphasis = false;
  for (const token of tokens ?? []) {
    let piece = renderInline(token);
    const emphasis = EMPHASIS.has(token.type);
    if (emphasis && HAN_FIRST.test(piece) && HAN_THEN_SPACE.test(out)) {
      out = out.slice(0, -1);
      // A menu path keeps its bounds in quotes, as Chinese help text writes them: 在「我的 → 订单记录」找到.
      if (/[ →>]/u.test(piece)) piece = `「${piece}」`;
    }
    if (!emphasis && afterEmphasis && /^ \p{Script=Han}/u.test(piece)) piece = piece.slice(1);
    afterEmphasis = emphasis && /[\p{Script=Han}」]$/u.test(piece);
    out += piece;
  }
  return out;
}

function renderInline(token: Token): string {
  const t = token as MarkedToken;
  switch (t.type) {
    case 'text':
      return t.tokens ? inline(t.tokens) : plainText(t.text);
    case 'escape':
    case 'codespan':
      return t.text;
    case 'br':
      return '\n';
    case 'strong':
    case 'em':
    case 'del':
      return inline(t.tokens);
    case 'link': {
      // Autolinks and bare urls are literal in the source: show them exactly as written.
      if (t.autolink) return t.text;
      const href = decodeEntities(t.href).replace(/^mailto:/i, '');
      const text = inline(t.tokens).trim();
      return !text || text === href ? href : `${text}: ${href}`;
    }
    case 'image': {
      const alt = inline(t.tokens).trim();
      const href = decodeEntities(t.href);
      return alt ? `[图片] ${alt}: ${href}` : `[图片] ${href}`;
    }
    case 'html':
      return stripHtml(t.text);
    case 'checkbox':
      return ''; // shown by renderList next to the item marker
    default: {
      const generic = token as Tokens.Generic;
      return generic.tokens ? inline(generic.tokens) : decodeEntities(String(generic.text ?? ''));
    }
  }
}

function plainText(text: string): string {
  return (
    decodeEntities(text)
      // CommonMark keeps the indentation of soft-wrapped lines; we keep the line break only.
      .replace(/\n[ \t]+/g, '\n')
      // CommonMark's flanking rules reject `**“退款”**提交` (punctuation inside, CJK outside), which
      // editors write all the time; a pair left in plain text is still meant as emphasis.
      .replace(/(\*\*|~~)(?=\S)([^\n]*?\S)\1/g, '$2')
  );
}

function stripHtml(html: string): string {
  return decodeEntities(
    html
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, '')
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/?[a-z][^>]*>|<[!?][^>]*>/gi, ''),
  );
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ensp: ' ', emsp: ' ',
  copy: '©', reg: '®', trade: '™', hellip: '…', mdash: '—', ndash: '–', middot: '·', bull: '•',
  yen: '¥', times: '×', divide: '÷', deg: '°', plusmn: '±', larr: '←', rarr: '→',
  ldquo: '“', rdquo: '”', lsquo: '‘', rsquo: '’', laquo: '«', raquo: '»',
};

function decodeEntities(text: string): string {
  return text.replace(/&(?:#(\d{1,7})|#[xX]([\da-fA-F]{1,6})|([a-zA-Z][a-zA-Z\d]*));/g, (match, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED_ENTITIES[name] ?? match;
    const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
    const valid = cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
    return valid ? String.fromCodePoint(cp) : '\uFFFD';
  });
}

// ---------------------------------------------------------------------------------------------
// Splitting into messages

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Closing quotes/brackets stay with the sentence they end, so no message starts with `”`. */
const AFTER_SENTENCE = /(?<=[。！？!?；;][”’」』）)\]"']*)(?![。！？!?；;”’」』）)\]"'])/u;

/** From coarse to fine: each level only applies to pieces still too long after the previous one. */
const LEVELS: ReadonlyArray<{ split: (text: string) => string[]; sep: string }> = [
  { split: (text) => text.split(/\n[ \t]*(?:\n[ \t]*)+/), sep: '\n\n' },
  { split: (text) => text.split('\n'), sep: '\n' },
  { split: (text) => text.split(AFTER_SENTENCE), sep: '' },
  // Not in the brief's list, but cutting at a space keeps urls and latin words whole.
  { split: (text) => text.split(/(?<=\s)(?=\S)/u), sep: '' },
];

const graphemes = new Intl.Segmenter('zh', { granularity: 'grapheme' });

export function splitMessages(text: string, maxBytes: number = WECHAT_MAX_MESSAGE_BYTES): string[] {
  // Below 4 bytes a single code point might not fit anywhere.
  if (!Number.isInteger(maxBytes) || maxBytes < 4) throw new RangeError(`maxBytes must be an integer >= 4, got ${maxBytes}`);
  return splitAt(text.replace(/\r\n?/g, '\n').trim(), 0, maxBytes)
    .map((message) => message.trim())
    .filter((message) => message !== '');
}

function splitAt(text: string, level: number, maxBytes: number): string[] {
  if (bytes(text) <= maxBytes) return [text];
  const step = LEVELS[level];
  if (!step) return hardSplit(text, maxBytes);
  const pieces = step.split(text).flatMap((piece) => splitAt(piece, level + 1, maxBytes));
  return pack(pieces, step.sep, maxBytes);
}

/**
 * Greedily joins pieces while they fit. Pieces that came from splitting one over-long piece
 * never re-merge here: they were packed greedily with a separator no longer than this one.
 */
function pack(pieces: string[], sep: string, maxBytes: number): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const piece of pieces) {
    if (current !== undefined && bytes(current) + bytes(sep) + bytes(piece) <= maxBytes) {
      current += sep + piece;
    } else {
      if (current !== undefined) out.push(current);
      current = piece;
    }
  }
  if (current !== undefined) out.push(current);
  return out;
}

function hardSplit(text: string, maxBytes: number): string[] {
  const units = Array.from(graphemes.segment(text), ({ segment }) =>
    // A grapheme bigger than a whole message (long emoji ZWJ chains…) has to give way to code points.
    bytes(segment) <= maxBytes ? [segment] : Array.from(segment),
  ).flat();
  return pack(units, '', maxBytes);
}
