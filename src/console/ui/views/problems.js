/**
 * Known problems, the closed loop: the 关联已知问题 dialog of a chat (pick an open problem, or
 * create one and link in one go: the chat is parked as 等待问题修复), and the 已知问题 page
 * (#/problems, agents and up): open and fixed problems, a problem's linked chats and whether each
 * customer has been told, and for managers 标记为已修复, which has the bot tell every linked
 * customer once. The dialog and a problem's details live in problems/.
 */
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { Icon } from '../components/icons.js';
import { SearchBox } from '../components/search-box.js';
import { PROBLEM_STATUSES, TICK_AGO_MS } from '../constants.js';
import { byLine, problemHref, when } from '../format.js';
import { problems, refreshProblems, rememberProblem } from '../problems.js';
import { useNow, useStore } from '../store.js';
import { Detail } from './problems/detail.js';
import { NewProblemDialog } from './problems/new-form.js';

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

export function ProblemsPage({ me, id }) {
  const { items, loaded, failed } = useStore(problems);
  const now = useNow(TICK_AGO_MS);
  const [tab, setTab] = useState('open');
  const [query, setQuery] = useState('');
  const [creating, setCreating] = useState(false);
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
    <header class="page-head row-between kp-page-head">
      <div><h1>已知问题</h1><p class="muted">遇到同一个问题的客户挂起等待；问题修复后，机器人自动通知每一位关联的客户</p></div>
      <button type="button" class="btn btn-primary" data-testid="problem-new-open" onClick=${() => setCreating(true)}><${Icon} name="plus" size=${15} />新建问题</button>
    </header>
    ${creating
      ? html`<${NewProblemDialog} onClose=${() => setCreating(false)} onCreated=${(p) => {
          setCreating(false);
          setTab('open');
          location.hash = problemHref(p.id);
        }} />`
      : null}
    ${failed ? html`<div class="inline-error">问题列表刷新失败，稍后自动重试</div>` : null}
    <div class="kp-grid">
      <section class="card card-flush kp-list-card">
        <div class="kp-tabs" role="tablist" aria-label="问题状态">${tabBtn('open')}${tabBtn('fixed')}</div>
        <${SearchBox} className="kp-list-search" placeholder="按标题搜索" label="搜索问题" value=${query} onInput=${setQuery} />
        <ul class="kp-list" data-testid="problem-list" role="tabpanel">
          ${!loaded ? html`<li class="kp-empty">加载中…</li>` : null}
          ${loaded && rows.length === 0
            ? html`<li class="kp-empty">${q ? '没有匹配的问题' : tab === 'open' ? '没有进行中的问题。点右上角「新建问题」，或在会话里点「关联已知问题」新建。' : '还没有已修复的问题'}</li>`
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

