/**
 * Editors change the bot's phrases in _messages.yml while it runs: a valid save applies without a
 * restart, a broken one keeps the last good phrases serving.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startKefu, type Kefu } from '../../src/main.ts';
import { randomPrefix, useRedisServer, type RedisServer } from '../helpers/redis.ts';
import { KB_DIR } from './harness.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let kefu: Kefu | undefined;
let dir: string | undefined;
afterAll(async () => {
  await kefu?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, f: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('_messages.yml hot reload', () => {
  it('a saved phrase is used at once; a broken save leaves the last good phrases serving', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-kb-msgs-'));
    await cp(KB_DIR, dir, { recursive: true });
    kefu = await startKefu(
      loadConfig({ REDIS_URL: server.url, REDIS_PREFIX: randomPrefix(), PORT: '0', LOG_LEVEL: 'silent', WECHATY_PUPPET: 'wechaty-puppet-mock', KB_DIR: dir, KB_RELOAD_DEBOUNCE_MS: '50' }),
      { roles: ['bot'] },
    );
    const mocker = kefu.bot!.mocker!;
    const user = mocker.createContact({ name: '闪录客服' });
    mocker.login(user);
    const customer = mocker.createContact({ name: '编辑测试' });
    const heard: string[] = [];
    customer.on('message', (m) => {
      if (m.payload.talkerId === user.id) heard.push(m.payload.text ?? '');
    });
    const file = path.join(dir, '_messages.yml');
    const original = await readFile(file, 'utf8');
    const closing = /^closing: (.*)$/m.exec(original)![1]!;

    const thanks = async (): Promise<string> => {
      const n = heard.length;
      customer.say('谢谢').to(user);
      await until('the reply', () => heard.length > n);
      return heard.at(-1)!;
    };
    expect(await thanks()).toBe(closing);

    await writeFile(file, original.replace(/^closing: .*$/m, 'closing: 不客气，祝您录制顺利～'));
    await sleep(600);
    expect(await thanks()).toBe('不客气，祝您录制顺利～');

    // A key removed by mistake: the file is invalid, the bot keeps the last good phrases.
    await writeFile(file, original.replace(/^closing: .*$/m, ''));
    await sleep(600);
    expect(await thanks()).toBe('不客气，祝您录制顺利～');
  }, 30_000);
});
