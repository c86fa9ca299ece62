/**
 * 数据 (#/manager): the managers' dashboard. The live counts at the top; below, for a date range
 * (今天 / 近7天 / 近30天 / custom): the self-service funnel with a chart per day, why chats went to
 * a person, satisfaction by category -> channel -> conversation, the FAQ entries used most, and the
 * feedback report to download. Everything refreshes on live events (debounced) and every 30 s;
 * a 1-2 rating arriving live shows a notice and is highlighted in the drill-down.
 */
import { html, useEffect, useMemo, useRef, useState } from '/vendor/preact-htm.js';
import { ApiError, clearSession, get, getOptional, session } from '../api.js';
import { canned } from '../data.js';
import { reasonLabel, when } from '../format.js';
import { live } from '../live.js';
import { useStore } from '../store.js';
import { toast, toastError } from '../toast.js';
import { FunnelChart, Sparkline } from './charts.js';
import { Icon } from './icons.js';

const STATS_REFRESH_MS = 10_000;
const RANGE_REFRESH_MS = 30_000;
const DEBOUNCE_MS = 500;
const RANGE_DEBOUNCE_MS = 1_000;
const MAX_DAYS = 366;
const TOP_FAQ = 8;

// ---------------------------------------------------------------------------------------------
// Dates: calendar days as YYYY-MM-DD, "today" in this browser's zone (the console's users work in
// the business zone; the server counts days there too).

const pad = (n) => String(n).padStart(2, '0');
const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const localToday = () => isoDay(new Date());
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const utc = (iso) => Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10)));
function addDays(iso, n) {
  const d = new Date(utc(iso) + n * 86_400_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}
const spanDays = (from, to) => Math.round((utc(to) - utc(from)) / 86_400_000) + 1;

const PRESETS = [
  { key: 'today', label: '今天', days: 1 },
  { key: '7', label: '近7天', days: 7 },
  { key: '30', label: '近30天', days: 30 },
];

function presetRange(key, today) {
  const p = PRESETS.find((x) => x.key === key) ?? PRESETS[1];
  return { from: addDays(today, 1 - p.days), to: today };
}

/** "11月24日" or "2026年11月24日 至 12月1日". */
function rangeText(from, to) {
  const part = (iso, withYear) => `${withYear ? `${iso.slice(0, 4)}年` : ''}${Number(iso.slice(5, 7))}月${Number(iso.slice(8, 10))}日`;
  const year = localToday().slice(0, 4);
  if (from === to) return part(from, from.slice(0, 4) !== year);
  const showYear = from.slice(0, 4) !== to.slice(0, 4) || from.slice(0, 4) !== year;
  return `${part(from, showYear)} 至 ${part(to, showYear && from.slice(0, 4) !== to.slice(0, 4))}`;
}

// ---------------------------------------------------------------------------------------------
// Numbers

const show = (n) => (typeof n === 'number' && Number.isFinite(n) ? String(n) : '—');
const sum = (o) => Object.values(o ?? {}).reduce((n, v) => n + (Number(v) || 0), 0);
const ratio = (n, d) => (d > 0 ? n / d : 0);
const pct = (n, d) => (d > 0 ? `${Math.round((n / d) * 100)}%` : '—');
const score1 = (x) => (Number.isFinite(Number(x)) ? Number(x).toFixed(1) : '—');
/** Colour band of an average or a single score: 1-2 bad, under 4 so-so, else good. */
const tone = (x) => (x <= 2.5 ? 'bad' : x < 4 ? 'mid' : 'good');
const categoryLabel = (c) => (c === 'uncategorized' ? '未分类' : c);
const worstFirst = (a, b) => a.average - b.average || b.count - a.count;

// ---------------------------------------------------------------------------------------------
// Data

/** Live counts: refreshed on live events (debounced: a busy queue sends many) and every 10 s. */
function useStats() {
  const [stats, setStats] = useState(null);
  const [agents, setAgents] = useState(null);
  const [error, setError] = useState('');
  const [at, setAt] = useState(null);
  useEffect(() => {
    let stopped = false;
    async function load() {
      try {
        const [s, a] = await Promise.all([get('/api/stats'), getOptional('/api/agents', null)]);
        if (stopped) return;
        setStats(s);
        setAgents(a?.items ?? null);
        setError('');
        setAt(new Date());
      } catch (err) {
        if (!stopped && !(err instanceof ApiError && err.status === 401)) setError('统计数据刷新失败，稍后自动重试');
      }
    }
    load();
    const timer = setInterval(load, STATS_REFRESH_MS);
    let debounce = null;
    const off = live.on('event', () => {
      clearTimeout(debounce);
      debounce = setTimeout(load, DEBOUNCE_MS);
    });
    return () => {
      stopped = true;
      clearInterval(timer);
      clearTimeout(debounce);
      off();
    };
  }, []);
  return { stats, agents, error, at };
}

/**
 * The range's funnel and satisfaction. `tick` changes on live events and every 30 s; an answer
 * that comes back after the range changed again is dropped.
 */
function useRangeData(from, to, tick) {
  const [state, setState] = useState({ funnel: null, csat: null, error: '', loading: true, at: null, key: '' });
  const seq = useRef(0);
  useEffect(() => {
    const n = ++seq.current;
    const key = `${from}_${to}`;
    setState((s) => ({ ...s, loading: true }));
    const qs = `from=${from}&to=${to}`;
    Promise.all([get(`/api/funnel?${qs}`), get(`/api/csat?${qs}`)])
      .then(([funnel, csat]) => {
        if (n === seq.current) setState({ funnel, csat, error: '', loading: false, at: new Date(), key });
      })
      .catch((err) => {
        if (n !== seq.current || (err instanceof ApiError && err.status === 401)) return;
        setState((s) => ({ ...s, loading: false, error: s.key === key ? '数据刷新失败，稍后自动重试' : '数据加载失败，请稍后重试' }));
      });
  }, [from, to, tick]);
  return state;
}

/** A counter bumped by live events (debounced) and every 30 s: the range data's refresh. */
function useRefreshTick() {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const bump = () => setTick((t) => t + 1);
    const timer = setInterval(bump, RANGE_REFRESH_MS);
    let debounce = null;
    const offEvent = live.on('event', () => {
      clearTimeout(debounce);
      debounce = setTimeout(bump, RANGE_DEBOUNCE_MS);
    });
    const offResync = live.on('resync', bump);
    return () => {
      clearInterval(timer);
      clearTimeout(debounce);
      offEvent();
      offResync();
    };
  }, []);
  return tick;
}

