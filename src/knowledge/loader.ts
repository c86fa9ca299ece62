/**
 * The FAQ's load: every entry file of the tree (markdown with front matter), the matcher's extras
 * (extras.ts) and the checks across files, in one pass that either yields the whole knowledge base
 * or every problem (nothing is half-loaded). The other editor files (`_messages.yml`,
 * `_replies.yml`) are parts of their own (editor-files.ts): a broken one never blocks the FAQ.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { CORE_SCHEMA, load as loadYamlFast } from 'js-yaml';
import { isMap } from 'yaml';
import type { Document } from 'yaml';
import type { z } from 'zod';
import { KnowledgeBaseInvalidError } from './errors.ts';
import { errText, readText } from './files.ts';
import { numbersAsWritten, parseYaml, splitFrontMatter } from './frontmatter.ts';
import type { LineProblem, SplitFile, YamlPath } from './frontmatter.ts';
import { readExtras } from './extras.ts';
import { entryId, frontMatterSchema, issueProblems, KNOWN_FIELDS } from './schema.ts';
import { lineAt, unsafeText } from './safe-text.ts';
import { colonMistake } from './yaml-errors.ts';
import type { FaqEntry, KbProblem, KnowledgeBase } from './types.ts';

/** An entry file's parse result plus the lines the cross-file checks need to point at. */
interface ParsedEntry {
  file: string;
  entry?: FaqEntry;
  problems: KbProblem[];
  /** The id this file claims even when broken, so `related` does not also flag it as unknown. */
  claimedId: string;
  lines: { id: number; menu: number; related: number[] };
}

const TEXT_FIELDS = ['question', 'id', 'alternates', 'keywords', 'tags', 'related'];
/** An answer that starts with a front-matter field: a second "---" ended the front matter early. */
const FIELD_IN_BODY = /^(question|alternates|keywords|tags|id|menu|related)[ \t]*[:：]/;

const fieldLabel = (p: YamlPath): string =>
  p.length === 0 ? 'front matter' : `"${String(p[0])}"${typeof p[1] === 'number' ? ` item ${p[1] + 1}` : ''}`;

function parseEntry(file: string, text: string): ParsedEntry {
  const split = splitFrontMatter(text);
  if (!('message' in split)) {
    const fast = parseValidEntry(file, text, split);
    if (fast) return fast;
  }
  return parseEntryWithLines(file, split);
}

/**
 * The fast path for the common case, a valid file: js-yaml reads small documents several times
 * faster than the \`yaml\` library's document model, which only earns its cost when a problem
 * needs a line number. Anything unusual (a number in a text field, a schema problem, a YAML
 * error) falls back to the full parse; the cross-file checks ask for lines only on a problem.
 */
