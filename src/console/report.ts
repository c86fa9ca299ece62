/**
 * The feedback report for the dev team (`kefu report`, and GET /api/report in the console): top
 * issues with their daily trend, known problems open and fixed with the customers affected,
 * satisfaction by category and channel, and the most common questions the bot could not answer
 * with example quotes. Markdown for people, CSV files for spreadsheets. No customer names: quotes
 * are what customers asked, with any name the handoff knows for them blanked out.
 */
import { toCsv } from '../csv.ts';
import type { Handoff } from '../handoff/index.ts';
import { groupGaps, type KnowledgeService } from '../knowledge/index.ts';
import type { ArchiveShortfall } from '../archive/reports.ts';
import type { KnowledgeGap } from '../handoff/index.ts';
import { csatByCategory, dayRange, funnel, type ReportArchive } from './insights.ts';
import { categoryLabel, channelLabel, problemStatusLabel, reasonLabel } from './labels.ts';
import { serviceLevels } from './service-levels.ts';

export interface ReportOptions {
  from: string;
  to: string;
  timezone: string;
  /** Agent id -> console name, for the per-agent table (absent: ids are shown). */
  agentNames?: ReadonlyMap<string, string>;
  /** The archive: what left Redis is read from it (a quarter's report is complete). */
  archive?: Omit<ReportArchive, 'timezone'>;
}

/** Without an archive: the newest questions missed over all time, then those in the range (as before). */
const LIVE_GAPS = 500;
/** With an archive: the newest questions missed in the range. */
const RANGE_GAPS = 5_000;

export interface Report {
  markdown: string;
  /** File name -> CSV text (../csv.ts: UTF-8 with a BOM, cells that could be formulas neutralised). */
  csv: Record<string, string>;
}

/** Markdown table cell: one line, pipes escaped. */
const md = (v: unknown): string => String(v ?? '').replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** A customer's words with their known display names blanked (they asked; the report is shared). */
function scrub(text: string, names: readonly string[]): string {
  let out = text;
  for (const n of names) if (n.length >= 2) out = out.split(n).join('[客户]');
  return out;
}