/** Low ratings (1-2) as they arrive: a toast, a notice on the page, and the conversation marked. */
function useLowRatings() {
  const [notices, setNotices] = useState([]);
  useEffect(() => {
    let stopped = false;
    const off = live.on('event', (e) => {
      if (e?.type !== 'low_rating' || !e.conv) return;
      const score = Number(e.data?.score);
      const item = { conv: e.conv, botId: e.botId ?? '', score: Number.isFinite(score) ? score : null, name: '', at: e.at ?? new Date().toISOString(), key: `${e.id ?? e.conv}-${Date.now()}` };
      setNotices((list) => [item, ...list.filter((x) => x.conv !== item.conv)].slice(0, 3));
      // The customer's name makes the notice actionable; the rating is shown either way.
      getOptional(`/api/conversations/${encodeURIComponent(e.conv)}`, null)
        .catch(() => null)
        .then((conv) => {
          if (stopped) return;
          const name = conv?.customer?.name || conv?.customer?.id || '';
          if (name) setNotices((list) => list.map((x) => (x.key === item.key ? { ...x, name } : x)));
          toast(html`收到差评：${item.score ?? '?'} 分${name ? html` · 客户 <bdi>${name}</bdi>` : ''}`, { kind: 'warn', detail: `会话 ${e.conv}`, ms: 8000 });
        });
    });
    return () => {
      stopped = true;
      off();
    };
  }, []);
  const dismiss = (key) => setNotices((list) => list.filter((x) => x.key !== key));
  return { notices, dismiss, fresh: new Set(notices.map((x) => x.conv)) };
}

// ---------------------------------------------------------------------------------------------
// Live counts

