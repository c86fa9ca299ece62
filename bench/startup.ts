/**
 * npm run bench:startup — `npm start` as it was (TypeScript through tsx) against the compiled
 * build under plain node (with the source maps npm start enables, and without): time from spawn to the "kefu-bridge is running" log line, and the
 * resident memory of the whole process tree (tsx runs the code in a child process) 2 s later.
 * Both roles, the mock puppet, a real redis-server; runs alternate between the two so that
 * machine noise hits both alike.
 *
 *   npm run bench:startup                     # 5 runs each (BENCH_STARTUP_RUNS)
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile } from '../src/knowledge/index.ts';
import { buildInTemp, ROOT, startKefuProcess, treeRssMb } from '../test/support/processes.ts';
import { randomPrefix, startRedis, stopAll } from '../test/support/redis.ts';
import { atLeast, reporter } from './report.ts';

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 5);
const SETTLE_MS = 2_000;
const report = reporter('startup');

console.log('building into a temp folder (npm run build -- --no-check)…');
const build = buildInTemp();
const server = await startRedis();
const variants = [
  { name: 'tsx src/main.ts', argv: [path.join(ROOT, 'node_modules/.bin/tsx'), path.join(ROOT, 'src/main.ts')] },
  { name: 'node dist/main.js', argv: [process.execPath, '--enable-source-maps', path.join(build.dist, 'main.js')] },
  // What the source maps cost (npm start keeps them: stack traces in the logs point at src/).
  { name: 'node, no source maps', argv: [process.execPath, path.join(build.dist, 'main.js')] },
];
const samples = new Map(variants.map((v) => [v.name, { startMs: [] as number[], rssMb: [] as number[] }]));

try {
  // One unmeasured start each: the first reads every file from disk.
  for (let run = -1; run < RUNS; run++) {
    for (const v of variants) {
      const kefu = await startKefuProcess({
        argv: v.argv,
        env: { REDIS_URL: server.url, REDIS_PREFIX: randomPrefix(), WECHATY_PUPPET: 'wechaty-puppet-mock', KEFU_ADMIN_PASSWORD: 'a long enough password' },
      });
      await sleep(SETTLE_MS);
      const rss = treeRssMb(kefu.child.pid!);
      const code = await kefu.stop();
      if (code !== 0) throw new Error(`${v.name} exited with ${String(code)} on SIGTERM:\n${kefu.output()}`);
      if (run < 0) continue;
      samples.get(v.name)!.startMs.push(kefu.startMs);
      samples.get(v.name)!.rssMb.push(rss);
      console.log(`  run ${run + 1}: ${v.name.padEnd(20)} running after ${kefu.startMs.toFixed(0)} ms, ${rss.toFixed(1)} MB`);
    }
  }
} finally {
  build.remove();
  await stopAll();
}

const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);
console.log(`\nnode ${process.version}, ${RUNS} runs each (median)`);
for (const v of variants) {
  const s = samples.get(v.name)!;
  console.log(`  ${v.name.padEnd(20)} start ${median(s.startMs).toFixed(0)} ms, RSS ${median(s.rssMb).toFixed(1)} MB`);
  report(`${v.name}: spawn to running, median`, median(s.startMs), 'ms');
  report(`${v.name}: RSS of the process tree after start, median`, median(s.rssMb), 'MB');
}
const [before, after] = variants.map((v) => samples.get(v.name)!);
const speedup = median(before!.startMs) / median(after!.startMs);
report('start time, tsx / compiled', speedup, 'x', atLeast(speedup, 1, 'x'));
