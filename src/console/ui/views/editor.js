/**
 * 知识库 (#/editor): the FAQ's hits and the check of its files, the menu against real traffic
 * (editor/top-ten.js), the questions the bot could not answer, each one click from the FAQ
 * (editor/gaps.js), what conversations taught: proposed alternates and automatic adoptions
 * (editor/learning.js), and the answers that were wrong (editor/wrong-answers.js). Refreshed every
 * 30 s, after an edit, and when a chat is handed off.
 */
import { html, useMemo, useState } from '/vendor/preact-htm.js';
import { ApiError, getOptional } from '../api.js';
import { Icon } from '../components/icons.js';
import { SearchBox } from '../components/search-box.js';
import { REFRESH_MS } from '../constants.js';
import { hasRole } from '../format.js';
import { problemText } from '../kb-problems.js';
import { useLoader } from '../loader.js';
import { EditAnswer } from './editor/entry-forms.js';
import { Gaps } from './editor/gaps.js';
import { Learning } from './editor/learning.js';
import { TopTen } from './editor/top-ten.js';
import { WrongAnswers } from './editor/wrong-answers.js';

async function readKb() {
  const [entries, problems, gaps, top, learning] = await Promise.all([
    getOptional('/api/kb/entries', null),
    getOptional('/api/kb/problems', null),
    getOptional('/api/kb/gaps?limit=500', null),
    getOptional('/api/kb/top', null),
    getOptional('/api/kb/learning', null),
  ]);
  return { entries: entries?.items ?? null, totalHits: entries?.totalHits ?? 0, problems: problems?.items ?? null, gaps: gaps?.groups ?? null, top, learning };
}

function useKb() {
  const { data, error, reload } = useLoader(readKb, {
    every: REFRESH_MS,
    // A handoff for low confidence or an unhelpful answer adds an unanswered question.
    on: (ev) => ev.type === 'waiting',
    throttle: 2_000,
  });
  return {
    loaded: data !== null,
    entries: data?.entries ?? null,
    totalHits: data?.totalHits ?? 0,
    problems: data?.problems ?? null,
    gaps: data?.gaps ?? null,
    top: data?.top ?? null,
    learning: data?.learning ?? null,
    error: error && !(error instanceof ApiError && error.status === 401) ? '知识库数据加载失败，稍后自动重试' : '',
    /** Load again now (after an edit: the files changed, the hits and groups with them). */
    refresh: reload,
  };
}

function Problems({ problems, loaded }) {
  if (!loaded) return html`<div class="card" data-testid="kb-problems"><div class="muted">正在检查知识库文件…</div></div>`;
  if (problems === null) return html`<div class="card" data-testid="kb-problems"><div class="muted">暂时无法获取检查结果</div></div>`;
  if (problems.length === 0) {
    return html`<div class="card kb-status kb-status-ok" data-testid="kb-problems">
      <div data-testid="kb-ok" class="kb-ok"><${Icon} name="check" size=${18} />
        <div><strong>知识库文件检查通过</strong><div class="muted small">机器人正在使用磁盘上的最新文件</div></div></div>
    </div>`;
  }
  return html`<div class="card kb-status kb-status-bad" data-testid="kb-problems">
    <div class="kb-bad-head"><${Icon} name="alert" size=${18} />
      <div><strong>${problems.length} 个问题需要修复</strong>
        <div class="muted small">修复前，机器人继续使用上一次检查通过的版本</div></div></div>
    <ul class="problem-list">
      ${problems.map(
        (p, i) => html`<li key=${i} data-testid="kb-problem" class="problem">
          <code class="problem-loc">${p.file}${p.line ? `:${p.line}` : ''}</code><span class="problem-msg" title=${p.message}>${problemText(p.message)}</span></li>`,
      )}
    </ul>
  </div>`;
}