function Stat({ testid, label, value, icon, tone: t = '', hint }) {
  return html`<div class=${`stat${t ? ` stat-${t}` : ''}`}>
    <div class="stat-top"><span class="stat-icon"><${Icon} name=${icon} size=${16} /></span><span class="stat-label">${label}</span></div>
    <div class="stat-value" data-testid=${testid}>${show(value)}</div>
    ${hint ? html`<div class="stat-hint muted small">${hint}</div>` : null}
  </div>`;
}

function LiveStats({ stats }) {
  const s = stats ?? {};
  return html`<div class="stats-grid dash-live">
    <${Stat} testid="stat-waiting" label="排队等待" value=${s.waiting} icon="inbox" tone="info" hint="等待客服接入" />
    <${Stat} testid="stat-active" label="人工服务中" value=${s.active} icon="chat" hint="正在由客服处理" />
    <${Stat} testid="stat-online" label="在线客服" value=${s.agentsOnline} icon="users" hint="一分钟内有活动" />
    <${Stat} testid="stat-at-risk" label="即将超时" value=${s.slaAtRisk} icon="clock" tone=${s.slaAtRisk ? 'warn' : ''} hint="已用掉 80% 响应时限" />
    <${Stat} testid="stat-breached" label="已超时" value=${s.slaBreached} icon="alert" tone=${s.slaBreached ? 'breach' : ''} hint="超时仍未接入" />
    <${Stat} testid="stat-awaiting-fix" label="等待问题修复" value=${s.awaitingFix} icon="wrench" hint="待产品修复后回复" />
  </div>`;
}

// ---------------------------------------------------------------------------------------------
// The date range

function RangePicker({ range, today, onChange, loading, at }) {
  const [draft, setDraft] = useState({ from: range.from, to: range.to });
  const [problem, setProblem] = useState('');
  useEffect(() => setDraft({ from: range.from, to: range.to }), [range.from, range.to]);

  function edit(field, value) {
    const next = { ...draft, [field]: value };
    setDraft(next);
    if (!DAY_RE.test(next.from) || !DAY_RE.test(next.to)) return setProblem('请选择完整的日期');
    if (next.from > next.to) return setProblem('开始日期不能晚于结束日期');
    if (spanDays(next.from, next.to) > MAX_DAYS) return setProblem(`最多查询 ${MAX_DAYS} 天`);
    setProblem('');
    onChange({ preset: 'custom', from: next.from, to: next.to });
  }

  return html`<div class="dash-range" data-testid="dash-range">
    <div class="dash-range-title">
      <h2>区间数据</h2>
      <span class="muted small" data-testid="dash-range-text">${rangeText(range.from, range.to)}</span>
    </div>
    <div class="dash-seg" role="group" aria-label="时间范围">
      ${PRESETS.map(
        (p) => html`<button type="button" key=${p.key} class=${`dash-seg-btn${range.preset === p.key ? ' is-on' : ''}`} data-testid=${`dash-preset-${p.key}`}
            aria-pressed=${range.preset === p.key} onClick=${() => onChange({ preset: p.key, ...presetRange(p.key, today) })}>${p.label}</button>`,
      )}
    </div>
    <div class=${`dash-dates${range.preset === 'custom' ? ' is-on' : ''}`}>
      <label class="dash-sr" for="dash-from">开始日期</label>
      <input id="dash-from" class="input input-sm" type="date" data-testid="dash-from" value=${draft.from} max=${today}
        onChange=${(e) => edit('from', e.currentTarget.value)} />
      <span class="muted">至</span>
      <label class="dash-sr" for="dash-to">结束日期</label>
      <input id="dash-to" class="input input-sm" type="date" data-testid="dash-to" value=${draft.to} max=${today}
        onChange=${(e) => edit('to', e.currentTarget.value)} />
    </div>
    ${problem ? html`<span class="dash-range-problem" role="alert" data-testid="dash-range-problem">${problem}</span>` : null}
    <span class="spacer"></span>
    <span class="muted small dash-updated" aria-live="polite">
      ${loading ? html`<span class="dash-spin" aria-hidden="true"></span>正在更新…` : at ? `更新于 ${at.toLocaleTimeString('zh-CN', { hour12: false })} · 每 30 秒自动刷新` : ''}
    </span>
  </div>`;
}

// ---------------------------------------------------------------------------------------------
// 自助服务漏斗

