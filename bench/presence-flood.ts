/**
 * npm run bench:flood — the live-socket presence flood of issue 11 against the whole system:
 *
 *  - this process: a redis-server started for the run, the bot on the real Wechaty runtime with
 *    wechaty-puppet-mock (test/support/bot.ts) and the console app with its live WebSocket on
 *    127.0.0.1: one process, as `npm start` runs them, so a stalled event loop stalls the bot too;
 *  - a child process (this file with --attacker), so the attacker's own work does not count as the
 *    server's: one signed-in user opens FLOOD_SOCKETS sockets (default 500) and sends FLOOD_MESSAGES
 *    viewing/typing messages (default 2,000) in one go from one of them, every socket reading what it
 *    is sent; meanwhile it asks GET /healthz every 20 ms, one request at a time;
 *  - customers (mock WeChat contacts, a new one per question) ask the bot FAQ questions one after the
 *    other, before the attack and during it: the time from the message to the bot's first reply.
 *
 * Printed: /healthz p50/p99/max before and during the attack, the bot's reply latency before and
 * during (p50, p99) and their ratio, the server's event-loop delay, sockets accepted and refused,
 * frames the attacker's sockets were sent. Targets: /healthz p99 during the attack < 100 ms, bot
 * replies during the attack within 2x their normal latency (p50). A customer question left without
 * an answer is a failed check (exit 1).
 *
 *   FLOOD_SOCKETS=500 FLOOD_MESSAGES=2000 npm run bench:flood
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/console/app.ts';
import { AgentStore } from '../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../src/handoff/index.ts';
import { percentile } from '../src/knowledge/index.ts';
import { startHarness, type Harness } from '../test/support/bot.ts';
import { startRedis, stopAll, waitReady } from '../test/support/redis.ts';
import { WebSocket, type WsClient } from '../test/support/sockets.ts';
import { atMost, noneOf, printFigures, reporter, type Figure } from './report.ts';
import { profile } from './profile.ts';

const SOCKETS = Number(process.env.FLOOD_SOCKETS ?? 500);
const MESSAGES = Number(process.env.FLOOD_MESSAGES ?? 2000);
/** Bot questions asked before the attack, and at least this long a window during it. */
const BASELINE_QUESTIONS = 30;
const ATTACK_MIN_MS = 8_000;
const HEALTH_EVERY_MS = 20;
const REPLY_TIMEOUT_MS = 10_000;
const HEALTHZ_P99_TARGET = 100;
const REPLY_RATIO_TARGET = 2;
const TARGET_CONV = 'flood.target';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number): number => (xs.length ? percentile(sorted(xs), p) : Number.NaN);

/** Parent -> attacker. */
type Command = { cmd: 'probe'; ms: number } | { cmd: 'attack'; url: string; token: string } | { cmd: 'stop' };
/** Attacker -> parent. */
type Report =
  | { kind: 'probed'; healthz: number[]; healthErrors: number }
  | { kind: 'opened' }
  | { kind: 'flooded' }
  | { kind: 'attacked'; healthz: number[]; byPhase: number[][]; healthErrors: number; accepted: number; refused: number; frames: number; maxFrames: number; absorbedMs: number; rateLimited: number };

// ---------------------------------------------------------------------------------------------------------------
// The attacker (child process)

