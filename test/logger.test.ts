import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACT_PATHS } from '../src/logger.ts';
import { runNode } from './support/processes.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Personal data in the shapes the bot logs it; none of these strings may reach a log line. */
const SECRETS = ['13800000000', '张三', 'Bearer x', '李四', '怎么退款', 'tok-123', 'hunter2'];
const RECORD = {
  chatId: 'room-42',
  text: '我的手机号 13800000000',
  customer: { name: '张三', id: 'c-1' },
  req: { headers: { authorization: 'Bearer x', host: 'kefu.example' } },
  message: { text: '李四的订单' },
  question: '怎么退款',
  session: { token: 'tok-123' },
  password: 'hunter2',
};

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

describe('REDACT_PATHS', () => {
  it('keeps message text, customer names and credentials out of the log', () => {
    const { lines, stream } = capture();
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream);
    log.info(RECORD, 'incoming message');
    log.child({ customer: { name: '张三' } }).warn({ text: '13800000000' }, 'child logger');

    expect(lines).toHaveLength(2);
    for (const line of lines) for (const secret of SECRETS) expect(line).not.toContain(secret);

    const first = JSON.parse(lines[0]!) as typeof RECORD & { msg: string };
    expect(first).toMatchObject({
      msg: 'incoming message',
      chatId: 'room-42',
      text: '[redacted]',
      customer: { name: '[redacted]', id: 'c-1' },
      req: { headers: { authorization: '[redacted]', host: 'kefu.example' } },
      message: { text: '[redacted]' },
      question: '[redacted]',
      session: { token: '[redacted]' },
      password: '[redacted]',
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ customer: { name: '[redacted]' }, text: '[redacted]' });
  });
});

describe('createLogger (child process)', { timeout: 30_000 }, () => {
  let dir: string;
  const LOGGER_URL = pathToFileURL(path.join(ROOT, 'src', 'logger.ts')).href;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-logger-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(body: string[]) {
    const script = path.join(dir, `s${Math.random().toString(36).slice(2)}.ts`);
    await writeFile(
      script,
      [`import { createLogger } from ${JSON.stringify(LOGGER_URL)};`, `const record = ${JSON.stringify(RECORD)};`, ...body, ''].join('\n'),
    );
    return runNode(['--import', 'tsx', script], { cwd: ROOT });
  }

  it('writes redacted JSON lines to the chosen fd, at the chosen level', async () => {
    const r = await run([
      "const out = createLogger({ level: 'info', pretty: false });",
      "const err = createLogger({ level: 'warn', pretty: false, fd: 2 });",
      "out.info(record, 'to stdout');",
      "out.debug('below the level');",
      "err.info('below the level');",
      "err.warn(record, 'to stderr');",
    ]);
    expect(r.code).toBe(0);
    const stdout = r.stdout.split('\n').filter(Boolean);
    const stderr = r.stderr.split('\n').filter(Boolean);
    expect(stdout.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['to stdout']);
    expect(stderr.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['to stderr']);
    for (const line of [...stdout, ...stderr]) {
      for (const secret of SECRETS) expect(line).not.toContain(secret);
      expect(JSON.parse(line)).toMatchObject({ chatId: 'room-42', text: '[redacted]', customer: { name: '[redacted]' } });
    }
  });

  it('pretty output is human-readable and redacted too', async () => {
    const r = await run(["const log = createLogger({ level: 'info', pretty: true, fd: 2 });", "log.info(record, 'pretty line');"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('pretty line');
    expect(r.stderr).toContain('[redacted]');
    expect(r.stderr).toContain('room-42');
    expect(() => JSON.parse(r.stderr.split('\n')[0]!)).toThrow();
    for (const secret of SECRETS) expect(r.stderr).not.toContain(secret);
  });
});