function FunnelCard({ funnel }) {
  const t = funnel?.total;
  const conv = t?.conversations ?? 0;
  const handoffs = sum(t?.handoffs);
  const steps = t
    ? [
        { key: 'conversations', label: '会话', value: conv, of: conv, pctText: conv ? '100%' : '—', hint: '新开始的会话' },
        { key: 'botAnswered', label: '机器人解答', value: t.botAnswered, of: conv, pctText: `占会话 ${pct(t.botAnswered, conv)}`, hint: `另有推荐 ${t.suggested} · 未能回答 ${t.unanswered}` },
        { key: 'helpful', label: '答案有帮助', value: t.helpful, of: conv, pctText: `占解答 ${pct(t.helpful, t.botAnswered)}`, hint: `没帮上 ${t.notHelpful} · 未反馈 ${Math.max(0, t.botAnswered - t.helpful - t.notHelpful)}` },
        { key: 'handoffs', label: '转人工', value: handoffs, of: conv, pctText: `占会话 ${pct(handoffs, conv)}`, hint: '由客服接手' },
        { key: 'csat', label: '满意度评价', value: t.csat.count, of: conv, pctText: `占转人工 ${pct(t.csat.count, handoffs)}`, hint: t.csat.count ? `平均 ${score1(t.csat.average)} 分` : '暂无评价' },
      ]
    : [];
  const selfService = conv ? Math.max(0, 1 - handoffs / conv) : null;
  return html`<section class="card dash-card dash-funnel-card">
    <div class="dash-card-head">
      <h2 class="card-title-lg"><${Icon} name="chart" size=${17} />自助服务漏斗</h2>
      ${selfService === null ? null : html`<span class="dash-kpi" title="没有转人工的会话占比">自助解决率 <strong>${Math.round(selfService * 100)}%</strong></span>`}
    </div>
    ${t
      ? html`<div class="dash-funnel-body">
          <div class="funnel" data-testid="funnel">
            ${steps.map(
              (s) => html`<div class="funnel-step" key=${s.key} data-testid="funnel-step" data-step=${s.key} data-value=${s.value}>
                <div class="funnel-label"><span class="funnel-name">${s.label}</span><span class="funnel-hint">${s.hint}</span></div>
                <div class="funnel-track" aria-hidden="true"><span class=${`funnel-bar funnel-bar-${s.key}`} style=${{ width: `${Math.max(s.value ? 2 : 0, Math.round(ratio(s.value, s.of) * 100))}%` }}></span></div>
                <div class="funnel-num"><strong class="funnel-value">${s.value}</strong><span class="funnel-pct">${s.pctText}</span></div>
              </div>`,
            )}
          </div>
          <div class="dash-chart-wrap">
            <div class="dash-chart-title muted small">每日趋势</div>
            <${FunnelChart} days=${funnel.days} />
          </div>
        </div>`
      : html`<div class="dash-loading"><div class="spinner" aria-label="加载中"></div></div>`}
  </section>`;
}

// ---------------------------------------------------------------------------------------------
// 转人工原因

const REASON_ORDER = ['customer_asked', 'low_confidence', 'not_helpful', 'non_text', 'agent_initiated'];

function ReasonsCard({ funnel }) {
  const by = funnel?.total?.handoffs ?? {};
  const total = sum(by);
  const rows = [...new Set([...REASON_ORDER, ...Object.keys(by)])]
    .map((reason) => ({ reason, n: Number(by[reason] ?? 0) }))
    .sort((a, b) => b.n - a.n || REASON_ORDER.indexOf(a.reason) - REASON_ORDER.indexOf(b.reason));
  const max = Math.max(1, ...rows.map((r) => r.n));
  return html`<section class="card dash-card" data-testid="reasons">
    <div class="dash-card-head">
      <h2 class="card-title-lg"><${Icon} name="swap" size=${17} />转人工原因</h2>
      <span class="muted small">共 ${total} 次</span>
    </div>
    ${funnel
      ? html`<ul class="dash-bars">
          ${rows.map(
            (r) => html`<li class=${`dash-bar-row${r.n ? '' : ' is-zero'}`} key=${r.reason} data-testid="reason-row" data-reason=${r.reason} data-value=${r.n}>
              <span class="dash-bar-label">${reasonLabel(r.reason)}</span>
              <span class="dash-bar-track" aria-hidden="true"><span class=${`dash-bar-fill reason-${r.reason}`} style=${{ width: `${Math.round((r.n / max) * 100)}%` }}></span></span>
              <span class="dash-bar-num"><strong>${r.n}</strong><span class="muted">${pct(r.n, total)}</span></span>
            </li>`,
          )}
        </ul>`
      : html`<div class="dash-loading"><div class="spinner" aria-label="加载中"></div></div>`}
  </section>`;
}

