/**
 * The whole system for browser tests, one per test file: a real redis-server, the bot on the real
 * Wechaty runtime with wechaty-puppet-mock (./bot.ts: mock customers that talk and
 * remember what they heard), the console app (API, live WebSocket and web UI) listening on a real
 * port, and one headless Debian chromium driven by playwright-core.
 *
 * The console is wired as a separate process would be: its own Redis clients, its own Handoff and
 * knowledge service, but the bot's key prefix (and so the bot's account id), so an agent's reply in
 * the browser goes through the handoff's outbound stream to the bot and on to the mock customer.
 */
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { AgentStore, type Role } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { createKnowledgeService, type KnowledgeService } from '../../src/knowledge/index.ts';
import { KB_DIR, startHarness, type Harness } from './bot.ts';
import { contextOptions, launchChromium, listenApp, loginAs, PASSWORD, shot } from './browser.ts';
import { useRedisServer } from './hooks.ts';
import type { RedisServer } from './redis.ts';
import { waitFor } from './waits.ts';

export { KB_DIR, type Harness, type MockCustomer } from './bot.ts';
export { CHROMIUM, CHROMIUM_ARGS, PASSWORD, SCREENSHOT_DIR, VIEWPORT } from './browser.ts';

export interface TestAgent {
  id: string;
  username: string;
  name: string;
  roles: Role[];
  password: string;
}

/** The console's accounts: two plain agents, an editor and a manager. */
const ACCOUNTS: { username: string; name: string; roles: Role[] }[] = [
  { username: 'alice', name: '爱丽丝', roles: ['agent'] },
  { username: 'bob', name: '鲍勃', roles: ['agent'] },
  { username: 'eddie', name: '编辑艾迪', roles: ['editor'] },
  { username: 'mia', name: '经理米娅', roles: ['manager'] },
];

/** What a page did that a test may want to assert on. */
export interface PageLog {
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /** console.error messages (CSP violations, failed module loads, failed requests…). */
  consoleErrors: string[];
  /** alert / confirm / prompt dialogs that opened (each is dismissed). */
  dialogs: string[];
  /** Responses with status >= 400 ("STATUS METHOD path"). */
  failedResponses: string[];
}

export interface Session {
  context: BrowserContext;
  page: Page;
  log: PageLog;
  /** Opens the console and logs in; resolves once the shell shows the agent's name. */
  login(username: string, password?: string): Promise<void>;
  /** Console errors except the browser's "Failed to load resource" lines for the given statuses. */
  unexpectedErrors(allowedStatuses?: number[]): string[];
  close(): Promise<void>;
}

export interface ConsoleEnv {
  server: RedisServer;
  bot: Harness;
  /** The console's own Handoff (same prefix as the bot's). */
  handoff: Handoff;
  agents: AgentStore;
  knowledge: KnowledgeService;
  app: FastifyInstance;
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  browser: Browser;
  users: Record<string, TestAgent>;
  /** A fresh browser context (own cookies and storage: another agent's browser) at 1280x800. */
  session(): Promise<Session>;
  /** Saves a full-viewport screenshot to test-results/screenshots/NAME.png; returns the path. */
  screenshot(page: Page, name: string): Promise<string>;
}

async function startEnv(server: RedisServer): Promise<{ env: ConsoleEnv; stop: () => Promise<void> }> {
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const bot = await startHarness(server.url);
    stops.push(() => bot.stop());

    // The console's side: its own clients (server.client() ones are closed by stopAll()).
    const redis = server.client();
    const handoff = new Handoff(redis, { prefix: bot.prefix, policy: DEFAULT_SLA_POLICY });
    const agents = new AgentStore(redis, bot.prefix);
    const knowledge = await createKnowledgeService({ dir: KB_DIR, watch: false });
    stops.push(() => knowledge.close());

    const users: Record<string, TestAgent> = {};
    for (const a of ACCOUNTS) {
      const added = await agents.add({ ...a, password: PASSWORD });
      users[a.username] = { ...a, id: added.id, password: PASSWORD };
    }

    const { app, baseUrl } = await listenApp({
      handoff,
      agents,
      redis,
      knowledge,
      kbDir: KB_DIR,
      ui: true,
      live: { connect: () => server.client(), reader: { blockMs: 200, discoverMs: 200 } },
    });
    stops.push(() => app.close());

    const browser = await launchChromium();
    stops.push(() => browser.close());

    const session = async (): Promise<Session> => {
      const context = await browser.newContext(contextOptions());
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const log: PageLog = { pageErrors: [], consoleErrors: [], dialogs: [], failedResponses: [] };
      page.on('pageerror', (err) => log.pageErrors.push(String(err)));
      page.on('console', (m) => {
        if (m.type() === 'error') log.consoleErrors.push(m.location().url ? `${m.text()} (${m.location().url})` : m.text());
      });
      page.on('dialog', (d) => {
        log.dialogs.push(`${d.type()}: ${d.message()}`);
        void d.dismiss().catch(() => undefined);
      });
      page.on('response', (r) => {
        if (r.status() >= 400) log.failedResponses.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
      });
      return {
        context,
        page,
        log,
        login: (username, password = PASSWORD) => loginAs(page, baseUrl, username, password, users[username]?.name ?? username),
        unexpectedErrors(allowed = []) {
          return log.consoleErrors.filter((e) => {
            const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(e);
            return !(m && allowed.includes(Number(m[1])));
          });
        },
        close: () => context.close(),
      };
    };

    const env: ConsoleEnv = {
      server,
      bot,
      handoff,
      agents,
      knowledge,
      app,
      baseUrl,
      browser,
      users,
      session,
      screenshot: shot,
    };
    return { env, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The whole system for one test file: started in beforeAll, stopped in afterAll. Returns a handle
 * whose `env` is set once it is up.
 */
export function useConsoleEnv(): { readonly env: ConsoleEnv } {
  let server: RedisServer | undefined;
  let current: { env: ConsoleEnv; stop: () => Promise<void> } | undefined;
  // Registered first, so its afterAll (stopping redis) runs after ours (hooks run as a stack).
  useRedisServer((s) => (server = s));
  beforeAll(async () => {
    current = await startEnv(server!);
  }, 60_000);
  afterAll(async () => {
    await current?.stop();
  }, 30_000);
  return {
    get env(): ConsoleEnv {
      if (!current) throw new Error('the console environment did not start');
      return current.env;
    },
  };
}

/** Waits until the handoff reports `status` for the conversation. */
export async function waitStatus(env: ConsoleEnv, conv: string, status: string, timeoutMs = 5_000): Promise<void> {
  let last: string | undefined;
  try {
    await waitFor(`conversation ${conv} to be ${status}`, async () => (last = (await env.handoff.conversation(conv))?.status) === status, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message} (it is ${String(last)})`, { cause: err });
  }
}

/** No uncaught exceptions, no console errors (but "Failed to load resource" for `allowedStatuses`), no dialogs. */
export function expectCleanPage(s: Session, allowedStatuses: number[] = []): void {
  expect(s.log.pageErrors, 'uncaught exceptions in the page').toEqual([]);
  expect(s.unexpectedErrors(allowedStatuses), `console errors in the page (responses >= 400: ${s.log.failedResponses.join(', ')})`).toEqual([]);
  expect(s.log.dialogs, 'dialogs').toEqual([]);
}
