/**
 * npm run bench — every benchmark, one after another, each as its own child process
 * (`npm run --silent bench:NAME`, its output streamed as it comes), then ONE table of all their
 * figures: benchmark, figure, value, target, ok | MISS.
 *
 * Each script appends its figures as JSON lines to the file in $BENCH_JSON (bench/report.ts).
 * Exit code 1 when a benchmark failed: crashed, timed out, reported no figures, or a correctness
 * check failed (lost or duplicated messages, wrong pages…). Missed targets alone exit 0 (bench:bot
 * exits 1 on its missed ratio target: that counts as a missed target, not a failure).
 *
 * Sizes: the scripts' defaults, except bench:kb, whose plain Fuse.js comparison is timed on 100
 * questions per size instead of 1,000 (BENCH_KB_FUSE_QUESTIONS=100; at 1,000 entries Fuse.js takes
 * ~100 ms a question, minutes for the whole set). Environment variables given to `npm run bench`
 * (BENCH_*, LOAD_*) pass through and win over these.
 *
 *   npm run bench                       # everything (a few minutes on 2 cores)
 *   npm run bench -- kb console         # only these
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatValue, type Figure } from './report.ts';

interface Bench {
  name: string;
  /** Extra environment (the caller's own values win). */
  env?: Record<string, string>;
  /** Killed after this long. */
  timeoutS: number;
  /** Exits 1 when it misses a target (bench:bot): with a missed target reported, that is not a failure. */
  exitsOnMiss?: boolean;
}

const BENCHES: Bench[] = [
  { name: 'kb', env: { BENCH_KB_FUSE_QUESTIONS: '100' }, timeoutS: 300 },
  { name: 'handoff', timeoutS: 240 },
  { name: 'bot', timeoutS: 300, exitsOnMiss: true },
  { name: 'console', timeoutS: 300 },
  { name: 'load', timeoutS: 300 },
  { name: 'flood', timeoutS: 300 },
  { name: 'startup', timeoutS: 300 },
  { name: 'channels', timeoutS: 300 },
  { name: 'team', timeoutS: 900 },
  { name: 'search', timeoutS: 900 },
  // A simulated month through the handoff and the archive (bench/month.ts): exits 1 when a check fails.
  { name: 'month', timeoutS: 900 },
];

interface Outcome {
  bench: Bench;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  ms: number;
  figures: Figure[];
  /** 'ok' | 'target missed' | 'FAILED: why' */
  verdict: string;
  failed: boolean;
}

const only = process.argv.slice(2);
const unknown = only.filter((n) => !BENCHES.some((b) => b.name === n));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')} (known: ${BENCHES.map((b) => b.name).join(', ')})`);
  process.exit(2);
}
const selected = only.length > 0 ? BENCHES.filter((b) => only.includes(b.name)) : BENCHES;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kefu-bench-'));
let current: ReturnType<typeof spawn> | undefined;
const killCurrent = (signal: NodeJS.Signals): void => {
  // The child leads its own process group (npm -> sh -> tsx -> node): signal all of it.
  if (current?.pid !== undefined && current.exitCode === null) {
    try {
      process.kill(-current.pid, signal);
    } catch {
      // already gone
    }
  }
};
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killCurrent('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
    process.exit(130);
  });
}