// ---------------------------------------------------------------------------------------------
// 满意度

function ScoreChip({ score }) {
  return html`<span class=${`dash-score dash-score-${tone(score)}`}>${score} 分</span>`;
}

function Distribution({ csat }) {
  const counts = [0, 0, 0, 0, 0];
  for (const c of csat.categories) for (const ch of c.channels) for (const x of ch.conversations) if (x.score >= 1 && x.score <= 5) counts[x.score - 1] += 1;
  const max = Math.max(1, ...counts);
  return html`<div class="csat-dist" aria-label="评分分布">
    ${[5, 4, 3, 2, 1].map(
      (s) => html`<div class="csat-dist-row" key=${s}>
        <span class="csat-dist-label">${s} 分</span>
        <span class="dash-bar-track" aria-hidden="true"><span class=${`dash-bar-fill dist-${tone(s)}`} style=${{ width: `${Math.round((counts[s - 1] / max) * 100)}%` }}></span></span>
        <span class="csat-dist-n">${counts[s - 1]}</span>
      </div>`,
    )}
  </div>`;
}

function CsatCard({ csat, agents, fresh }) {
  const [openCat, setOpenCat] = useState(null);
  const [openChannel, setOpenChannel] = useState(null);
  const names = useMemo(() => new Map((agents ?? []).map((a) => [a.id, a.name])), [agents]);
  const total = csat?.total;
  return html`<section class="card dash-card dash-csat">
    <div class="dash-card-head">
      <h2 class="card-title-lg"><${Icon} name="check" size=${17} />满意度</h2>
      <span class="muted small">按分类 → 渠道 → 会话，最差的在前</span>
    </div>
    ${!csat
      ? html`<div class="dash-loading"><div class="spinner" aria-label="加载中"></div></div>`
      : html`<div class="csat-top">
            <div class="csat-total" data-testid="csat-total" data-count=${total.count} data-average=${total.average} data-low=${total.low}>
              <div class=${`csat-avg${total.count ? ` dash-tone-${tone(total.average)}` : ''}`}>${total.count ? score1(total.average) : '—'}<span class="csat-unit">${total.count ? ' 分' : ''}</span></div>
              <div class="muted small">${total.count} 份评价 · 满分 5 分</div>
              ${total.low ? html`<div class="csat-low-total">差评（1-2 分）${total.low} 份</div>` : html`<div class="muted small">没有差评</div>`}
            </div>
            ${total.count ? html`<${Distribution} csat=${csat} />` : null}
          </div>
          ${csat.categories.length === 0
            ? html`<div class="dash-empty muted">这段时间还没有客户评价</div>`
            : html`<ul class="csat-cats">
                ${csat.categories.map((c) => {
                  const open = openCat === c.category;
                  const hasFresh = c.channels.some((ch) => ch.conversations.some((x) => fresh.has(x.id)));
                  return html`<li key=${c.category} class=${`csat-cat${open ? ' is-open' : ''}`}>
                    <button type="button" class="csat-row" data-testid="csat-category" data-category=${c.category} aria-expanded=${open}
                      onClick=${() => {
                        setOpenCat(open ? null : c.category);
                        setOpenChannel(null);
                      }}>
                      <span class="csat-caret" aria-hidden="true">${open ? '▾' : '▸'}</span>
                      <span class="csat-name">${categoryLabel(c.category)}${hasFresh ? html`<span class="dash-fresh-dot" title="刚收到差评"></span>` : null}</span>
                      <span class=${`csat-score dash-tone-${tone(c.average)}`}>${score1(c.average)}</span>
                      <span class="csat-count muted">${c.count} 份</span>
                      <span class=${`csat-low${c.low ? ' has-low' : ''}`}>${c.low ? `差评 ${c.low}` : '无差评'}</span>
                    </button>
                    ${open
                      ? html`<ul class="csat-channels">
                          ${[...c.channels].sort(worstFirst).map((ch) => {
                            const chKey = `${c.category}|${ch.channel}`;
                            const chOpen = openChannel === chKey;
                            return html`<li key=${ch.channel} class=${`csat-ch${chOpen ? ' is-open' : ''}`}>
                              <button type="button" class="csat-row csat-row-ch" data-testid="csat-channel" data-channel=${ch.channel} aria-expanded=${chOpen}
                                onClick=${() => setOpenChannel(chOpen ? null : chKey)}>
                                <span class="csat-caret" aria-hidden="true">${chOpen ? '▾' : '▸'}</span>
                                <span class="csat-name"><${Icon} name="bot" size=${14} /><code>${ch.channel}</code></span>
                                <span class=${`csat-score dash-tone-${tone(ch.average)}`}>${score1(ch.average)}</span>
                                <span class="csat-count muted">${ch.count} 份</span>
                                <span class=${`csat-low${ch.low ? ' has-low' : ''}`}>${ch.low ? `差评 ${ch.low}` : '无差评'}</span>
                              </button>
                              ${chOpen
                                ? html`<ul class="csat-convs">
                                    ${[...ch.conversations]
                                      .sort((a, b) => a.score - b.score || (a.at < b.at ? 1 : -1))
                                      .map((x) => {
                                        const low = x.score <= 2;
                                        return html`<li key=${`${x.id}-${x.at}`}>
                                          <a class=${`csat-conv${low ? ' is-low' : ''}${fresh.has(x.id) ? ' is-fresh' : ''}`} href=${`#/c/${encodeURIComponent(x.id)}`}
                                            data-testid="csat-conv" data-conv-id=${x.id} data-score=${x.score}>
                                            <${ScoreChip} score=${x.score} />
                                            <span class="csat-conv-id">${x.id.slice(ch.channel.length + 1) || x.id}</span>
                                            ${fresh.has(x.id) ? html`<span class="dash-fresh-tag">新</span>` : null}
                                            <span class="muted small csat-conv-agent">${x.agentId ? `客服 ${names.get(x.agentId) ?? x.agentId}` : '未经人工'}</span>
                                            <span class="muted small csat-conv-at">${when(x.at)}</span>
                                            <span class="csat-conv-go" aria-hidden="true">查看 ›</span>
                                          </a>
                                        </li>`;
                                      })}
                                  </ul>`
                                : null}
                            </li>`;
                          })}
                        </ul>`
                      : null}
                  </li>`;
                })}
              </ul>`}`}
  </section>`;
}

