import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node } from 'yaml';
import { explainYamlError } from './yaml-errors.ts';

/** A problem inside one file, before the file name is attached. */
export interface LineProblem {
  line: number;
  message: string;
}

export type YamlPath = readonly PropertyKey[];

export interface SplitFile {
  yaml: string;
  /** Answer body: CRLF normalised, leading blank lines and trailing whitespace dropped. */
  body: string;
  /** File line of the first body line (the line after the closing `---`). */
  bodyLine: number;
  /** File line where `body` starts (after the blank lines it drops). */
  answerLine: number;
}

const FENCE = /^---[ \t]*$/;

/** Cuts an entry file into its front matter and body; front matter always starts at file line 2. */
export function splitFrontMatter(text: string): SplitFile | LineProblem {
  const lines = stripBom(text).split(/\r?\n/);
  if (!FENCE.test(lines[0] ?? '')) {
    return { line: 1, message: 'missing front matter: the file must start with a "---" line' };
  }
  const close = lines.findIndex((l, i) => i > 0 && FENCE.test(l));
  if (close < 0) {
    return { line: 1, message: 'front matter is not closed: add a "---" line after it' };
  }
  const rest = lines.slice(close + 1);
  let blank = 0;
  while (blank < rest.length && /^[ \t]*$/.test(rest[blank]!)) blank++;
  const body = rest.slice(blank).join('\n').trimEnd();
  return { yaml: lines.slice(1, close).join('\n'), body, bodyLine: close + 2, answerLine: close + 2 + blank };
}

export const stripBom = (text: string): string => (text.startsWith('\uFEFF') ? text.slice(1) : text);

export interface ParsedYaml {
  doc: Document.Parsed;
  /** The first YAML syntax error, at its file line (empty when the YAML parsed). */
  problems: LineProblem[];
  /**
   * File line for a path into the document: a mapping step lands on the key's line (so a
   * field-level problem points at `alternates:`), a list step on the item's line.
   * When a step is missing it returns the deepest line found so far, or `fallback` (default:
   * the line before the YAML, i.e. the opening `---` of an entry) when the first step is.
   */
  lineOf(path: YamlPath, fallback?: number): number;
}

/** Parses YAML that starts at `firstLine` of its file, keeping real file lines for every node. */
export function parseYaml(source: string, firstLine: number): ParsedYaml {
  const counter = new LineCounter();
  // prettyErrors would embed source-relative line numbers in messages; we add our own.
  const doc = parseDocument(source, { lineCounter: counter, prettyErrors: false });
  const fileLine = (offset: number): number => counter.linePos(offset).line + firstLine - 1;
  const nodeLine = (node: unknown): number | undefined => {
    const range = (node as Node | null | undefined)?.range;
    return range ? fileLine(range[0]) : undefined;
  };

  // Only the first error: after a syntax error the parser's later complaints are mostly echoes of it.
  const first = doc.errors[0];
  const problems = first ? [explainYamlError(source, first, fileLine)] : [];

  const lineOf = (path: YamlPath, fallback = Math.max(1, firstLine - 1)): number => {
    let node: unknown = doc.contents;
    let line = nodeLine(node) ?? fallback;
    for (const [depth, step] of path.entries()) {
      if (depth === 0) line = fallback;
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === step);
        if (!pair) break;
        line = nodeLine(pair.key) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof step === 'number') {
        node = node.items[step];
        line = nodeLine(node) ?? line;
      } else {
        break;
      }
    }
    return line;
  };

  return { doc, problems, lineOf };
}

/**
 * YAML reads `618`, `007` or `1e3` as numbers; in text fields editors mean the words they
 * typed, so numeric scalars under `node` get their source text back.
 */
export function numbersAsWritten(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  visit(node as Node, {
    Scalar(_key, scalar) {
      if (typeof scalar.value === 'number' && typeof scalar.source === 'string') {
        scalar.value = scalar.source;
      }
    },
  });
}