function run(bench: Bench): Promise<Outcome> {
  const file = path.join(tmp, `${bench.name}.jsonl`);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const overrides = Object.fromEntries(Object.entries(bench.env ?? {}).filter(([k]) => process.env[k] === undefined));
    const child = spawn('npm', ['run', '--silent', `bench:${bench.name}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...overrides, BENCH_JSON: file },
      detached: true,
    });
    current = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.log(`\n[bench] ${bench.name}: still running after ${bench.timeoutS} s, killing it`);
      killCurrent('SIGTERM');
      setTimeout(() => killCurrent('SIGKILL'), 5_000).unref();
    }, bench.timeoutS * 1000);
    const finish = (code: number | null, signal: string | null): void => {
      clearTimeout(timer);
      current = undefined;
      let figures: Figure[] = [];
      try {
        figures = readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Figure);
      } catch {
        // no figures written
      }
      const failedChecks = figures.filter((f) => f.check && f.ok === false);
      const missed = figures.filter((f) => !f.check && f.ok === false);
      let verdict = 'ok';
      if (timedOut) verdict = `FAILED: timed out after ${bench.timeoutS} s`;
      else if (signal) verdict = `FAILED: killed by ${signal}`;
      else if (failedChecks.length > 0) verdict = `FAILED: ${failedChecks.map((f) => `${f.figure} = ${f.value}`).join('; ')}`;
      else if (code !== 0 && !(bench.exitsOnMiss && code === 1 && missed.length > 0)) verdict = `FAILED: exit code ${String(code)}`;
      else if (figures.length === 0) verdict = 'FAILED: reported no figures';
      else if (missed.length > 0) verdict = `target missed (${missed.length})`;
      resolve({ bench, code, signal, timedOut, ms: performance.now() - t0, figures, verdict, failed: verdict.startsWith('FAILED') });
    };
    child.on('exit', finish);
    child.on('error', (err) => {
      console.log(`[bench] ${bench.name}: could not start: ${err.message}`);
      finish(null, null);
    });
  });
}

const t00 = performance.now();
const load0 = os.loadavg();
console.log(
  `npm run bench — ${selected.map((b) => b.name).join(', ')}; node ${process.version}, ${os.cpus().length} CPUs, load average ${load0.map((l) => l.toFixed(2)).join(' ')}`,
);
const outcomes: Outcome[] = [];
for (const bench of selected) {
  console.log(`\n${'='.repeat(100)}\n[bench] npm run bench:${bench.name}${bench.env ? ` (${Object.entries(bench.env).map(([k, v]) => `${k}=${process.env[k] ?? v}`).join(' ')})` : ''}\n${'='.repeat(100)}`);
  const o = await run(bench);
  outcomes.push(o);
  console.log(`[bench] ${bench.name}: exit ${o.signal ?? String(o.code)} after ${(o.ms / 1000).toFixed(1)} s — ${o.verdict}`);
}
rmSync(tmp, { recursive: true, force: true });

// --- One table ---------------------------------------------------------------------------------------------------
const rows = outcomes.flatMap((o) => o.figures);
const wBench = Math.max(9, ...rows.map((f) => f.bench.length));
const wFigure = Math.max(6, ...rows.map((f) => f.figure.length));
const wValue = Math.max(5, ...rows.map((f) => formatValue(f.value, f.unit).length));
const wTarget = Math.max(6, ...rows.map((f) => (f.target ?? '').length));
const rule = '-'.repeat(wBench + wFigure + wValue + wTarget + 12);
console.log(`\n${'='.repeat(rule.length)}\nall benchmarks\n${rule}`);
console.log(`${'benchmark'.padEnd(wBench)}  ${'figure'.padEnd(wFigure)}  ${'value'.padStart(wValue)}  ${'target'.padStart(wTarget)}  ok/MISS`);
console.log(rule);
let previous = '';
for (const f of rows) {
  if (previous && f.bench !== previous) console.log('');
  previous = f.bench;
  const verdict = f.ok === undefined ? '' : f.ok ? 'ok' : 'MISS';
  console.log(`${f.bench.padEnd(wBench)}  ${f.figure.padEnd(wFigure)}  ${formatValue(f.value, f.unit).padStart(wValue)}  ${(f.target ?? '').padStart(wTarget)}  ${verdict}`);
}
console.log(rule);
for (const o of outcomes) {
  console.log(`${o.bench.name.padEnd(wBench)}  ${`${(o.ms / 1000).toFixed(1)} s`.padStart(8)}  exit ${(o.signal ?? String(o.code)).padEnd(4)} ${o.verdict}`);
}
const missed = rows.filter((f) => f.ok === false && !f.check).length;
const failed = outcomes.filter((o) => o.failed);
const load1 = os.loadavg();
console.log(
  `\ntotal wall time ${((performance.now() - t00) / 1000).toFixed(1)} s; ${rows.length} figures, ${missed} target(s) missed, ${failed.length} benchmark(s) failed; load average ${load1.map((l) => l.toFixed(2)).join(' ')} (at the start ${load0.map((l) => l.toFixed(2)).join(' ')}): others may share this machine, figures are noisy`,
);
process.exitCode = failed.length > 0 ? 1 : 0;