// ---------------------------------------------------------------------------------------------
// 热门问题

function TopFaqCard({ funnel }) {
  const { byFaq } = useStore(canned);
  const counts = funnel?.total?.faq ?? {};
  const rows = Object.entries(counts)
    .map(([id, n]) => ({ id, n: Number(n) || 0 }))
    .filter((r) => r.n > 0)
    .sort((a, b) => b.n - a.n || a.id.localeCompare(b.id))
    .slice(0, TOP_FAQ);
  const total = sum(counts);
  const max = Math.max(1, ...rows.map((r) => r.n));
  const days = funnel?.days ?? [];
  return html`<section class="card dash-card dash-top">
    <div class="dash-card-head">
      <h2 class="card-title-lg"><${Icon} name="book" size=${17} />热门问题</h2>
      <span class="muted small">机器人用知识库条目解答的次数</span>
    </div>
    ${!funnel
      ? html`<div class="dash-loading"><div class="spinner" aria-label="加载中"></div></div>`
      : rows.length === 0
        ? html`<div class="dash-empty muted">这段时间机器人还没有用知识库解答过问题</div>`
        : html`<ol class="dash-top-list">
            ${rows.map((r, i) => {
              const title = byFaq.get(r.id)?.title;
              return html`<li class="dash-top-row" key=${r.id} data-testid="top-faq" data-faq-id=${r.id} data-value=${r.n}>
                <span class=${`dash-top-rank${i < 3 ? ' is-top' : ''}`}>${i + 1}</span>
                <span class="dash-top-main">
                  <span class="dash-top-title" title=${title ?? r.id}>${title ?? r.id}</span>
                  <span class="dash-top-sub"><code>${r.id}</code><span class="dash-bar-track dash-top-track" aria-hidden="true"><span class="dash-bar-fill" style=${{ width: `${Math.round((r.n / max) * 100)}%` }}></span></span></span>
                </span>
                ${days.length > 1 ? html`<${Sparkline} values=${days.map((d) => Number(d.faq?.[r.id] ?? 0))} label=${`${title ?? r.id} 每日解答次数`} />` : null}
                <span class="dash-top-num"><strong>${r.n}</strong><span class="muted small">${pct(r.n, total)}</span></span>
              </li>`;
            })}
          </ol>`}
  </section>`;
}