export async function buildReport(handoff: Handoff, knowledge: KnowledgeService, opts: ReportOptions): Promise<Report> {
  const { days, fromMs, toMs } = dayRange(opts.from, opts.to, opts.timezone);
  const matcher = knowledge.matcher();
  const question = (id: string): string => matcher.entry(id)?.question ?? id;

  const archive = opts.archive ? { reports: opts.archive.reports, timezone: opts.timezone } : undefined;
  const gapsOf = async (): Promise<{ gaps: KnowledgeGap[]; incomplete?: ArchiveShortfall }> => {
    if (!archive) return { gaps: (await handoff.knowledgeGaps(LIVE_GAPS)).filter((g) => Date.parse(g.at) >= fromMs && Date.parse(g.at) < toMs) };
    const got = await archive.reports.gaps({ days, fromMs, toMs, timezone: opts.timezone }, RANGE_GAPS);
    return { gaps: got.gaps, ...(got.shortfall ? { incomplete: got.shortfall } : {}) };
  };
  const [f, csat, problems, missed, service] = await Promise.all([
    funnel(handoff, days, archive),
    // The report shows counts, not the conversations behind them.
    csatByCategory(handoff, knowledge, fromMs, toMs, archive ? { ...archive, days, conversations: false } : undefined),
    handoff.problems.list(),
    gapsOf(),
    serviceLevels(handoff, { days, fromMs, toMs }, archive, opts.agentNames),
  ]);
  // A channel column names the door (微信客服, 公众号…) and the bot account it is.
  const channelBots = [...new Set(csat.categories.flatMap((c) => c.channels.map((ch) => ch.channel)))];
  const kinds = new Map(await Promise.all(channelBots.map(async (b) => [b, (await handoff.registry.channel(b).catch(() => null))?.kind ?? ''] as const)));
  const channelName = (botId: string): string => (kinds.get(botId) ? `${channelLabel(kinds.get(botId))}（${botId}）` : botId);

  // Top issues: FAQ answers in the range, with the daily trend.
  const top = Object.entries(f.total.faq)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10);
  // Problems touched in the range: created or fixed in it, or still open.
  const inRange = (iso: string | null) => iso !== null && Date.parse(iso) >= fromMs && Date.parse(iso) < toMs;
  const relevant = problems.filter((p) => p.status === 'open' || inRange(p.createdAt) || inRange(p.fixedAt));
  const affected = await Promise.all(relevant.map(async (p) => ({ p, linked: await handoff.problems.linked(p.id) })));

  const gapsInRange = missed.gaps;
  const convIds = [...new Set(gapsInRange.map((g) => g.conv))];
  // Archived conversations have left Redis: their names come from the archive.
  const convNames = archive ? await archive.reports.customerNames(convIds) : new Map<string, string>();
  await Promise.all(
    convIds.map(async (id) => {
      const c = await handoff.conversation(id).catch(() => null);
      if (c?.customer.name) convNames.set(id, c.customer.name);
    }),
  );
  const names = [...new Set(convNames.values())];
  const groups = groupGaps(
    gapsInRange.map((g) => ({ text: scrub(g.text, names), reason: g.reason, at: g.at, conv: g.conv, faqId: g.faqId })),
    matcher,
    { limit: 15 },
  );

  const t = f.total;
  const handoffs = Object.values(t.handoffs).reduce((a, b) => a + b, 0);
  const pct = (n: number, of: number) => (of ? `${Math.round((n / of) * 1000) / 10}%` : '—');
  const lines: string[] = [];
  lines.push(`# 客服反馈报告 ${opts.from} 至 ${opts.to}`, '');
  lines.push(`时区 ${opts.timezone}。由 kefu-bridge 生成；不含客户姓名。`, '');
  const unread = [...new Set([f.incomplete, csat.incomplete, missed.incomplete, service.incomplete].flatMap((i) => i?.unreadDays ?? []))].sort();
  if (unread.length) {
    lines.push(`> **数据不完整**：归档数据库暂时无法读取，以下日期的数字可能偏少（共 ${unread.length} 天）：${unread.join('、')}。请在归档恢复后重新生成报告。`, '');
  }
  lines.push('## 概览', '');
  lines.push('| 指标 | 数值 |', '|---|---|');
  lines.push(`| 会话 | ${t.conversations} |`);
  lines.push(`| 机器人直接解答 | ${t.botAnswered} |`);
  lines.push(`| 反馈“有帮助” / “没解决” | ${t.helpful} / ${t.notHelpful}（有帮助 ${pct(t.helpful, t.helpful + t.notHelpful)}） |`);
  lines.push(`| “您是想问”推荐 | ${t.suggested} |`);
  lines.push(`| 机器人答不上来 | ${t.unanswered} |`);
  lines.push(`| 转人工 | ${handoffs}（${Object.entries(t.handoffs).map(([r, n]) => `${reasonLabel(r)} ${n}`).join('，') || '无'}） |`);
  lines.push(`| 满意度 | ${csat.total.count ? `${csat.total.average} 分，${csat.total.count} 份评价，差评 ${csat.total.low}` : '暂无评价'} |`, '');

  // Off-hours work is 0 business minutes: "0 分钟" would read as instant.
  const mins = (m: number | null) => (m === null ? '—' : m < 1 ? '不到 1 分钟' : `${m} 分钟`);
  const fr = service.firstResponse;
  lines.push('## 人工服务', '');
  lines.push('时间按工作时间计，从转人工开始算。', '');
  lines.push('| 指标 | 数值 |', '|---|---|');
  lines.push(`| 首次响应 | ${fr.count ? `中位数 ${mins(fr.medianMinutes)}，平均 ${fr.averageMinutes} 分钟，共 ${fr.count} 次` : '暂无'} |`);
  lines.push(`| 响应时限内首次回复 | ${fr.count ? `${pct(fr.slaMetCount, fr.count)}（${fr.slaMetCount} / ${fr.count}）` : '—'} |`);
  lines.push(`| 解决用时 | ${service.resolution.count ? `中位数 ${mins(service.resolution.medianMinutes)}，平均 ${service.resolution.averageMinutes} 分钟，共 ${service.resolution.count} 次` : '暂无'} |`, '');
  if (service.agents.length) {
    lines.push('| 客服 | 接待 | 已解决 | 回复 | 首次响应中位数 | 时限内首次回复 | 满意度 |', '|---|---|---|---|---|---|---|');
    for (const a of service.agents) {
      const c = a.csat.count ? `${a.csat.average} 分（${a.csat.count} 份，差评 ${a.csat.low}）` : '暂无评价';
      lines.push(`| ${md(a.name ?? a.agentId)} | ${a.served} | ${a.handled} | ${a.replies} | ${a.firstResponse.count ? `${mins(a.firstResponse.medianMinutes)}（${a.firstResponse.count} 次）` : '—'} | ${a.firstResponse.count ? pct(a.firstResponse.slaMetCount, a.firstResponse.count) : '—'} | ${c} |`);
    }
    lines.push('');
  }

  lines.push('## 热门问题（按机器人解答次数）', '');
  if (top.length === 0) lines.push('这段时间没有机器人解答记录。', '');
  else {
    lines.push(`| # | 问题 | 次数 | 每日趋势（${days[0]} → ${days.at(-1)}） |`, '|---|---|---|---|');
    top.forEach(([id, n], i) => lines.push(`| ${i + 1} | ${md(question(id))} (\`${id}\`) | ${n} | ${f.days.map((d) => d.faq[id] ?? 0).join(' ')} |`));
    lines.push('');
  }

  lines.push('## 已知问题', '');
  if (affected.length === 0) lines.push('没有进行中或在这段时间内修复的已知问题。', '');
  else {
    lines.push('| 编号 | 问题 | 状态 | 影响客户 | 已通知 | 修复说明 |', '|---|---|---|---|---|---|');
    for (const { p, linked } of affected) {
      lines.push(`| ${p.id} | ${md(p.title)} | ${p.status === 'fixed' ? `${problemStatusLabel('fixed')} ${p.fixedAt?.slice(0, 10) ?? ''}` : problemStatusLabel(p.status)} | ${linked.length} | ${linked.filter((l) => l.notified).length} | ${md(p.note ?? '')} |`);
    }
    lines.push('');
  }

  lines.push('## 满意度（按分类，再按渠道）', '');
  if (csat.categories.length === 0) lines.push('这段时间没有评价。', '');
  else {
    lines.push('| 分类 | 渠道 | 评价数 | 平均分 | 差评（1-2 分） |', '|---|---|---|---|---|');
    for (const c of csat.categories) {
      lines.push(`| **${md(categoryLabel(c.category))}** | 全部 | ${c.count} | ${c.average} | ${c.low} |`);
      for (const ch of c.channels) lines.push(`| | ${md(channelName(ch.channel))} | ${ch.count} | ${ch.average} | ${ch.low} |`);
    }
    lines.push('');
  }

  lines.push('## 机器人答不上来的问题（相似问法归组）', '');
  if (groups.length === 0) lines.push('没有记录。', '');
  else {
    lines.push('| # | 问法 | 次数 | 答不上来 / 没帮上忙 / 只给了选项没选 | 例句 |', '|---|---|---|---|---|');
    groups.forEach((g, i) =>
      lines.push(
        `| ${i + 1} | ${md(g.label)} | ${g.count} | ${g.reasons.unanswered} / ${g.reasons.not_helpful} / ${g.reasons.suggested} | ${g.examples.map((e) => `“${md(e.text)}”`).join('；')} |`,
      ),
    );
    lines.push('');
  }

  const csv: Record<string, string> = {
    'daily.csv': toCsv([
      ['date', 'conversations', 'bot_answered', 'helpful', 'not_helpful', 'suggested', 'unanswered', 'handoffs', 'csat_count', 'csat_average'],
      ...f.days.map((d) => [d.date, d.conversations, d.botAnswered, d.helpful, d.notHelpful, d.suggested, d.unanswered, Object.values(d.handoffs).reduce((a, b) => a + b, 0), d.csat.count, d.csat.average]),
    ]),
    'top-issues.csv': toCsv([['faq_id', 'question', 'answers', ...days], ...top.map(([id, n]) => [id, question(id), n, ...f.days.map((d) => d.faq[id] ?? 0)])]),
    'problems.csv': toCsv([
      ['id', 'title', 'status', 'created_at', 'fixed_at', 'customers_affected', 'customers_notified', 'note'],
      ...affected.map(({ p, linked }) => [p.id, p.title, p.status, p.createdAt, p.fixedAt ?? '', linked.length, linked.filter((l) => l.notified).length, p.note ?? '']),
    ]),
    'csat.csv': toCsv([
      ['category', 'channel', 'count', 'average', 'low'],
      ...csat.categories.flatMap((c) => [[c.category, '', c.count, c.average, c.low], ...c.channels.map((ch) => [c.category, ch.channel, ch.count, ch.average, ch.low])]),
    ]),
    'unanswered.csv': toCsv([
      // suggested (a "did you mean" list never picked from) last: columns tools read by position stay put.
      ['question', 'count', 'unanswered', 'not_helpful', 'examples', 'suggested'],
      ...groups.map((g) => [g.label, g.count, g.reasons.unanswered, g.reasons.not_helpful, g.examples.map((e) => e.text).join(' | '), g.reasons.suggested]),
    ]),
  };
  return { markdown: lines.join('\n'), csv };
}
