/**
 * `npm run build` and the compiled tree as `npm start` runs it: plain node, no tsx. The build goes
 * to a temp folder (dist/ stays as it is); the processes run against a real redis-server, the bot
 * on the mock puppet. Also scripts/dist-check.js, which stops `npm start` on a missing or stale
 * dist/.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRedisServer } from './support/hooks.ts';
import { buildInTemp, ROOT, startKefuProcess, type Build, type KefuProcess } from './support/processes.ts';
import { randomPrefix, type RedisServer } from './support/redis.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

const PASSWORD = 'a long enough password';
let build: Build;
beforeAll(() => {
  build = buildInTemp();
}, 180_000);
afterAll(() => build?.remove());

async function startCompiled(...roleArgs: string[]): Promise<KefuProcess> {
  return startKefuProcess({
    argv: [process.execPath, '--enable-source-maps', path.join(build.dist, 'main.js'), ...roleArgs],
    env: { REDIS_URL: server.url, REDIS_PREFIX: randomPrefix(), WECHATY_PUPPET: 'wechaty-puppet-mock', KEFU_ADMIN_PASSWORD: PASSWORD },
  });
}

describe('npm run build', () => {
  it('emits JavaScript with .js imports, and the files the code reads at run time', () => {
    const main = readFileSync(path.join(build.dist, 'main.js'), 'utf8');
    expect(main).toMatch(/from ["']\.\/config\.js["']/);
    expect(main).toMatch(/import\(["']\.\/bot\/index\.js["']\)/);
    expect(main).not.toMatch(/\.ts["']/);
    for (const asset of [
      'handoff/lua/claim-9.lua',
      'console/auth/lua/login-3.lua',
      'console/ui/index.html',
      'console/ui/views/queue.js',
      'knowledge/engine/calibration.json',
      'knowledge/engine/lexicon/synonyms-zh.txt',
    ]) {
      expect(readFileSync(path.join(build.dist, asset), 'utf8')).toBe(readFileSync(path.join(ROOT, 'src', asset), 'utf8'));
    }
    expect(JSON.parse(readFileSync(path.join(build.dist, 'build-info.json'), 'utf8'))).toMatchObject({ builtAt: expect.any(String) });
  });
});

describe('the compiled main under plain node', () => {
  it('console: ready with Redis, serves the UI and its vendored libraries, logs in and runs a handoff script', async () => {
    const kefu = await startCompiled('--role', 'console');
    try {
      const { url } = kefu;
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const index = await fetch(`${url}/`);
      expect(index.status).toBe(200);
      expect(await index.text()).toMatch(/<script type="module" src="\/assets\/[\w./-]+\.js/);
      for (const asset of ['/assets/app.js', '/vendor/preact-htm.js', '/vendor/uplot.js', '/vendor/uplot.css']) {
        expect((await fetch(`${url}${asset}`)).status, asset).toBe(200);
      }

      const login = (password: string) =>
        fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
      expect((await login('not the password')).status).toBe(401);
      const ok = await login(PASSWORD);
      expect(ok.status).toBe(200);
      const { token } = (await ok.json()) as { token: string };

      // The claim script runs and answers that no such conversation exists (a missing script would be a 500).
      const claim = await fetch(`${url}/api/conversations/bot1.nobody/claim`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(claim.status).toBe(404);
      expect(((await claim.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    } finally {
      expect(await kefu.stop()).toBe(0);
    }
  }, 60_000);

  it('bot: loads Wechaty on the mock puppet and serves its ops endpoints', async () => {
    const kefu = await startCompiled('--role', 'bot');
    try {
      const { url } = kefu;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { error: { message: string } }).error.message).toMatch(/not logged in/);
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^# HELP kefu_messages_in_total/m);
    } finally {
      expect(await kefu.stop()).toBe(0);
    }
  }, 60_000);
});

describe('scripts/dist-check.js (before npm start, bot, console and kefu)', () => {
  // A project of its own: the script looks for dist/ and src/ beside its own folder.
  let project: string;
  beforeAll(() => {
    project = mkdtempSync(path.join(os.tmpdir(), 'kefu-dist-check-'));
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  const check = () => spawnSync(process.execPath, [path.join(project, 'scripts/dist-check.js')], { encoding: 'utf8' });
  const at = (iso: string) => new Date(iso);

  it('refuses a missing dist/, passes a fresh one, refuses one older than a source file', () => {
    mkdirSync(path.join(project, 'scripts'));
    copyFileSync(path.join(ROOT, 'scripts/dist-check.js'), path.join(project, 'scripts/dist-check.js'));
    mkdirSync(path.join(project, 'src/console/ui'), { recursive: true });
    for (const file of ['src/main.ts', 'src/console/ui/app.js']) {
      writeFileSync(path.join(project, file), '');
      utimesSync(path.join(project, file), at('2026-01-01T10:00:00Z'), at('2026-01-01T10:00:00Z'));
    }

    const missing = check();
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/dist\/ is missing.*npm run build/);

    mkdirSync(path.join(project, 'dist'));
    writeFileSync(path.join(project, 'dist/build-info.json'), JSON.stringify({ builtAt: '2026-01-01T10:00:01Z' }));
    expect(check()).toMatchObject({ status: 0, stderr: '' });

    utimesSync(path.join(project, 'src/console/ui/app.js'), at('2026-01-01T10:00:02Z'), at('2026-01-01T10:00:02Z'));
    const stale = check();
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/dist\/ is older than src\/ \(src\/console\/ui\/app\.js changed.*npm run build/);

    // A deployment that ships dist/ without src/: only the first check applies.
    rmSync(path.join(project, 'src'), { recursive: true });
    expect(check().status).toBe(0);
  });
});