// ---------------------------------------------------------------------------------------------
// 下载反馈报告

const CSV_FILES = [
  { file: 'daily.csv', label: '每日数据' },
  { file: 'top-issues.csv', label: '热门问题' },
  { file: 'problems.csv', label: '已知问题' },
  { file: 'csat.csv', label: '满意度' },
  { file: 'unanswered.csv', label: '未解答问题' },
];

/** The report routes need the bearer token, so no plain link: fetch, then a Blob URL to save. */
async function download(from, to, file) {
  const qs = new URLSearchParams({ from, to });
  if (file) qs.set('file', file);
  let res;
  try {
    res = await fetch(`/api/report?${qs}`, { headers: { authorization: `Bearer ${session.token}` } });
  } catch {
    throw new ApiError(0, 'NETWORK', 'network error');
  }
  if (res.status === 401) clearSession();
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    throw new ApiError(res.status, data?.error?.code ?? `HTTP_${res.status}`, data?.error?.message ?? res.statusText);
  }
  const blob = await res.blob();
  const named = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
  const name = named ?? `report-${from}_${to}${file ? `-${file}` : '.md'}`;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

const DownloadIcon = () => html`<svg class="icon" width="15" height="15" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8"
  stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M12 4v11 M7 10l5 5 5-5 M5 20h14" /></svg>`;

function ReportCard({ range }) {
  const [busy, setBusy] = useState('');
  async function save(file) {
    setBusy(file || 'md');
    try {
      // The browser shows the file it saved: no toast on top of that.
      await download(range.from, range.to, file);
    } catch (err) {
      toastError(err, '下载失败', { 503: '控制台没有加载知识库，无法生成报告' });
    } finally {
      setBusy('');
    }
  }
  return html`<section class="card dash-card dash-report">
    <div class="dash-card-head">
      <h2 class="card-title-lg"><${DownloadIcon} />下载反馈报告</h2>
      <span class="muted small">${rangeText(range.from, range.to)}</span>
    </div>
    <p class="muted small dash-report-help">热门问题及趋势、已知问题影响的客户、满意度、机器人没答上的问题（已去除客户姓名）。</p>
    <button type="button" class="btn btn-primary dash-report-md" data-testid="report-md" disabled=${Boolean(busy)} onClick=${() => save('')}>
      ${busy === 'md' ? html`<span class="dash-spin dash-spin-light" aria-hidden="true"></span>` : html`<${DownloadIcon} />`}完整报告（Markdown）
    </button>
    <div class="dash-csvs">
      ${CSV_FILES.map(
        (f) => html`<button type="button" key=${f.file} class="btn btn-sm" data-testid="report-csv" data-file=${f.file} disabled=${Boolean(busy)}
            title=${f.file} onClick=${() => save(f.file)}>${busy === f.file ? html`<span class="dash-spin" aria-hidden="true"></span>` : null}${f.label}<span class="dash-csv-ext">CSV</span></button>`,
      )}
    </div>
  </section>`;
}

// ---------------------------------------------------------------------------------------------
// Agents and all-time totals