function parseValidEntry(file: string, text: string, split: SplitFile): ParsedEntry | undefined {
  let raw: unknown;
  try {
    raw = loadYamlFast(split.yaml, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const fields = raw as Record<string, unknown>;
  // YAML reads "id: 007" as 7; only the full parse can recover the text as written.
  for (const key of TEXT_FIELDS) {
    const v = fields[key];
    if (typeof v === 'number' || (Array.isArray(v) && v.some((x) => typeof x !== 'string'))) return undefined;
  }
  const parsed = frontMatterSchema.safeParse(raw);
  if (!parsed.success || !split.body || unsafeText(split.body) || FIELD_IN_BODY.test(split.body)) return undefined;
  const fromName = path.posix.basename(file).replace(/\.md$/i, '');
  const fm = parsed.data;
  const id = fm.id ?? fromName;
  if ((fm.id === undefined && !entryId.safeParse(fromName).success) || fm.related.includes(id)) return undefined;
  const related = [...new Set(fm.related)];
  let lines: ParsedEntry['lines'] | undefined;
  return {
    file,
    problems: [],
    claimedId: id,
    entry: buildEntry(fm, id, related, split.body, file),
    get lines() {
      lines ??= parseEntryWithLines(file, split).lines;
      return lines;
    },
  };
}

function buildEntry(fm: z.infer<typeof frontMatterSchema>, id: string, related: string[], answer: string, file: string): FaqEntry {
  const extra = Object.fromEntries(Object.entries(fm).filter(([k]) => !KNOWN_FIELDS.has(k)));
  const entry: FaqEntry = {
    id,
    question: fm.question,
    alternates: fm.alternates.filter((a) => a !== fm.question),
    keywords: fm.keywords,
    tags: fm.tags,
    category: fm.tags[0] ?? 'uncategorized',
    related,
    answer,
    file,
    extra,
  };
  if (fm.menu !== undefined) entry.menu = fm.menu;
  return entry;
}

function parseEntryWithLines(file: string, split: SplitFile | LineProblem): ParsedEntry {
  const fromName = path.posix.basename(file).replace(/\.md$/i, '');
  const out: ParsedEntry = { file, problems: [], claimedId: fromName, lines: { id: 1, menu: 1, related: [] } };
  const report = (p: LineProblem): void => void out.problems.push({ file, ...p });

  if ('message' in split) {
    report(split);
    return out;
  }
  const { doc, lineOf, problems: yamlProblems } = parseYaml(split.yaml, 2);
  yamlProblems.forEach(report);
  // A file whose YAML does not parse still names its id: other entries' "related" may name it.
  const written = /^id[ \t]*:[ \t]*["']?([^\s"'#]+)/m.exec(split.yaml)?.[1];
  if (written) out.claimedId = written;
  if (doc.contents !== null && !isMap(doc.contents) && yamlProblems.length === 0) {
    const colon = colonMistake(split.yaml.split('\n'));
    report(colon ? { line: 2 + colon.index, message: colon.message } : { line: lineOf([]), message: 'front matter must be "key: value" lines' });
  }
  if (out.problems.length > 0) return out;
  for (const key of TEXT_FIELDS) numbersAsWritten(doc.get(key, true));
  const raw: unknown = toJS(doc) ?? {};

  const claimed = (raw as Record<string, unknown>).id;
  if (typeof claimed === 'string' && claimed.trim()) out.claimedId = claimed.trim();

  const parsed = frontMatterSchema.safeParse(raw);
  if (!parsed.success) issueProblems(parsed.error, lineOf, fieldLabel).forEach(report);
  if (!split.body) report({ line: split.bodyLine, message: 'answer is empty: write it below the closing "---"' });
  const stray = FIELD_IN_BODY.exec(split.body);
  if (stray) {
    report({
      line: split.answerLine,
      message: `"${stray[1]}:" is in the answer: the front matter ended at line ${split.bodyLine - 1} ("---"); remove that "---" or move the line above it`,
    });
  }
  const unsafe = unsafeText(split.body);
  if (unsafe) report({ line: lineAt(split.body, unsafe.index, split.answerLine), message: `the answer ${unsafe.message}` });
  if (!parsed.success) return out;

  const fm = parsed.data;
  if (fm.id === undefined && !entryId.safeParse(fromName).success) {
    report({ line: 1, message: `id "${fromName}" from the file name must not contain whitespace: rename the file or set "id:"` });
  }
  const id = fm.id ?? fromName;
  out.lines.id = fm.id === undefined ? 1 : lineOf(['id']);
  out.lines.menu = lineOf(['menu']);

  const related: string[] = [];
  fm.related.forEach((r, i) => {
    const line = lineOf(['related', i]);
    if (r === id) {
      report({ line, message: `"related" names the entry itself ("${id}")` });
    } else if (!related.includes(r)) {
      related.push(r);
      out.lines.related.push(line);
    }
  });
  if (out.problems.length > 0) return out;
  out.entry = buildEntry(fm, id, related, split.body, file);
  return out;
}

/** Parses one entry file's text; `relPath` is the file relative to the root, forward slashes. */
export function parseEntryFile(relPath: string, text: string): { entry?: FaqEntry; problems: KbProblem[] } {
  const { entry, problems } = parseEntry(relPath, text);
  problems.sort((a, b) => a.line - b.line);
  return entry ? { entry, problems } : { problems };
}

function toJS(doc: Document.Parsed): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch {
    return undefined; // only alias abuse gets here; the schema then reports the missing fields
  }
}

const isEntryFile = (rel: string): boolean => {
  const name = path.posix.basename(rel);
  return /\.md$/i.test(name) && !/^readme\.md$/i.test(name) && !name.startsWith('_');
};

/** Sorted relative paths of all files; dot-entries (editor locks, .git) and node_modules skipped. */
async function listFiles(root: string, problems: KbProblem[]): Promise<string[]> {
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let dirents;
    try {
      dirents = await readdir(path.join(root, rel), { withFileTypes: true });
    } catch (err) {
      return void problems.push({ file: rel || '.', line: 1, message: `cannot read directory: ${errText(err)}` });
    }
    for (const d of dirents) {
      if (d.name.startsWith('.') || d.name === 'node_modules') continue;
      const child = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) await walk(child);
      else files.push(child);
    }
  };
  await walk('');
  return files.sort(byPath);
}

