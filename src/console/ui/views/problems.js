/**
 * Known problems, the closed loop: the 关联已知问题 dialog of a chat (pick an open problem, or
 * create one and link in one go: the chat is parked as 等待问题修复), and the 已知问题 page
 * (#/problems, agents and up): open and fixed problems, a problem's linked chats and whether each
 * customer has been told, and for managers 标记为已修复, which has the bot tell every linked
 * customer once.
 */
import { html, useEffect, useMemo, useRef, useState } from '/vendor/preact-htm.js';
import { ApiError, describeError, get } from '../api.js';
import { ago, hasRole, STATUSES, when } from '../format.js';
import { live } from '../live.js';
import { createProblem, linkProblem, markFixed, PROBLEM_EVENTS, PROBLEM_STATUSES, problems, refreshProblems, rememberProblem } from '../problems.js';
import { useNow, useStore } from '../store.js';
import { toast } from '../toast.js';
import { Icon } from './icons.js';
import { Avatar, Bidi, customerName } from './queue.js';

export const TITLE_MAX = 100;
export const DESC_MAX = 2000;
export const NOTE_MAX = 500;

const length = (s) => [...s].length;
const problemHref = (id) => `#/problems/${encodeURIComponent(id)}`;
const byLine = (agent, iso, now, verb) => `${agent?.name ?? '系统'} ${verb}于 ${ago(iso, now)}`;

/** Why a link failed, in one sentence (the API's 409s mean different things). */
function linkError(err) {
  if (err instanceof ApiError && err.status === 409) {
    if (err.code === 'NOT_ASSIGNEE') return '该会话已由其他客服接入，只有负责人或主管可以关联问题';
    if (/^problem /.test(err.message ?? '')) return '该问题已修复，不能再关联会话，请新建一个问题';
    return '会话状态已变化（可能已被解决或已关联问题），请刷新后再试';
  }
  if (err instanceof ApiError && err.status === 404) return '找不到该问题或会话，可能已被删除';
  return describeError(err).text;
}