async function attacker(): Promise<void> {
  const base = process.env.FLOOD_BASE!;
  const send = (r: Report): void => void process.send!(r);
  let probing = false;
  let healthErrors = 0;
  const healthz: number[] = [];
  const healthAt: number[] = [];
  const probe = async (): Promise<void> => {
    while (probing) {
      const t0 = performance.now();
      try {
        const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(REPLY_TIMEOUT_MS) });
        await res.arrayBuffer();
        if (res.status !== 200) healthErrors++;
      } catch {
        healthErrors++;
      }
      // A failed or timed-out check counts with the time it took.
      healthz.push(performance.now() - t0);
      healthAt.push(t0);
      await sleep(HEALTH_EVERY_MS);
    }
  };

  const commands: Command[] = [];
  let wake: (() => void) | undefined;
  process.on('message', (m: Command) => {
    commands.push(m);
    wake?.();
  });
  const next = async (): Promise<Command> => {
    while (commands.length === 0) await new Promise<void>((r) => (wake = r));
    return commands.shift()!;
  };

  for (;;) {
    const c = await next();
    if (c.cmd === 'probe') {
      healthz.length = 0;
      probing = true;
      const running = probe();
      await sleep(c.ms);
      probing = false;
      await running;
      send({ kind: 'probed', healthz: [...healthz], healthErrors });
    } else if (c.cmd === 'attack') {
      healthz.length = 0;
      healthAt.length = 0;
      probing = true;
      const running = probe();
      const result = await attack(c.url, c.token, (kind) => send({ kind }), next);
      probing = false;
      await running;
      // /healthz by phase of the attack: opening the sockets, the flood until worked through, after.
      const phases = [performance.now() - 1e9, result.marks.opened, result.marks.absorbed, Number.POSITIVE_INFINITY];
      const byPhase = [0, 1, 2].map((k) => healthz.filter((_, i) => healthAt[i]! >= phases[k]! && healthAt[i]! < phases[k + 1]!));
      const { marks: _marks, ...rest } = result;
      send({ kind: 'attacked', healthz: [...healthz], byPhase, healthErrors, ...rest });
    } else {
      process.exit(0);
    }
  }
}

interface Sock {
  ws: WsClient;
  frames: number;
  hello: boolean;
  closed: boolean;
  rateLimited: number;
  onText?: (m: { type: string; conv?: string; typing?: unknown[] }) => void;
}

async function attack(url: string, token: string, tell: (kind: 'opened' | 'flooded') => void, next: () => Promise<Command>) {
  const socks: Sock[] = await Promise.all(
    Array.from({ length: SOCKETS }, async () => {
      const s: Sock = { ws: new WebSocket(url), frames: 0, hello: false, closed: false, rateLimited: 0 };
      s.ws.on('error', () => undefined);
      s.ws.on('message', (d) => {
        s.frames++;
        const m = JSON.parse(d.toString('utf8')) as { type: string; code?: string };
        if (m.type === 'hello') s.hello = true;
        if (m.type === 'error' && m.code === 'RATE_LIMITED') s.rateLimited++;
        s.onText?.(m);
      });
      s.ws.on('close', () => (s.closed = true));
      await new Promise<void>((resolve) => {
        s.ws.on('open', () => resolve());
        s.ws.on('close', () => resolve());
      });
      if (!s.closed) s.ws.send(JSON.stringify({ type: 'auth', token }));
      return s;
    }),
  );
  const deadline = Date.now() + 60_000;
  while (socks.some((s) => !s.hello && !s.closed) && Date.now() < deadline) await sleep(20);
  const open = socks.filter((s) => s.hello && !s.closed);
  const marks = { opened: performance.now(), absorbed: Number.NaN };
  tell('opened');
  const [flooder, watcher] = open;
  let absorbedMs = Number.NaN;
  if (flooder && watcher) {
    // The watcher looks at the conversation the flood's last message types in: when it sees that,
    // the flood has been worked through.
    const absorbed = new Promise<void>((resolve) => {
      watcher.onText = (m) => {
        if (m.type === 'presence' && m.conv === TARGET_CONV && (m.typing?.length ?? 0) > 0) resolve();
      };
    });
    watcher.ws.send(JSON.stringify({ type: 'viewing', conv: TARGET_CONV }));
    await sleep(300);
    const t0 = performance.now();
    for (let i = 0; i < MESSAGES - 1; i++) {
      const conv = `flood.c${i % 101}`;
      flooder.ws.send(JSON.stringify(i % 2 === 0 ? { type: 'viewing', conv } : { type: 'typing', conv }));
    }
    flooder.ws.send(JSON.stringify({ type: 'typing', conv: TARGET_CONV }));
    tell('flooded');
    await Promise.race([absorbed, sleep(120_000)]);
    absorbedMs = performance.now() - t0;
    marks.absorbed = performance.now();
  } else {
    tell('flooded');
  }
  // The parent says when its customers are done.
  while ((await next()).cmd !== 'stop');
  const frames = socks.reduce((n, s) => n + s.frames, 0);
  const maxFrames = Math.max(0, ...socks.map((s) => s.frames));
  const rateLimited = socks.reduce((n, s) => n + s.rateLimited, 0);
  for (const s of socks) s.ws.terminate();
  return { marks, accepted: open.length, refused: socks.length - open.length, frames, maxFrames, absorbedMs, rateLimited };
}

