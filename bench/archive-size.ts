/**
 * How much room the archive takes per conversation, for sizing PostgreSQL (README, "Operating the
 * archive"). Through the real path: the bot (mock puppet) answers N customers' chats of M messages
 * each from the product's FAQ, the archiver copies them, then PostgreSQL says how big the tables
 * and their indexes are. Also Redis's used_memory for the same chats, before any trim.
 *
 *   npx tsx bench/archive-size.ts [N=1000] [M=10]
 */
import { loadConfig } from '../src/config.ts';
import { startKefu } from '../src/main.ts';
import { startPostgres, stopAllPostgres } from '../test/support/postgres.ts';
import { randomPrefix, startRedis, stopAll } from '../test/support/redis.ts';

const N = Number(process.argv[2] ?? 1000);
const M = Number(process.argv[3] ?? 10);
/** Questions from knowledge-base/ (the bot answers them in full), a handoff-free mix with follow-ups. */
const QUESTIONS = [
  '会员可以退款吗？', '可以导出成 GIF 或 MP4 吗？视频太大怎么压缩？', '收不到验证码，怎么登录？', '录制的视频卡顿、画面模糊怎么办？', '录屏没有声音怎么办？',
  '怎么在录屏时同时录摄像头', '免费版能录多长时间？', '录制到一半软件崩溃了，视频还能恢复吗？', '录好的视频保存在哪里？', '怎么去掉视频上的水印？',
  '会员多少钱？有哪些套餐？', '可以开发票吗？', 'Mac 上录屏是黑屏怎么办', '换电脑了，会员怎么在新设备上用？', '还是不行', '好的谢谢',
  '我昨天买的年卡，订单号 20240611123456，扣了两次钱，麻烦帮我看一下',
];
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

const redis = await startRedis();
const pg = await startPostgres();
try {
  const config = loadConfig({
    REDIS_URL: redis.url, REDIS_PREFIX: randomPrefix(), PORT: '0', LOG_LEVEL: 'silent', WECHATY_PUPPET: 'wechaty-puppet-mock',
    KEFU_ADMIN_PASSWORD: 'a long enough password', DATABASE_URL: pg.url, ARCHIVE_INTERVAL_S: '3600', FLOOD_MAX: '1000', HANDOFF_MODE: 'offer',
  });
  const k = await startKefu(config, { roles: ['bot'] });
  const pool = pg.pool();
  await k.archive!.runOnce();
  const mocker = k.bot!.mocker!;
  const bot = mocker.createContact({ name: '闪录客服' });
  mocker.login(bot);
  let replies = 0;
  console.log(`${N} chats of ${M} customer messages through the bot…`);
  for (let c = 0; c < N; c++) {
    const customer = mocker.createContact({ name: `客户${c}` });
    customer.on('message', (m) => {
      if (m.payload.talkerId === bot.id) replies++;
    });
    for (let i = 0; i < M; i++) {
      const before = replies;
      customer.say(QUESTIONS[(c * 7 + i * 3) % QUESTIONS.length]!).to(bot);
      const deadline = Date.now() + 2_000;
      while (replies === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    }
  }
  const redisMemory = Number(/used_memory:(\d+)/.exec(await k.redis.info('memory'))?.[1]);
  const t0 = Date.now();
  for (let i = 0; i < 50 && k.archive!.status().archived < N; i++) await k.archive!.runOnce();
  const archiveMs = Date.now() - t0;
  await pool.query('VACUUM ANALYZE');
  const { c, m } = (await pool.query<{ c: string; m: string }>('SELECT (SELECT count(*) FROM conversations) c, (SELECT count(*) FROM messages) m')).rows[0]!;
  const tables = (
    await pool.query<{ t: string; total: string; heap: string; idx: string }>(
      "SELECT relname t, pg_total_relation_size(oid) total, pg_relation_size(oid) heap, pg_indexes_size(oid) idx FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC",
    )
  ).rows;
  const total = tables.reduce((a, t) => a + Number(t.total), 0);
  const conversations = Number(c);
  const messages = Number(m);
  for (const t of tables.slice(0, 3)) console.log(`  ${t.t.padEnd(14)} ${kib(Number(t.total)).padStart(10)} (table ${kib(Number(t.heap))}, indexes ${kib(Number(t.idx))}, the rest TOAST and maps)`);
  console.log(`archived ${conversations} conversations, ${messages} messages (${(messages / conversations).toFixed(1)} a conversation) in ${(archiveMs / 1000).toFixed(1)} s`);
  console.log(`archive: ${kib(total)} in all = ${(total / conversations / 1024).toFixed(1)} KiB a conversation, ${(total / messages).toFixed(0)} bytes a message (indexes included)`);
  console.log(`redis used_memory before any trim: ${(redisMemory / 1024 / 1024).toFixed(1)} MiB = ${(redisMemory / conversations / 1024).toFixed(1)} KiB a conversation (baseline included)`);
  await k.stop();
} finally {
  await stopAllPostgres();
  await stopAll();
}