const byPath = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** Checks that need the whole tree: unique ids and menu positions, `related` targets. */
function crossCheck(parsed: ParsedEntry[], problems: KbProblem[], unread: readonly string[]): void {
  const byId = new Map<string, ParsedEntry>();
  const byMenu = new Map<number, ParsedEntry>();
  // Both places of a duplicate are reported: either may be the one to change.
  const twice = (a: ParsedEntry, b: ParsedEntry, lineOf: (p: ParsedEntry) => number, what: string): void => {
    for (const [here, there] of [[a, b], [b, a]] as const) {
      const see = { file: there.file, line: lineOf(there) };
      problems.push({ file: here.file, line: lineOf(here), message: `${what} (also in ${see.file}:${see.line})`, see });
    }
  };
  for (const p of parsed) {
    if (!p.entry) continue;
    const { id, menu } = p.entry;
    const first = byId.get(id);
    if (first) twice(first, p, (e) => e.lines.id, `duplicate id "${id}"`);
    else byId.set(id, p);
    if (menu === undefined) continue;
    const other = byMenu.get(menu);
    if (other) twice(other, p, (e) => e.lines.menu, `menu ${menu} is used twice`);
    else byMenu.set(menu, p);
  }
  const claimed = new Set([...parsed.map((p) => p.claimedId), ...unread]);
  for (const p of parsed) {
    p.entry?.related.forEach((r, i) => {
      if (!claimed.has(r)) problems.push({ file: p.file, line: p.lines.related[i] ?? 1, message: `"related" names unknown id "${r}"` });
    });
  }
}

/** Loads and checks the whole tree; `kb` is null when there is any problem (nothing is half-loaded). */
/**
 * `kb` when the tree has no problems; `entries` are the entries that parse either way (a console
 * edit of a sound file may go ahead while another file is broken: edit-write.ts).
 */
export async function lintKnowledgeBase(root: string): Promise<{ kb: KnowledgeBase | null; problems: KbProblem[]; entries: FaqEntry[] }> {
  const abs = path.resolve(root);
  const rootStat = await stat(abs).catch(() => null);
  if (!rootStat?.isDirectory()) {
    const message = rootStat ? `not a directory: ${abs}` : `knowledge base directory not found: ${abs}`;
    return { kb: null, problems: [{ file: '.', line: 1, message }], entries: [] };
  }

  const problems: KbProblem[] = [];
  const files = await listFiles(abs, problems);
  const parsed: ParsedEntry[] = [];
  const texts = files.filter(isEntryFile).map((f) => [f, readText(abs, f)] as const);
  /** Ids of files that could not be read (their file names): "related" may name them. */
  const unread: string[] = [];
  for (const [file, text] of texts) {
    if (text === null) continue;
    if (typeof text === 'string') parsed.push(parseEntry(file, text));
    else {
      problems.push({ file, ...text });
      unread.push(path.posix.basename(file).replace(/\.md$/i, ''));
    }
  }
  problems.push(...parsed.flatMap((p) => p.problems));
  const extras = readExtras(abs, files.filter((f) => !f.includes('/')), problems);
  crossCheck(parsed, problems, unread);

  problems.sort((a, b) => byPath(a.file, b.file) || a.line - b.line);
  const entries = parsed.flatMap((p) => (p.entry ? [p.entry] : []));
  if (problems.length > 0) return { kb: null, problems, entries };
  return { kb: { root: abs, entries, extras, loadedAt: Date.now() }, problems, entries };
}

/** Loads the tree or throws KnowledgeBaseInvalidError listing every problem. */
export async function loadKnowledgeBase(root: string): Promise<KnowledgeBase> {
  const { kb, problems } = await lintKnowledgeBase(root);
  if (!kb) throw new KnowledgeBaseInvalidError(problems);
  return kb;
}
