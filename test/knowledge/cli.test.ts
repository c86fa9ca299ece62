/**
 * The `kb` command line, run as a real child process (`node --import tsx src/knowledge/cli/main.ts`).
 * Each spawn costs about a second, so every test runs the CLI once and checks all it can.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKnowledgeBase } from '../../src/knowledge/loader.ts';
import { entry, makeTree, removeTrees } from '../helpers/kb-tree.ts';
import { runNode, type Run } from '../helpers/run.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join('src', 'knowledge', 'cli', 'main.ts');
const NOTES_KB = path.resolve(ROOT, '..', 'shared', 'eval', 'notes-app', 'kb');

/** Runs `kb <args>` from the repo root, feeding `input` on stdin. */
function kb(args: string[], input = ''): Promise<Run> {
  return runNode(['--import', 'tsx', CLI, ...args], { cwd: ROOT, input });
}

const lines = (s: string): string[] => s.split('\n').slice(0, -1);

/** Two broken entries (file order: a, b) and one good one. */
const BROKEN = {
  'a-missing.md': entry('tags: [x]'),
  'b-yaml.md': '---\nquestion: 断了\n\nkeywords: [x]]\n---\nbody\n',
  'c-good.md': entry('question: 好的'),
  '_replies.yml': '稍等: 好的，请稍等\n空的:\n',
};
let broken: string;

beforeAll(async () => {
  broken = await makeTree(BROKEN);
});
afterAll(removeTrees);

describe('kb command line', { timeout: 60_000 }, () => {
  it('lint on the product knowledge base: exit 0 and a one-line summary', async () => {
    const { entries } = await loadKnowledgeBase(path.join(ROOT, 'knowledge-base'));
    const r = await kb(['lint']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
    expect(r.stdout).toMatch(new RegExp(`^knowledge-base: ok — ${entries.length} entries, \\d+ alternates.*, \\d+ reply templates$`, 'm'));
  });

  it('lint on a broken tree: exit 1 and one path:line: message per problem, in file order', async () => {
    const r = await kb(['lint', '--kb', broken]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(new RegExp(`^${escape(path.join(broken, 'a-missing.md'))}:\\d+: .*"question"`));
    expect(out[1]).toMatch(new RegExp(`^${escape(path.join(broken, 'b-yaml.md'))}:4: YAML syntax error`));
    // The agents' reply templates are checked too.
    expect(out[2]).toBe(`${path.join(broken, '_replies.yml')}:2: "空的" must not be empty`);
  });

  it('ask --json: one JSON line per input line, in order, and nothing else on stdout', async () => {
    const questions = ['录屏没有声音怎么办', '', '今天天气怎么样', '会员怎么退款', '  录屏 没声音  ', 'how do I export'];
    // CRLF line endings, and the last line without a line break.
    const r = await kb(['ask', '--json'], questions.join('\r\n'));
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(questions.length);
    const results = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    results.forEach((res, i) => {
      expect(Object.keys(res).sort()).toEqual(['candidates', 'decision', 'id', 'q', 'score']);
      expect(res.q).toBe(questions[i]);
      expect(['answer', 'suggest', 'handoff']).toContain(res.decision);
      expect(typeof res.id).toBe('string'); // the knowledge base is not empty
      expect(res.score).toBeTypeOf('number');
      expect(res.score).toBeGreaterThanOrEqual(0);
      expect(res.score).toBeLessThanOrEqual(1);
      expect(Array.isArray(res.candidates)).toBe(true);
      const candidates = res.candidates as unknown[];
      expect(candidates.length).toBeLessThanOrEqual(3);
      for (const c of candidates) expect(c).toBeTypeOf('string');
    });
    expect(results[0]).toMatchObject({ decision: 'answer', id: 'no-sound' });
    expect(results[2]!.decision).not.toBe('answer');
  });

  it('ask --json works on a knowledge base it has never seen', async () => {
    const { entries } = await loadKnowledgeBase(NOTES_KB);
    const ids = entries.map((e) => e.id);
    const questions = ['如何把笔记导出成 PDF？', '同步怎么开'];
    const r = await kb(['ask', '--kb', path.relative(ROOT, NOTES_KB), '--json'], `${questions.join('\n')}\n`);
    expect(r.code).toBe(0);
    const results = lines(r.stdout).map((l) => JSON.parse(l) as { q: string; decision: string; id: string; candidates: string[] });
    expect(results.map((x) => x.q)).toEqual(questions);
    for (const x of results) {
      expect(ids).toContain(x.id);
      for (const c of x.candidates) expect(ids).toContain(c);
    }
    // An entry's own question, verbatim, is the obvious case.
    expect(results[0]!.id).toBe('export-pdf');
  });

  it('ask "question": the decision, the best entry and the answer as WeChat shows it', async () => {
    const r = await kb(['ask', '录屏没有声音怎么办']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('decision: answer');
    expect(r.stdout).toContain('no-sound');
    expect(r.stdout).toContain('--- WeChat message');
    // From the answer body: **音频** is rendered without the markdown.
    expect(r.stdout).toContain('在主界面点 音频 图标');
    expect(r.stdout).not.toContain('**');
  });

  it('eval: rates with percentages and a latency line', async () => {
    const r = await kb(['eval', '--cases', 'test/cases/kb-cases.jsonl']);
    expect(r.code).toBe(0);
    for (const label of ['correct answer', 'wrong answer', 'out-of-scope answered', 'helpful']) {
      expect(r.stdout).toMatch(new RegExp(`^${label}:\\s+\\d+\\.\\d%\\s+\\(\\d+/\\d+`, 'm'));
    }
    expect(r.stdout).toMatch(/^latency: p50 \d+(\.\d+)? ms, p99 \d+(\.\d+)? ms$/m);
  });

  describe('usage errors exit 2', () => {
    it('unknown command', async () => {
      const r = await kb(['frobnicate']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('unknown command "frobnicate"');
      expect(r.stderr).toContain('usage:');
    });

    it('eval without --cases', async () => {
      const r = await kb(['eval']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('--cases');
    });

    it('a threshold outside 0..1', async () => {
      const r = await kb(['ask', '--answer', '2', '录屏没有声音怎么办']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('--answer must be a number from 0 to 1');
    });
  });

  it('ask --json on a broken knowledge base: exit 1, problems on stderr, nothing on stdout', async () => {
    const r = await kb(['ask', '--kb', broken, '--json'], '录屏没有声音怎么办\n');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${path.join(broken, 'a-missing.md')}:`);
    expect(r.stderr).toContain(`${path.join(broken, 'b-yaml.md')}:4: YAML syntax error`);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
