/**
 * Which characters editors' text may hold: everything in the knowledge base can end up in a
 * customer's WeChat (answers, questions in menus, phrases) or in an editor's screen. A NUL once
 * went out to a customer, and an alternate of zero-width spaces looks like a blank line to every
 * reviewer while it matches nothing. The FAQ loader, the phrase and reply files, `kb lint` and the
 * console's knowledge edits all use this one rule, so they can never disagree.
 */

/**
 * C0 and C1 controls and DEL, except tab and line feed (text may be multi-line and indented).
 * A carriage return is refused too: files are split on CRLF before this runs, and the console's
 * edits turn CRLF into LF, so one that is left is a stray character the customer would see.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/u;

/** A surrogate half without its partner: not a character at all (JSON and YAML escapes make them). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Characters that show nothing by themselves: Unicode's format characters (zero-width space and
 * joiners U+200B-U+200D, direction marks U+200E/U+200F, word joiner U+2060, BOM U+FEFF, bidi
 * embeddings and isolates U+202A-U+202E and U+2066-U+2069, soft hyphen, …) and white space.
 * They are fine inside words (an emoji sequence needs its joiners); text made only of them is not.
 */
const INVISIBLE = /[\p{Cf}\p{White_Space}]/gu;

export interface UnsafeText {
  /** UTF-16 offset of the offending character (0 for text that is all invisible). */
  index: number;
  /** Predicate for a problem message: `"alternates" item 2 ${message}`. */
  message: string;
}

const codePoint = (ch: string): string => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Why `text` must not be used as it is, or undefined when it is fine. Empty text is left to the
 * callers' own "must not be empty" rule.
 */
export function unsafeText(text: string): UnsafeText | undefined {
  const control = CONTROL.exec(text);
  if (control) return { index: control.index, message: `contains a control character (${codePoint(control[0])}): remove it` };
  const lone = LONE_SURROGATE.exec(text);
  if (lone) return { index: lone.index, message: `contains a broken character (lone surrogate ${codePoint(lone[0])}): remove it` };
  if (text.length > 0 && text.replace(INVISIBLE, '') === '') {
    return { index: 0, message: 'has only invisible characters (zero-width spaces, direction marks): write visible text' };
  }
  return undefined;
}

/** 1-based line of `index` in `text`, counting from `firstLine`. */
export function lineAt(text: string, index: number, firstLine: number): number {
  let line = firstLine;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
