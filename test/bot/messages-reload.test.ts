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
import { KB_DIR } from '../support/bot.ts';
import { useRedisServer } from '../support/hooks.ts';
import { captureLogs } from '../support/logs.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let kefu: Kefu | undefined;
let dir: string | undefined;
afterAll(async () => {
  await kefu?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** What the phrases' watcher logs (src/bot/messages.ts) once it has read a saved file. */
const RELOADED = 'messages reloaded';
const BROKEN = 'messages file has problems; the last good version keeps serving';

describe('_messages.yml hot reload', () => {
  it('a saved phrase is used at once; a broken save leaves the last good phrases serving', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-kb-msgs-'));
    const logs = captureLogs();
    await cp(KB_DIR, dir, { recursive: true });
    kefu = await startKefu(
      loadConfig({ REDIS_URL: server.url, REDIS_PREFIX: randomPrefix(), PORT: '0', LOG_LEVEL: 'silent', WECHATY_PUPPET: 'wechaty-puppet-mock', KB_DIR: dir, KB_RELOAD_DEBOUNCE_MS: '50' }),
      { roles: ['bot'], logger: logs.logger },
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
      await waitFor('the reply', () => heard.length > n);
      return heard.at(-1)!;
    };
    expect(await thanks()).toBe(closing);

    await writeFile(file, original.replace(/^closing: .*$/m, 'closing: 不客气，祝您录制顺利～'));
    await logs.waitForLog(RELOADED);
    expect(await thanks()).toBe('不客气，祝您录制顺利～');

    // A key removed by mistake: the file is invalid, the bot keeps the last good phrases.
    await writeFile(file, original.replace(/^closing: .*$/m, ''));
    await logs.waitForLog(BROKEN);
    expect(logs.withMsg(RELOADED)).toHaveLength(1);
    expect(await thanks()).toBe('不客气，祝您录制顺利～');
  }, 30_000);
});