// ---------------------------------------------------------------------------------------------------------------
// The system under attack (this process)


async function main(): Promise<void> {
  const report = reporter('flood');
  const figures: Figure[] = [];
  const add = (...args: Parameters<typeof report>): void => void figures.push(report(...args));
  const failures: string[] = [];
  const server = await startRedis();
  let h: Harness | undefined;
  let app: FastifyInstance | undefined;
  let child: ChildProcess | undefined;
  try {
    h = await startHarness(server.url, { flood: { max: 1000, windowS: 10, muteS: 1 } });
    const harness = h;
    const consoleRedis = server.client();
    await waitReady(consoleRedis);
    const handoff = new Handoff(consoleRedis, { prefix: harness.prefix, policy: DEFAULT_SLA_POLICY });
    await handoff.registerBot(harness.botId);
    const agents = new AgentStore(consoleRedis, harness.prefix);
    app = await buildApp({ handoff, agents, redis: consoleRedis, ui: false, live: { connect: () => server.client() } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    await agents.add({ username: 'mallory', roles: ['agent'], password: 'bench flood password', name: '攻击者' });
    const { token } = (await agents.login('mallory', 'bench flood password'))!;

    const questions = harness.knowledge
      .matcher()
      .kb.entries.map((e) => e.question)
      .filter((q) => harness.knowledge.match(q).decision === 'answer');
    console.log(
      `bench:flood — node ${process.version}, ${os.cpus().length} CPUs (load average ${os.loadavg()[0]!.toFixed(2)}), redis-server ${server.url}, bot + console ${base} in this process`,
    );
    console.log(`attack: one user, ${SOCKETS} live sockets, ${MESSAGES} viewing/typing messages from one of them (a child process)\n`);

    child = fork(fileURLToPath(import.meta.url), ['--attacker'], { execArgv: ['--import', 'tsx'], env: { ...process.env, FLOOD_BASE: base } });
    const proc = child;
    const reports: Report[] = [];
    let wake: (() => void) | undefined;
    proc.on('message', (m: Report) => {
      reports.push(m);
      wake?.();
    });
    const command = (c: Command): void => void proc.send(c);
    const awaitReport = async <K extends Report['kind']>(kind: K): Promise<Extract<Report, { kind: K }>> => {
      for (;;) {
        const i = reports.findIndex((r) => r.kind === kind);
        if (i >= 0) return reports.splice(i, 1)[0] as Extract<Report, { kind: K }>;
        if (proc.exitCode !== null) throw new Error(`the attacker exited (${proc.exitCode}) before ${kind}`);
        await new Promise<void>((r) => (wake = r));
      }
    };

    let customers = 0;
    let unanswered = 0;
    /** One question from a new customer; the time to the bot's first reply. */
    const ask = async (): Promise<number | null> => {
      const mc = harness.customer({ name: `顾客${++customers}` });
      const t0 = performance.now();
      mc.emit({ text: questions[customers % questions.length]! });
      const deadline = t0 + REPLY_TIMEOUT_MS;
      while (mc.heard.length === 0 && performance.now() < deadline) await sleep(2);
      if (mc.heard.length === 0) {
        unanswered++;
        return null;
      }
      return performance.now() - t0;
    };
    const askWhile = async (more: () => boolean, into: number[]): Promise<void> => {
      while (more()) {
        const ms = await ask();
        if (ms !== null) into.push(ms);
        await sleep(50);
      }
    };

    // --- Before --------------------------------------------------------------------------------------------------
    for (let i = 0; i < 5; i++) await ask(); // warm-up
    unanswered = 0;
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    command({ cmd: 'probe', ms: 4_000 });
    const before: number[] = [];
    let n = 0;
    await askWhile(() => n++ < BASELINE_QUESTIONS, before);
    const { healthz: healthBefore } = await awaitReport('probed');
    lag.disable();
    const lagBefore = { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 };
    lag.reset();

    // --- During --------------------------------------------------------------------------------------------------
    const unansweredBefore = unanswered;
    lag.enable();
    const t0 = performance.now();
    const stopProfile = await profile(process.env.BENCH_PROFILE);
    const cpu0 = process.cpuUsage();
    command({ cmd: 'attack', url: `${base.replace(/^http/, 'ws')}/api/live`, token });
    const during: number[] = [];
    let done = false;
    const customersDuring = askWhile(() => !done, during);
    await awaitReport('opened');
    const cpuOpen = process.cpuUsage(cpu0);
    await awaitReport('flooded');
    await stopProfile();
    await sleep(ATTACK_MIN_MS);
    done = true;
    await customersDuring;
    command({ cmd: 'stop' });
    const attacked = await awaitReport('attacked');
    lag.disable();
    const attackS = (performance.now() - t0) / 1000;
    command({ cmd: 'stop' }); // the attacker exits

    const p = (xs: number[]) => ({ p50: pct(xs, 50), p99: pct(xs, 99), max: Math.max(...xs) });
    const hb = p(healthBefore);
    const hd = p(attacked.healthz);
    const rb = p(before);
    const rd = p(during);
    console.log(`before: /healthz ${healthBefore.length} requests, bot ${before.length} questions; during (${attackS.toFixed(1)} s): /healthz ${attacked.healthz.length}, bot ${during.length}`);
    console.log(
      `sockets accepted ${attacked.accepted}, refused ${attacked.refused}; frames sent to the attacker's sockets ${attacked.frames} (at most ${attacked.maxFrames} on one); flood worked through in ${attacked.absorbedMs.toFixed(0)} ms\n`,
    );
    add('/healthz p50 before the attack', hb.p50, 'ms');
    add('/healthz p99 before the attack', hb.p99, 'ms');
    add('/healthz p50 during the attack', hd.p50, 'ms');
    add('/healthz p99 during the attack', hd.p99, 'ms', { target: `< ${HEALTHZ_P99_TARGET} ms`, ok: hd.p99 < HEALTHZ_P99_TARGET });
    add('/healthz max during the attack', hd.max, 'ms');
    // Where it goes: accepting the sockets (TCP, HTTP upgrade, WebSocket handshake, auth, refusal) or the flood.
    add(`/healthz p99 while the ${SOCKETS} sockets opened (${attacked.byPhase[0]!.length} requests)`, pct(attacked.byPhase[0]!, 99), 'ms');
    const afterOpen = [...attacked.byPhase[1]!, ...attacked.byPhase[2]!];
    add(`/healthz p99 from the flood on (${afterOpen.length} requests)`, pct(afterOpen, 99), 'ms');
    add('bot reply p50 before the attack', rb.p50, 'ms');
    add('bot reply p99 before the attack', rb.p99, 'ms');
    add('bot reply p50 during the attack', rd.p50, 'ms');
    add('bot reply p99 during the attack', rd.p99, 'ms');
    add('bot reply p50 during / before', rd.p50 / rb.p50, 'x', atMost(rd.p50 / rb.p50, REPLY_RATIO_TARGET, 'x'));
    add('event-loop delay p99 before the attack', lagBefore.p99, 'ms');
    add('event-loop delay p99 during the attack', lag.percentile(99) / 1e6, 'ms');
    add('event-loop delay max during the attack', lag.max / 1e6, 'ms');
    add('server CPU time while the sockets opened', (cpuOpen.user + cpuOpen.system) / 1000, 'ms');
    add('live sockets accepted (of the attacker\'s)', attacked.accepted, '');
    add('live sockets refused', attacked.refused, '');
    add('frames sent to the attacker\'s sockets', attacked.frames, '');
    add('frames sent to one socket at most', attacked.maxFrames, '');
    add('RATE_LIMITED notices', attacked.rateLimited, '');
    add('flood worked through in', attacked.absorbedMs, 'ms');
    add('customer questions without an answer', unanswered, '', noneOf(unanswered));
    add('/healthz failures (not 200, or no answer in 10 s)', attacked.healthErrors, '', noneOf(attacked.healthErrors));
    add('rss', process.memoryUsage().rss / 2 ** 20, 'MB');
    if (unansweredBefore > 0) failures.push(`${unansweredBefore} question(s) before the attack got no answer`);
    if (!Number.isFinite(attacked.absorbedMs)) failures.push('the attacker had no two open sockets');
    printFigures(figures);
  } catch (err) {
    failures.push(err instanceof Error ? (err.stack ?? err.message) : String(err));
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await app?.close().catch(() => undefined);
    await h?.stop().catch(() => undefined);
    await stopAll();
  }
  if (failures.length > 0) {
    console.log(`\n${failures.length} failure(s):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    process.exitCode = 1;
  }
}

if (process.argv.includes('--attacker')) await attacker();
else await main();