function AgentsCard({ agents, stats }) {
  const online = agents ? agents.filter((a) => a.online) : [];
  const s = stats ?? {};
  return html`<section class="card dash-card">
    <div class="dash-card-head">
      <h2 class="card-title-lg"><${Icon} name="users" size=${17} />客服在线情况 ${agents ? html`<span class="count">${online.length}/${agents.length}</span>` : null}</h2>
    </div>
    ${agents === null
      ? html`<div class="muted">暂时无法获取客服列表</div>`
      : html`<ul class="agent-list">${agents.map(
          (a) => html`<li key=${a.id} class="agent-row"><span class=${`dot ${a.online ? 'dot-on' : 'dot-off'}`} aria-hidden="true"></span>
            <span class="agent-name">${a.name}</span><span class="muted small">${a.username}</span>
            <span class=${`agent-state ${a.online ? 'is-on' : ''}`}>${a.online ? '在线' : '离线'}</span></li>`,
        )}</ul>`}
    <div class="dash-alltime">
      <span class="muted small">累计</span>
      <span>会话 <strong>${show(s.conversations)}</strong></span>
      <span>机器人解答 <strong>${show(s.botAnswered)}</strong></span>
      <span>转人工 <strong>${show(s.handoffs)}</strong></span>
      <span>满意度 <strong>${s.csat?.count ? `${score1(s.csat.average)} 分` : '—'}</strong>${s.csat?.count ? html`<span class="muted small">（${s.csat.count} 份）</span>` : null}</span>
    </div>
  </section>`;
}

// ---------------------------------------------------------------------------------------------

function LowRatingNotices({ notices, dismiss }) {
  if (!notices.length) return null;
  return html`<div class="dash-notices">
    ${notices.map(
      (n) => html`<div class="dash-notice" key=${n.key} role="alert" data-testid="low-rating-notice" data-conv-id=${n.conv} data-score=${n.score ?? ''}>
        <${Icon} name="alert" size=${18} />
        <span class="dash-notice-text">收到差评：<strong>${n.score ?? '?'} 分</strong>${n.name ? html` · 客户 <bdi>${n.name}</bdi>` : ''}<span class="muted small"> · ${n.botId || '—'} · ${when(n.at)}</span></span>
        <a class="btn btn-sm dash-notice-go" href=${`#/c/${encodeURIComponent(n.conv)}`}>查看会话</a>
        <button type="button" class="dash-notice-x" aria-label="关闭" onClick=${() => dismiss(n.key)}>×</button>
      </div>`,
    )}
  </div>`;
}

export function ManagerPage() {
  const { stats, agents, error, at } = useStats();
  const [today, setToday] = useState(localToday);
  const [range, setRange] = useState(() => ({ preset: '7', ...presetRange('7', localToday()) }));
  const tick = useRefreshTick();
  const { notices, dismiss, fresh } = useLowRatings();

  // A preset follows the calendar: past midnight, 今天 is the new day.
  useEffect(() => {
    const now = localToday();
    if (now === today) return;
    setToday(now);
    if (range.preset !== 'custom') setRange({ preset: range.preset, ...presetRange(range.preset, now) });
  }, [tick]);

  const data = useRangeData(range.from, range.to, tick);
  const funnel = data.funnel;

  return html`<main class="page dash" data-testid="manager-page">
    <header class="page-head">
      <div><h1>运营概览</h1><p class="muted">实时数据，随会话变化自动刷新${at ? ` · 更新于 ${at.toLocaleTimeString('zh-CN', { hour12: false })}` : ''}</p></div>
    </header>
    ${error ? html`<div class="inline-error">${error}</div>` : null}
    <${LowRatingNotices} notices=${notices} dismiss=${dismiss} />
    <${LiveStats} stats=${stats} />
    <${RangePicker} range=${range} today=${today} onChange=${setRange} loading=${data.loading} at=${data.at} />
    ${data.error ? html`<div class="inline-error" data-testid="dash-error">${data.error}</div>` : null}
    <${FunnelCard} funnel=${funnel} />
    <div class="dash-grid">
      <div class="dash-col">
        <${ReasonsCard} funnel=${funnel} />
        <${TopFaqCard} funnel=${funnel} />
        <${AgentsCard} agents=${agents} stats=${stats} />
      </div>
      <div class="dash-col">
        <${CsatCard} csat=${data.csat} agents=${agents} fresh=${fresh} />
        <${ReportCard} range=${range} />
      </div>
    </div>
  </main>`;
}
