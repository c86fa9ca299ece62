import type { YAMLError } from 'yaml';

/**
 * A YAML syntax error as an editor can act on it: the line where the mistake is (the parser
 * notices an unclosed "[" or quote only on a later line) and what to do, for the mistakes people
 * make in front matter. Anything else keeps the parser's own words.
 */
export function explainYamlError(source: string, error: YAMLError, line: (offset: number) => number): { line: number; message: string } {
  const at = error.pos[0];
  const lines = source.split('\n');
  const colon = colonMistake(lines);
  if (colon) return { line: line(0) + colon.index, message: colon.message };
  const index = line(at) - line(0);
  const text = lines[index] ?? '';
  const opener = (open: string, close: string): number | undefined => {
    for (let i = Math.min(index, lines.length - 1); i >= 0; i--) if (unbalanced(lines[i]!, open, close)) return i;
    return undefined;
  };
  switch (error.code) {
    case 'BAD_INDENT': {
      const list = /Flow sequence/.test(error.message);
      const map = /Flow map/.test(error.message);
      if (!list && !map) break;
      const [open, close] = list ? ['[', ']'] : ['{', '}'];
      const from = opener(open, close);
      if (from === undefined) break;
      return { line: line(0) + from, message: `"${open}" is not closed: end the ${list ? 'list' : 'map'} with "${close}" on the same line` };
    }
    case 'MISSING_CHAR': {
      if (!/closing .?quote/i.test(error.message)) break;
      const quote = /closing '/.test(error.message) ? "'" : '"';
      const from = opener(quote, quote);
      return { line: line(0) + (from ?? index), message: `a quote (${quote}) is not closed on its line: close it, or leave the quotes out` };
    }
    case 'DUPLICATE_KEY': {
      const key = /^\s*(?:-\s+)?([^:#]+?)\s*:/.exec(text)?.[1];
      return { line: line(at), message: `${key ? `"${key}"` : 'a field'} is given twice: keep one` };
    }
    case 'TAB_AS_INDENT':
      return { line: line(at), message: 'indent with spaces, not tabs' };
    case 'BLOCK_AS_IMPLICIT_KEY':
      if (/compact mappings/.test(error.message)) {
        return { line: line(at), message: 'a value with ": " in it needs quotes, e.g. question: "价格: 多少" (or use the full-width ：)' };
      }
      return { line: line(at), message: 'this line is not lined up with the ones above it: give list items ("- ") the same indent' };
    default:
      break;
  }
  return { line: line(at), message: `YAML syntax error: ${error.message}` };
}

/**
 * A field name with a full-width colon ("question：…") or none of the space YAML needs after it
 * ("question:…"): the line is read as text, not as a field, and the parser complains elsewhere.
 */
export function colonMistake(lines: readonly string[]): { index: number; message: string } | undefined {
  for (const [index, text] of lines.entries()) {
    const m = /^([A-Za-z_][\w-]*)[ \t]*(：|:(?=[^\s]))/.exec(text);
    if (!m) continue;
    const [, key, mark] = m;
    // "http://…" and "a:b" inside a value are not field names at the start of a line.
    if (mark === ':' && /^\/\//.test(text.slice(m[0].length))) continue;
    return {
      index,
      message:
        mark === '：'
          ? `"${key}" needs an ASCII colon and a space: "${key}: …" (the full-width "：" is read as text)`
          : `"${key}:" needs a space after the colon: "${key}: …"`,
    };
  }
  return undefined;
}

/** Whether `text` opens `open` and does not close it (outside quotes; a quote pair when open === close). */
function unbalanced(text: string, open: string, close: string): boolean {
  const body = text.replace(/\s#.*$/, '');
  if (open === close) return (body.split(open).length - 1) % 2 === 1;
  let depth = 0;
  let quote: string | null = null;
  for (const ch of body) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === open) depth++;
    else if (ch === close) depth--;
  }
  return depth > 0;
}
