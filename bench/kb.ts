/**
 * npm run bench:kb — matching latency and load time at 10, 100 and 1,000 entries, beside
 * plain Fuse.js over the same entries and questions in the same run; an oversized message (20,000
 * characters: only the first MAX_QUERY_CHARS are read) and grouping 3,000 unanswered questions for
 * the editors' gaps page, on the project's knowledge base.
 *
 * BENCH_KB_FUSE_QUESTIONS=N times Fuse.js on the first N questions only (default all 1,000): at
 * 1,000 entries plain Fuse.js takes some 100 ms a question, minutes for the whole set.
 * Targets (issue 1): p99 <= 0.5 ms per question at 1,000 entries, load <= 1 s.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import Fuse from 'fuse.js';
import { groupGaps, loadKnowledgeBase, Matcher, percentile, warmUp } from '../src/knowledge/index.ts';
import { atMost, reporter } from './report.ts';
import { syntheticKb } from './synthetic-kb.ts';

const KB_DIR = path.resolve(import.meta.dirname, '../knowledge-base');
const FUSE_QUESTIONS = Number(process.env.BENCH_KB_FUSE_QUESTIONS ?? 1000);
const report = reporter('kb');

function timeEach(questions: string[], f: (q: string) => unknown): number[] {
  for (const q of questions) f(q); // warm-up: JIT and lazily built caches, as in a running bot
  const times = questions.map((q) => {
    const t0 = performance.now();
    f(q);
    return performance.now() - t0;
  });
  return times.sort((a, b) => a - b);
}

const fmt = (ms: number): string => `${ms.toFixed(3)} ms`;

const t0 = performance.now();
warmUp();
const initMs = performance.now() - t0;
console.log(`shared init (jieba dictionary + general IDF, once per process): ${fmt(initMs)}`);
report('shared init (jieba + IDF)', initMs, 'ms');
console.log('');
console.log('entries | load (read + lint + compile) | kb-bridge p50 | p99     | Fuse.js p50 | p99');
console.log('--------|------------------------------|---------------|---------|-------------|--------');
for (const size of [10, 100, 1000]) {
  const { dir, questions } = syntheticKb(size);
  try {
    const l0 = performance.now();
    const kb = await loadKnowledgeBase(dir);
    const matcher = new Matcher(kb);
    const loadMs = performance.now() - l0;
    const ours = timeEach(questions, (q) => matcher.match(q));
    const fuse = new Fuse(kb.entries, { keys: ['question', 'alternates', 'keywords'], includeScore: true });
    const theirs = timeEach(questions.slice(0, FUSE_QUESTIONS), (q) => fuse.search(q, { limit: 3 }));
    report(`load ${size} entries`, loadMs, 'ms', size === 1000 ? atMost(loadMs, 1000, 'ms') : undefined);
    report(`kb-bridge p50 @ ${size} entries`, percentile(ours, 50), 'ms');
    report(`kb-bridge p99 @ ${size} entries`, percentile(ours, 99), 'ms', size === 1000 ? atMost(percentile(ours, 99), 0.5, 'ms') : undefined);
    report(`Fuse.js p50 @ ${size} entries (${theirs.length} questions)`, percentile(theirs, 50), 'ms');
    report(`Fuse.js p99 @ ${size} entries (${theirs.length} questions)`, percentile(theirs, 99), 'ms');
    console.log(
      [
        String(size).padStart(7),
        fmt(loadMs).padStart(28),
        fmt(percentile(ours, 50)).padStart(13),
        fmt(percentile(ours, 99)).padStart(7),
        fmt(percentile(theirs, 50)).padStart(11),
        fmt(percentile(theirs, 99)).padStart(7),
      ].join(' | '),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log('');
console.log(
  `questions: 1,000 per size (about 1 in 5 out of scope)${FUSE_QUESTIONS < 1000 ? `, Fuse.js timed on the first ${FUSE_QUESTIONS}` : ''}; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
);
report('rss', process.memoryUsage().rss / 2 ** 20, 'MB');

// The project's knowledge base: an oversized message, and the gaps page's grouping.
{
  const matcher = new Matcher(await loadKnowledgeBase(KB_DIR));
  const oversized = timeEach([`录屏没有声音怎么办${'真的很着急'.repeat(4000)}`], (q) => matcher.match(q));
  console.log(`oversized message (20,009 characters): ${fmt(oversized[0]!)}`);
  report('oversized message (20,009 characters)', oversized[0]!, 'ms', atMost(oversized[0]!, 200, 'ms'));
  const words = ['导出', '声音', '发票', '退款', '会员', '卡顿', '水印', '登录', '摄像头', '字幕', 'linux', 'mac', '崩溃', '找不到', '格式'];
  const gaps = Array.from({ length: 3000 }, (_, i) => ({
    text: `${words[i % words.length]}${words[(i * 7) % words.length]}怎么办${i % 40}`,
    reason: 'unanswered' as const,
    at: new Date(1_700_000_000_000 + i * 1000).toISOString(),
  }));
  const grouping = timeEach([''], () => groupGaps(gaps, matcher, { limit: 200 }));
  console.log(`group 3,000 gaps (200 biggest groups): ${fmt(grouping[0]!)}`);
  report('group 3,000 gaps (200 biggest groups)', grouping[0]!, 'ms', atMost(grouping[0]!, 3000, 'ms'));
  console.log('');
}

console.log('load above: in this warmed-up process. A restart pays the shared init and a cold JIT too:');

// A fresh process loading 1,000 entries: what a bot restart costs before it can answer.
const { dir } = syntheticKb(1000);
try {
  const script = [
    "const t0 = performance.now();",
    "const k = await import('./src/knowledge/index.ts');",
    "const t1 = performance.now();",
    "const m = new k.Matcher(await k.loadKnowledgeBase(process.argv[1]));",
    "const t2 = performance.now();",
    "m.match('手机同步失败怎么办');",
    "console.log(JSON.stringify({ imports: t1 - t0, load: t2 - t1, first: performance.now() - t2 }));",
  ].join('\n');
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { imports: number; load: number; first: number };
  console.log(
    `fresh process, 1,000 entries: load (init + read + lint + compile) ${fmt(r.load)}, first question ${fmt(r.first)} (module imports ${fmt(r.imports)})`,
  );
  report('fresh process: load 1000 entries (init + read + lint + compile)', r.load, 'ms');
  report('fresh process: first question', r.first, 'ms');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