function Entries({ entries, totalHits, loaded, onChanged }) {
  const [query, setQuery] = useState('');
  /** The entry whose answer is open for editing. */
  const [open, setOpen] = useState(null);
  const [sort, setSort] = useState('hits');
  const rows = useMemo(() => {
    const q = query.trim().toLowerCase();
    const list = (entries ?? []).filter(
      (e) => !q || [e.id, e.question, e.category, e.file, ...(e.tags ?? []), ...(e.tagNames ?? [])].some((s) => String(s ?? '').toLowerCase().includes(q)),
    );
    return [...list].sort((a, b) => (sort === 'hits' ? b.hits - a.hits : String(a.category).localeCompare(String(b.category)) || String(a.id).localeCompare(String(b.id))));
  }, [entries, query, sort]);
  const max = Math.max(1, ...(entries ?? []).map((e) => e.hits ?? 0));

  return html`<section class="card card-flush">
    <div class="card-bar">
      <h2 class="card-title-lg">FAQ 条目 <span class="count">${entries?.length ?? 0}</span></h2>
      <span class="muted small">共命中 ${totalHits} 次</span>
      <div class="spacer"></div>
      <${SearchBox} placeholder="搜索问题、分类、标签" value=${query} onInput=${setQuery} />
      <select class="input input-sm" value=${sort} onChange=${(e) => setSort(e.currentTarget.value)} aria-label="排序">
        <option value="hits">按命中次数</option><option value="category">按分类</option>
      </select>
    </div>
    <div class="table-wrap">
      <table class="table" data-testid="kb-entries">
        <thead><tr><th>问题</th><th>分类</th><th>文件</th><th class="num">菜单</th><th class="num">命中</th></tr></thead>
        <tbody>
          ${entries === null ? html`<tr><td colspan="5" class="muted center">${loaded ? '暂时无法获取 FAQ 条目' : '加载中…'}</td></tr>` : null}
          ${entries && rows.length === 0 ? html`<tr><td colspan="5" class="muted center">没有匹配的条目</td></tr>` : null}
          ${rows.map(
            (e) => html`<tr key=${e.id} data-testid="kb-entry" data-faq-id=${e.id}>
              <td><div class="entry-q"><button type="button" class="link entry-open" data-testid="kb-entry-open" aria-expanded=${open === e.id}
                  title="查看和修改答案" onClick=${() => setOpen(open === e.id ? null : e.id)}>${e.question}</button></div>
                <div class="entry-sub"><code>${e.id}</code>${(e.tags ?? []).map((t, i) => html`<span class="chip chip-xs" key=${t} title=${t} data-testid="entry-tag">${e.tagNames?.[i] ?? t}</span>`)}</div></td>
              <td>${e.category || '—'}</td>
              <td class="file-cell"><code class="small" title=${e.file}>${e.file}</code></td>
              <td class="num">${e.menu ?? '—'}</td>
              <td class="num hits-cell"><span class="hits-bar"><span class="hits-fill" style=${{ width: `${Math.round(((e.hits ?? 0) / max) * 100)}%` }}></span></span>
                <span data-testid="kb-hits" class="hits-num">${e.hits ?? 0}</span></td>
            </tr>${open === e.id
              ? html`<tr key=${`${e.id}:edit`} class="entry-edit-row"><td colspan="5">
                  <${EditAnswer} entry=${e} onCancel=${() => setOpen(null)} onDone=${() => {
                    setOpen(null);
                    onChanged();
                  }} /></td></tr>`
              : null}`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

export function EditorPage({ me }) {
  const kb = useKb();
  return html`<main class="page" data-testid="editor-page">
    <header class="page-head">
      <div><h1>知识库</h1><p class="muted">FAQ 的命中情况、文件检查结果、机器人还答不上或答错的问题，以及从对话中学到的问法</p></div>
    </header>
    ${kb.error ? html`<div class="inline-error">${kb.error}</div>` : null}
    <${Problems} problems=${kb.problems} loaded=${kb.loaded} />
    <${TopTen} top=${kb.top} loaded=${kb.loaded} onChanged=${kb.refresh} />
    <div class="kb-grid">
      <${Entries} entries=${kb.entries} totalHits=${kb.totalHits} loaded=${kb.loaded} onChanged=${kb.refresh} />
      <${Gaps} groups=${kb.gaps} entries=${kb.entries} canOpen=${hasRole(me, 'agent')} loaded=${kb.loaded} onChanged=${kb.refresh} />
    </div>
    <div class="kb-grid kb-learn-grid">
      <${Learning} learning=${kb.learning} canOpen=${hasRole(me, 'agent')} loaded=${kb.loaded} onChanged=${kb.refresh} />
      <${WrongAnswers} items=${kb.learning?.wrongAnswers ?? null} canOpen=${hasRole(me, 'agent')} loaded=${kb.loaded} onChanged=${kb.refresh} />
    </div>
  </main>`;
}