function useEscape(onClose) {
  useEffect(() => {
    const onKey = (e) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      e.preventDefault();
      onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);
}

/**
 * The dialog of a chat: open problems (search by title) with 关联, and 新建问题 (title, optional
 * description) that creates the problem and links the chat at once. `onLinked` gets the parked
 * conversation the server answers with.
 */
export function LinkProblemDialog({ convId, onClose, onLinked }) {
  const { items, loaded, failed } = useStore(problems);
  const now = useNow(30_000);
  const [query, setQuery] = useState('');
  const [title, setTitle] = useState('');
  const [desc, setDesc] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const searchRef = useRef(null);
  useEscape(onClose);

  useEffect(() => {
    refreshProblems();
    searchRef.current?.focus();
  }, []);

  const open = useMemo(() => items.filter((p) => p.status === 'open'), [items]);
  const q = query.trim().toLowerCase();
  const shown = q ? open.filter((p) => p.title.toLowerCase().includes(q) || p.id.toLowerCase() === q) : open;

  async function link(problemId) {
    if (busy) return;
    setBusy(true);
    setError('');
    try {
      const conv = await linkProblem(convId, problemId);
      onLinked(conv);
    } catch (err) {
      setError(linkError(err));
      refreshProblems();
    } finally {
      setBusy(false);
    }
  }

  async function create(e) {
    e.preventDefault();
    const t = title.trim();
    if (!t || busy || length(t) > TITLE_MAX) return;
    setBusy(true);
    setError('');
    let problem;
    try {
      problem = await createProblem(t, desc.trim());
    } catch (err) {
      setError(`新建问题失败：${describeError(err).text}`);
      setBusy(false);
      return;
    }
    setTitle('');
    setDesc('');
    try {
      const conv = await linkProblem(convId, problem.id);
      onLinked(conv);
    } catch (err) {
      // The problem exists now: it is in the list above, to link again.
      setError(`问题 ${problem.id} 已新建，但关联失败：${linkError(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return html`<div class="kp-overlay" onMouseDown=${(e) => {
      if (e.target === e.currentTarget) onClose();
    }}>
    <div class="kp-dialog" role="dialog" aria-modal="true" aria-labelledby="kp-dialog-title" data-testid="problem-dialog">
      <header class="kp-dialog-head">
        <h2 id="kp-dialog-title"><${Icon} name="flag" size=${17} />关联已知问题</h2>
        <button type="button" class="kp-close" data-testid="problem-dialog-close" aria-label="关闭" title="关闭（Esc）" onClick=${onClose}>×</button>
      </header>
      <p class="kp-dialog-help muted small">关联后会话挂起，不再占用排队时限；问题修复后，机器人会自动通知客户。</p>
      <div class="kp-dialog-body">
        <div class="search kp-search"><${Icon} name="search" size=${14} />
          <input class="input input-sm" ref=${searchRef} data-testid="problem-search" placeholder="按标题搜索进行中的问题" aria-label="搜索问题"
            value=${query} onInput=${(e) => setQuery(e.currentTarget.value)} /></div>
        <ul class="kp-options" aria-label="进行中的问题">
          ${!loaded ? html`<li class="kp-empty">加载中…</li>` : null}
          ${loaded && failed && open.length === 0 ? html`<li class="kp-empty">问题列表加载失败，稍后自动重试</li>` : null}
          ${loaded && !failed && open.length === 0 ? html`<li class="kp-empty">还没有进行中的问题，可以在下方新建</li>` : null}
          ${loaded && open.length > 0 && shown.length === 0 ? html`<li class="kp-empty">没有标题包含“${query.trim()}”的问题</li>` : null}
          ${shown.map(
            (p) => html`<li key=${p.id} class="kp-option" data-testid="problem-option" data-problem-id=${p.id}>
              <div class="kp-option-main">
                <span class="kp-option-title" data-testid="problem-option-title">${p.title}</span>
                <span class="kp-option-meta"><code>${p.id}</code> · 已关联 ${p.linked} 位客户 · ${byLine(p.createdBy, p.createdAt, now, '创建')}</span>
              </div>
              <button type="button" class="btn btn-sm btn-primary" data-testid="problem-link-btn" disabled=${busy} onClick=${() => link(p.id)}>关联</button>
            </li>`,
          )}
        </ul>
        <form class="kp-new" onSubmit=${create}>
          <h3 class="kp-new-title"><${Icon} name="plus" size=${14} />新建问题</h3>
          <input class="input input-sm" data-testid="problem-new-title" placeholder="问题标题，例如：导出的视频打不开" aria-label="问题标题"
            maxlength=${TITLE_MAX} value=${title} onInput=${(e) => setTitle(e.currentTarget.value)} />
          <textarea class="input kp-new-desc" data-testid="problem-new-desc" rows="3" maxlength=${DESC_MAX} aria-label="问题描述（可选）"
            placeholder="描述（可选）：影响的版本、复现步骤、临时解决办法…" value=${desc} onInput=${(e) => setDesc(e.currentTarget.value)}></textarea>
          <div class="row-between">
            <span class="muted small">新建后立即关联当前会话</span>
            <button type="submit" class="btn btn-sm btn-primary" data-testid="problem-new-create" disabled=${busy || !title.trim()}>新建并关联</button>
          </div>
        </form>
        ${error ? html`<div class="form-error" role="alert" data-testid="problem-error">${error}</div>` : null}
      </div>
    </div>
  </div>`;
}

// ---------------------------------------------------------------------------------------------
// 已知问题 page

function StatusPill({ status }) {
  return html`<span class=${`kp-status kp-status-${status}`}>${status === 'fixed' ? html`<${Icon} name="check" size=${12} />` : null}${PROBLEM_STATUSES[status] ?? status}</span>`;
}

function ProblemRow({ p, selected, now }) {
  return html`<li>
    <a href=${problemHref(p.id)} class=${`kp-row${selected ? ' is-selected' : ''}`} data-testid="problem-row" data-problem-id=${p.id} data-status=${p.status}
        aria-current=${selected ? 'true' : undefined}>
      <div class="kp-row-top">
        <code class="kp-id" data-testid="problem-id">${p.id}</code>
        <span class="kp-row-title" data-testid="problem-title">${p.title}</span>
        <span class="kp-linked" data-testid="problem-linked" title="关联的客户会话">${p.linked} 位客户</span>
      </div>
      <div class="kp-row-meta" title=${when(p.status === 'fixed' ? p.fixedAt : p.createdAt, now)}>
        ${p.status === 'fixed' ? byLine(p.fixedBy, p.fixedAt, now, '修复') : byLine(p.createdBy, p.createdAt, now, '创建')}
      </div>
    </a>
  </li>`;
}

/** A problem with its linked conversations, kept current by the live events that concern it. */
function useProblem(id) {
  const [state, setState] = useState({ problem: null, missing: false, error: '' });
  const convs = useRef(new Set());
  const loader = useRef(null);

  useEffect(() => {
    let stopped = false;
    let busy = false;
    let again = false;
    async function load() {
      if (stopped) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        const problem = await get(`/api/problems/${encodeURIComponent(id)}`);
        if (stopped) return;
        convs.current = new Set((problem.conversations ?? []).map((c) => c.id));
        // A fix is final: an answer read before it (an open problem) must not undo what the page shows.
        setState((s) => (s.problem?.status === 'fixed' && problem.status !== 'fixed' ? s : { problem, missing: false, error: '' }));
      } catch (err) {
        if (stopped) return;
        if (err instanceof ApiError && err.status === 404) setState({ problem: null, missing: true, error: '' });
        else if (!(err instanceof ApiError && err.status === 401)) setState((s) => ({ ...s, error: '问题详情加载失败，稍后自动重试' }));
      } finally {
        busy = false;
        if (again && !stopped) {
          again = false;
          load();
        }
      }
    }
    loader.current = load;
    load();
    let debounce = null;
    const soon = () => {
      clearTimeout(debounce);
      debounce = setTimeout(load, 150);
    };
    const offs = [
      live.on('event', (ev) => {
        // A link or a fix of this problem, or anything that happens to one of its conversations.
        if ((PROBLEM_EVENTS.has(ev?.type) && ev.data?.problemId === id) || convs.current.has(ev?.conv)) soon();
      }),
      live.on('resync', soon),
    ];
    const timer = setInterval(load, 30_000);
    return () => {
      stopped = true;
      loader.current = null;
      clearTimeout(debounce);
      clearInterval(timer);
      offs.forEach((off) => off());
    };
  }, [id]);

  return {
    ...state,
    setProblem: (problem) => setState({ problem, missing: false, error: '' }),
    reload: () => loader.current?.(),
  };
}

function FixForm({ problem, onFixed }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const count = problem.conversations?.length ?? problem.linked ?? 0;
  const over = length(note.trim()) > NOTE_MAX;
  async function submit(e) {
    e.preventDefault();
    const value = note.trim();
    if (!value) {
      setError('请填写修复说明，它会随通知一起发给客户');
      return;
    }
    if (busy || over) return;
    setBusy(true);
    setError('');
    try {
      const res = await markFixed(problem.id, value);
      setNote('');
      onFixed(res);
    } catch (err) {
      setError(`标记失败：${describeError(err).text}`);
    } finally {
      setBusy(false);
    }
  }
  return html`<form class="kp-fix" onSubmit=${submit} data-testid="problem-fix-form">
    <h3 class="kp-section-title"><${Icon} name="check" size=${14} />标记为已修复</h3>
    <p class="muted small">机器人会把「问题已修复」的消息连同下面的说明发给每位关联的客户（每人只发一次），挂起的会话随之结束。</p>
    <textarea class="input kp-fix-note" data-testid="problem-fix-note" rows="3" maxlength=${NOTE_MAX} required aria-label="修复说明"
      placeholder="修复说明（必填，会发给客户），例如：已在 3.2.1 修复，请升级后重试" value=${note}
      onInput=${(e) => {
        setNote(e.currentTarget.value);
        if (error) setError('');
      }}></textarea>
    <div class="row-between">
      <span class=${`small ${over ? 'kp-over' : 'muted'}`}>${length(note.trim())}/${NOTE_MAX}</span>
      <button type="submit" class="btn btn-success btn-sm" data-testid="problem-fix-submit" disabled=${busy || !note.trim() || over}>
        <${Icon} name="check" size=${14} />${count ? `标记为已修复并通知 ${count} 位客户` : '标记为已修复'}</button>
    </div>
    ${error ? html`<div class="form-error" role="alert">${error}</div>` : null}
  </form>`;
}

function ConvRow({ c, fixed }) {
  const name = customerName(c);
  return html`<li class="kp-conv" data-testid="problem-conv" data-conv-id=${c.id} data-notified=${c.notified ? 'true' : 'false'} data-status=${c.status}>
    <${Avatar} name=${name} id=${c.customer?.id} size="sm" />
    <div class="kp-conv-main">
      <a class="kp-conv-name" href=${`#/c/${encodeURIComponent(c.id)}`} title="打开会话"><${Bidi} text=${name} /></a>
      <span class="muted small">${c.question ? html`<${Bidi} text=${c.question} />` : c.botId}</span>
    </div>
    <span class=${`status status-${c.status}`} data-testid="problem-conv-status">${STATUSES[c.status] ?? c.status}</span>
    ${c.notified
      ? html`<span class="kp-notified is-yes" data-testid="problem-conv-notified"><${Icon} name="check" size=${13} />已通知</span>`
      : html`<span class="kp-notified" data-testid="problem-conv-notified">${fixed ? '未送达' : '待修复后通知'}</span>`}
  </li>`;
}

function Detail({ id, me, onFixed }) {
  const { problem, missing, error, setProblem, reload } = useProblem(id);
  const now = useNow(30_000);
  const [retrying, setRetrying] = useState(false);
  if (missing) {
    return html`<section class="card kp-detail kp-detail-empty" data-testid="problem-missing">
      <${Icon} name="flag" size=${36} /><h2>找不到问题 ${id}</h2><p class="muted">链接可能有误。</p></section>`;
  }
  if (!problem) {
    return html`<section class="card kp-detail kp-detail-empty">${error ? html`<div class="inline-error">${error}</div>` : html`<div class="spinner" aria-label="加载中"></div>`}</section>`;
  }
  const manager = hasRole(me, 'manager');
  const fixed = problem.status === 'fixed';
  const conversations = problem.conversations ?? [];
  const notified = problem.justNotified ?? conversations.filter((c) => c.notified).length;
  const unsent = fixed && conversations.some((c) => !c.notified);

  async function fixedNow(res) {
    setProblem({ ...problem, ...res, conversations, justNotified: res.notified });
    onFixed(res);
    reload();
  }

  async function retry() {
    setRetrying(true);
    try {
      const res = await markFixed(problem.id, problem.note || '已修复');
      toast(`已补发通知，共通知 ${res.notified} 位客户`, { kind: 'success' });
      reload();
    } catch (err) {
      toast(`补发失败：${describeError(err).text}`, { kind: 'error' });
    } finally {
      setRetrying(false);
    }
  }

  return html`<section class=${`card kp-detail kp-detail-${problem.status}`} data-testid="problem-detail" data-problem-id=${problem.id} data-status=${problem.status}>
    <header class="kp-detail-head">
      <div class="kp-detail-top"><code class="kp-id">${problem.id}</code><${StatusPill} status=${problem.status} /></div>
      <h2 class="kp-detail-title" data-testid="problem-detail-title">${problem.title}</h2>
      <div class="muted small" title=${when(problem.createdAt, now)}>${byLine(problem.createdBy, problem.createdAt, now, '创建')} · 关联 ${problem.linked} 位客户</div>
    </header>
    ${error ? html`<div class="inline-error">${error}</div>` : null}
    <div class=${`kp-desc pre${problem.description ? '' : ' muted'}`} data-testid="problem-description">${problem.description || '没有描述'}</div>
    ${fixed
      ? html`<div class="kp-fixed-box">
          <div class="kp-fixed-head"><${Icon} name="check" size=${16} /><strong>已修复</strong>
            <span class="muted small" title=${when(problem.fixedAt, now)}>${problem.fixedBy?.name ?? '系统'} · ${when(problem.fixedAt, now)}</span></div>
          <div class="kp-note pre" data-testid="problem-note">${problem.note}</div>
          <div class="kp-notified-line" data-testid="problem-notified" role="status">已通知 ${notified} 位客户</div>
          ${manager && unsent
            ? html`<div class="row-between"><span class="muted small">有客户还没收到通知（例如机器人曾中断）</span>
                <button type="button" class="btn btn-sm" data-testid="problem-fix-retry" disabled=${retrying} onClick=${retry}>补发未送达的通知</button></div>`
            : null}
        </div>`
      : null}
    <h3 class="kp-section-title"><${Icon} name="users" size=${14} />关联的会话 <span class="count">${conversations.length}</span></h3>
    ${conversations.length
      ? html`<ul class="kp-convs">${conversations.map((c) => html`<${ConvRow} key=${c.id} c=${c} fixed=${fixed} />`)}</ul>`
      : html`<div class="muted small kp-empty">还没有关联的会话。在会话里点「关联已知问题」即可关联。</div>`}
    ${!fixed && manager ? html`<${FixForm} key=${problem.id} problem=${problem} onFixed=${fixedNow} />` : null}
    ${!fixed && !manager ? html`<p class="muted small kp-hint"><${Icon} name="lock" size=${12} />问题修复后，由主管在这里标记为已修复，关联的客户会自动收到通知。</p>` : null}
  </section>`;
}

export function ProblemsPage({ me, id }) {
  const { items, loaded, failed } = useStore(problems);
  const now = useNow(30_000);
  const [tab, setTab] = useState('open');
  const [query, setQuery] = useState('');
  useEffect(() => refreshProblems(), []);

  // Opening a problem by its link shows the tab it is on.
  const selected = id ? items.find((p) => p.id === id) : null;
  const selectedStatus = selected?.status;
  useEffect(() => {
    if (selectedStatus) setTab(selectedStatus);
  }, [id, selectedStatus]);

  const counts = { open: 0, fixed: 0 };
  for (const p of items) counts[p.status === 'fixed' ? 'fixed' : 'open'] += 1;
  const q = query.trim().toLowerCase();
  const rows = items.filter((p) => p.status === tab && (!q || p.title.toLowerCase().includes(q) || p.id.toLowerCase() === q));

  const tabBtn = (key) => html`<button type="button" role="tab" class=${`kp-tab${tab === key ? ' is-active' : ''}`} aria-selected=${tab === key}
      data-testid=${`problems-tab-${key}`} onClick=${() => setTab(key)}>${PROBLEM_STATUSES[key]} <span class="count">${counts[key]}</span></button>`;

  return html`<main class="page" data-testid="problems-page">
    <header class="page-head">
      <div><h1>已知问题</h1><p class="muted">遇到同一个问题的客户挂起等待；问题修复后，机器人自动通知每一位关联的客户</p></div>
    </header>
    ${failed ? html`<div class="inline-error">问题列表刷新失败，稍后自动重试</div>` : null}
    <div class="kp-grid">
      <section class="card card-flush kp-list-card">
        <div class="kp-tabs" role="tablist" aria-label="问题状态">${tabBtn('open')}${tabBtn('fixed')}</div>
        <div class="kp-list-search search"><${Icon} name="search" size=${14} />
          <input class="input input-sm" placeholder="按标题搜索" aria-label="搜索问题" value=${query} onInput=${(e) => setQuery(e.currentTarget.value)} /></div>
        <ul class="kp-list" data-testid="problem-list" role="tabpanel">
          ${!loaded ? html`<li class="kp-empty">加载中…</li>` : null}
          ${loaded && rows.length === 0
            ? html`<li class="kp-empty">${q ? '没有匹配的问题' : tab === 'open' ? '没有进行中的问题。在会话里点「关联已知问题」可以新建。' : '还没有已修复的问题'}</li>`
            : null}
          ${rows.map((p) => html`<${ProblemRow} key=${p.id} p=${p} selected=${p.id === id} now=${now} />`)}
        </ul>
      </section>
      ${id
        ? html`<${Detail} key=${id} id=${id} me=${me} onFixed=${(res) => {
            rememberProblem(res);
            setTab('fixed');
          }} />`
        : html`<section class="card kp-detail kp-detail-empty"><${Icon} name="flag" size=${36} /><h2>选择一个问题</h2>
            <p class="muted">查看它的描述、关联的会话和每位客户的通知情况。</p></section>`}
    </div>
  </main>`;
}
