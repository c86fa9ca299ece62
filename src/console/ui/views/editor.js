import { html, useCallback, useEffect, useMemo, useState } from '/vendor/preact-htm.js';
import { ApiError, getOptional, post } from '../api.js';
import { ago, hasRole, percent } from '../format.js';
import { live } from '../live.js';
import { useNow } from '../store.js';
import { toast, toastError } from '../toast.js';
import { Icon } from './icons.js';

const REFRESH_MS = 30_000;
const GAP_REASONS = { unanswered: '机器人没答上', not_helpful: '答案没帮上忙' };

function useKb() {
  const [data, setData] = useState({ loaded: false, entries: null, totalHits: 0, problems: null, gaps: null, top: null, error: '' });
  const [version, setVersion] = useState(0);
  /** Load again now (after an edit: the files changed, the hits and groups with them). */
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  useEffect(() => {
    let stopped = false;
    async function load() {
      try {
        const [entries, problems, gaps, top] = await Promise.all([
          getOptional('/api/kb/entries', null),
          getOptional('/api/kb/problems', null),
          getOptional('/api/kb/gaps?limit=500', null),
          getOptional('/api/kb/top', null),
        ]);
        if (stopped) return;
        setData({
          loaded: true,
          entries: entries?.items ?? null,
          totalHits: entries?.totalHits ?? 0,
          problems: problems?.items ?? null,
          gaps: gaps?.groups ?? null,
          top,
          error: '',
        });
      } catch (err) {
        if (!stopped && !(err instanceof ApiError && err.status === 401)) setData((d) => ({ ...d, error: '知识库数据加载失败，稍后自动重试' }));
      }
    }
    load();
    const timer = setInterval(load, REFRESH_MS);
    // A handoff for low confidence or an unhelpful answer adds an unanswered question.
    let debounce = null;
    const off = live.on('event', (ev) => {
      if (ev.type !== 'waiting') return;
      clearTimeout(debounce);
      debounce = setTimeout(load, 1000);
    });
    return () => {
      stopped = true;
      clearInterval(timer);
      clearTimeout(debounce);
      off();
    };
  }, [version]);
  return { ...data, refresh };
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
          <code class="problem-loc">${p.file}${p.line ? `:${p.line}` : ''}</code><span class="problem-msg">${p.message}</span></li>`,
      )}
    </ul>
  </div>`;
}

function Entries({ entries, totalHits, loaded }) {
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState('hits');
  const rows = useMemo(() => {
    const q = query.trim().toLowerCase();
    const list = (entries ?? []).filter(
      (e) => !q || [e.id, e.question, e.category, e.file, ...(e.tags ?? [])].some((s) => String(s ?? '').toLowerCase().includes(q)),
    );
    return [...list].sort((a, b) => (sort === 'hits' ? b.hits - a.hits : String(a.category).localeCompare(String(b.category)) || String(a.id).localeCompare(String(b.id))));
  }, [entries, query, sort]);
  const max = Math.max(1, ...(entries ?? []).map((e) => e.hits ?? 0));

  return html`<section class="card card-flush">
    <div class="card-bar">
      <h2 class="card-title-lg">FAQ 条目 <span class="count">${entries?.length ?? 0}</span></h2>
      <span class="muted small">共命中 ${totalHits} 次</span>
      <div class="spacer"></div>
      <div class="search"><${Icon} name="search" size=${14} />
        <input class="input input-sm" placeholder="搜索问题、分类、标签" value=${query} onInput=${(e) => setQuery(e.currentTarget.value)} /></div>
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
              <td><div class="entry-q">${e.question}</div>
                <div class="entry-sub"><code>${e.id}</code>${(e.tags ?? []).map((t) => html`<span class="chip chip-xs" key=${t}>${t}</span>`)}</div></td>
              <td>${e.category || '—'}</td>
              <td class="file-cell"><code class="small" title=${e.file}>${e.file}</code></td>
              <td class="num">${e.menu ?? '—'}</td>
              <td class="num hits-cell"><span class="hits-bar"><span class="hits-fill" style=${{ width: `${Math.round(((e.hits ?? 0) / max) * 100)}%` }}></span></span>
                <span data-testid="kb-hits" class="hits-num">${e.hits ?? 0}</span></td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

const EDIT_ERRORS = {
  CONFLICT: '知识库里已经有了',
  BAD_REQUEST: '内容不符合要求',
  NOT_FOUND: '找不到这个条目，可能刚被改名或删除',
  KB_INVALID: '知识库文件有问题，请先修复上方列出的问题',
  UNSAFE_TEXT: '含有控制字符或看不见的字符，请删除后再保存',
};
/** One Chinese sentence for the form's error line, with the server's reason (which names the entry or field). */
function errorText(err, fallback) {
  if (!(err instanceof ApiError)) return fallback;
  const text = EDIT_ERRORS[err.code];
  if (!text) return err.status === 0 ? '网络连接失败，请重试' : fallback;
  return err.message ? `${text}：${err.message}` : text;
}

/** "真实流量 Top 10" next to the editors' menu, and the one click that adopts it. */
function TopTen({ top, loaded, onChanged }) {
  const [busy, setBusy] = useState(false);
  const items = top?.items ?? [];
  const menu = top?.menu ?? [];
  const same = items.length > 0 && items.length === menu.length && items.every((t, i) => menu[i]?.id === t.id);
  async function adopt() {
    if (busy || same) return;
    setBusy(true);
    try {
      await post('/api/kb/menu', { ids: items.map((t) => t.id) });
      toast('“常见问题”菜单已按真实流量重新排序', { kind: 'success' });
      onChanged();
    } catch (err) {
      toastError(err, '采用失败', { 409: '知识库文件有问题或刚被修改，请刷新后再试' });
    } finally {
      setBusy(false);
    }
  }
  const col = { margin: 0, padding: '0 0 0 22px' };
  // flex: none: the page is a fixed-height flex column, where a flush card would shrink to nothing.
  return html`<section class="card card-flush" data-testid="kb-top" style=${{ flex: 'none' }}>
    <div class="card-bar">
      <h2 class="card-title-lg">真实流量 Top 10</h2>
      <span class="muted small">FAQ 命中次数 + 客服给进行中会话打的标签</span>
      <div class="spacer"></div>
      <button type="button" class="btn btn-primary btn-sm" data-testid="kb-top-adopt" disabled=${busy || same || items.length === 0}
        title=${same ? '菜单已经是这个顺序' : '把右边的顺序写进条目文件的 menu 字段'} onClick=${adopt}>
        ${busy ? '正在采用…' : same ? '菜单已是此顺序' : '采用此顺序'}</button>
    </div>
    ${top === null
      ? html`<div class="card-help muted small" style=${{ paddingBottom: '12px' }}>${loaded ? '暂时无法获取流量排行' : '加载中…'}</div>`
      : html`<div style=${{ display: 'grid', gridTemplateColumns: 'repeat(2, minmax(0, 1fr))', gap: '16px', padding: '12px 16px 14px' }}>
        <div>
          <div class="muted small" style=${{ marginBottom: '6px' }}>当前菜单（编辑设置的顺序）</div>
          ${menu.length === 0 ? html`<div class="muted small">还没有条目设置 menu</div>` : null}
          <ol style=${col} data-testid="kb-menu-current">
            ${menu.map((m) => html`<li key=${m.id} data-testid="kb-menu-item" data-faq-id=${m.id} style=${{ padding: '2px 0' }}>
              <span class="entry-q">${m.question}</span> <span class="muted small">${m.hits} 次</span></li>`)}
          </ol>
        </div>
        <div>
          <div class="muted small" style=${{ marginBottom: '6px' }}>按真实流量</div>
          <ol style=${col} data-testid="kb-top-list">
            ${items.map((t) => html`<li key=${t.id} data-testid="kb-top-item" data-faq-id=${t.id} data-rank=${t.rank} style=${{ padding: '2px 0' }}>
              <span class="entry-q">${t.question}</span>
              <span class="muted small"> ${t.hits} 次${t.tagged ? ` · 标签 ${t.tagged}` : ''}</span>
              ${t.menu === t.rank ? null : html` <span class="chip chip-xs ${t.menu === null ? 'chip-warn' : 'chip-reason'}">${t.menu === null ? '新进菜单' : `原第 ${t.menu} 位`}</span>`}
            </li>`)}
          </ol>
        </div>
      </div>`}
  </section>`;
}

const byQuestion = (a, b) => String(a.category).localeCompare(String(b.category)) || String(a.question).localeCompare(String(b.question));

/** Adds the example as an alternate phrasing of an entry (the suggested one by default). */
function AddAlternate({ text, entries, defaultId, onDone, onCancel }) {
  const [id, setId] = useState(defaultId ?? '');
  const [question, setQuestion] = useState(text);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const sorted = useMemo(() => [...(entries ?? [])].sort(byQuestion), [entries]);
  async function save() {
    if (busy || !id || !question.trim()) return;
    setBusy(true);
    setError('');
    try {
      await post(`/api/kb/entries/${encodeURIComponent(id)}/alternates`, { question: question.trim() });
      const entry = sorted.find((e) => e.id === id);
      toast(`已加为「${entry?.question ?? id}」的备选问法，机器人已开始使用`, { kind: 'success' });
      onDone();
    } catch (err) {
      setError(errorText(err, '保存失败，请重试'));
      setBusy(false);
    }
  }
  return html`<div class="note-form" data-testid="kb-add-alt-form" style=${{ marginTop: '8px' }}>
    <label class="field">加到条目
      <select class="input input-sm" data-testid="kb-add-alt-entry" value=${id} onChange=${(e) => setId(e.currentTarget.value)}>
        ${id ? null : html`<option value="">请选择条目…</option>`}
        ${sorted.map((e) => html`<option key=${e.id} value=${e.id}>${e.question}（${e.id}）</option>`)}
      </select></label>
    <label class="field">备选问法
      <input class="input input-sm" data-testid="kb-add-alt-text" maxlength="200" value=${question} onInput=${(e) => setQuestion(e.currentTarget.value)} /></label>
    ${error ? html`<div class="form-error" data-testid="kb-add-alt-error" role="alert">${error}</div>` : null}
    <div class="row-between">
      <span class="muted small">写进条目文件的 alternates，保存后立即生效</span>
      <span>
        <button type="button" class="btn btn-ghost btn-sm" data-testid="kb-add-alt-cancel" onClick=${onCancel}>取消</button>
        <button type="button" class="btn btn-primary btn-sm" data-testid="kb-add-alt-save" disabled=${busy || !id || !question.trim()} onClick=${save}>
          ${busy ? '保存中…' : '保存'}</button>
      </span>
    </div>
  </div>`;
}

/** Starts a new entry from an example: question, id, category, more phrasings, the answer. */
function NewEntry({ text, others, entries, defaultCategory, onDone, onCancel }) {
  const categories = useMemo(() => [...new Set((entries ?? []).map((e) => e.category).filter(Boolean))].sort(), [entries]);
  const [form, setForm] = useState({ question: text, id: '', category: defaultCategory || categories[0] || '', alternates: others.join('\n'), answer: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const set = (key) => (e) => setForm((f) => ({ ...f, [key]: e.currentTarget.value }));
  const ready = form.question.trim() && form.id.trim() && form.category.trim() && form.answer.trim();
  async function save() {
    if (busy || !ready) return;
    setBusy(true);
    setError('');
    try {
      const alternates = form.alternates.split('\n').map((a) => a.trim()).filter(Boolean);
      const res = await post('/api/kb/entries', { id: form.id.trim(), question: form.question.trim(), alternates, category: form.category.trim(), answer: form.answer });
      toast(`已新建条目 ${res?.file ?? form.id}，机器人已开始使用`, { kind: 'success' });
      onDone();
    } catch (err) {
      setError(errorText(err, '保存失败，请重试'));
      setBusy(false);
    }
  }
  return html`<div class="note-form" data-testid="kb-new-entry-form" style=${{ marginTop: '8px' }}>
    <label class="field">标准问题
      <input class="input input-sm" data-testid="kb-new-entry-question" maxlength="200" value=${form.question} onInput=${set('question')} /></label>
    <div style=${{ display: 'grid', gridTemplateColumns: 'repeat(2, minmax(0, 1fr))', gap: '8px' }}>
      <label class="field">条目 id（英文小写 + 短横线）
        <input class="input input-sm" data-testid="kb-new-entry-id" maxlength="64" placeholder="例如 linux-support" value=${form.id} onInput=${set('id')} /></label>
      <label class="field">分类（文件夹）
        <input class="input input-sm" data-testid="kb-new-entry-category" maxlength="32" list="kb-categories" value=${form.category} onInput=${set('category')} />
        <datalist id="kb-categories">${categories.map((c) => html`<option key=${c} value=${c}></option>`)}</datalist></label>
    </div>
    <label class="field">备选问法（一行一条）
      <textarea class="input" rows="3" data-testid="kb-new-entry-alternates" value=${form.alternates} onInput=${set('alternates')}></textarea></label>
    <label class="field">回答（Markdown，像聊天回复一样简短）
      <textarea class="input" rows="4" data-testid="kb-new-entry-answer" maxlength="4000" value=${form.answer} onInput=${set('answer')}></textarea></label>
    ${error ? html`<div class="form-error" data-testid="kb-new-entry-error" role="alert">${error}</div>` : null}
    <div class="row-between">
      <span class="muted small">${form.category.trim() && form.id.trim() ? `将写入 ${form.category.trim()}/${form.id.trim()}.md` : '保存后立即生效'}</span>
      <span>
        <button type="button" class="btn btn-ghost btn-sm" data-testid="kb-new-entry-cancel" onClick=${onCancel}>取消</button>
        <button type="button" class="btn btn-primary btn-sm" data-testid="kb-new-entry-save" disabled=${busy || !ready} onClick=${save}>
          ${busy ? '保存中…' : '新建条目'}</button>
      </span>
    </div>
  </div>`;
}

/** The questions the FAQ missed, grouped by similarity, each example one click from the FAQ. */
function Gaps({ groups, entries, canOpen, loaded, onChanged }) {
  const now = useNow(30_000);
  /** The one open form: { key: group label + example text, kind: 'alt' | 'new' }. */
  const [open, setOpen] = useState(null);
  const questionOf = (id) => entries?.find((e) => e.id === id)?.question ?? id;
  const categoryOf = (id) => entries?.find((e) => e.id === id)?.category ?? '';
  const done = () => {
    setOpen(null);
    onChanged();
  };
  const total = (groups ?? []).reduce((n, g) => n + g.count, 0);
  return html`<section class="card card-flush">
    <div class="card-bar"><h2 class="card-title-lg">相似问题 <span class="count">${groups?.length ?? 0}</span></h2>
      <span class="muted small">${total ? `共 ${total} 次提问` : ''}</span></div>
    <p class="card-help muted small">机器人没答上、或被客户标记“没帮上忙”的提问，按相似程度归组。可以把某个问法加为条目的备选问法，或新建条目。</p>
    <ul class="unanswered" data-testid="kb-gaps">
      ${groups === null ? html`<li class="muted center">${loaded ? '暂时无法获取' : '加载中…'}</li>` : null}
      ${groups && groups.length === 0 ? html`<li class="muted center">最近没有机器人答不上的问题</li>` : null}
      ${(groups ?? []).map(
        (g) => html`<li key=${g.label} class="unanswered-item" data-testid="kb-gap-group" data-count=${g.count}>
          <div class="row-between">
            <strong class="u-text" data-testid="kb-gap-label"><bdi>${g.label}</bdi></strong>
            <span class="chip" data-testid="kb-gap-count">${g.count} 次</span>
          </div>
          <div class="u-meta">
            ${g.reasons.unanswered ? html`<span class="chip chip-reason">${GAP_REASONS.unanswered} ${g.reasons.unanswered}</span>` : null}
            ${g.reasons.not_helpful ? html`<span class="chip chip-warn">${GAP_REASONS.not_helpful} ${g.reasons.not_helpful}</span>` : null}
            ${g.suggested
              ? html`<span class="u-faq small" data-testid="kb-gap-suggested" data-faq-id=${g.suggested.id} title=${`FAQ 条目 ${g.suggested.id}`}>
                  最接近：${g.suggested.question}（${percent(g.suggested.score)}）</span>`
              : html`<span class="muted small">没有接近的条目</span>`}
            ${g.notHelpful.map((n) => html`<span key=${n.id} class="u-faq small" title=${`FAQ 条目 ${n.id}`}>没帮上忙：${questionOf(n.id)} ×${n.count}</span>`)}
            <span class="muted small">${ago(g.lastAt, now)}</span>
          </div>
          <ul style=${{ listStyle: 'none', margin: '6px 0 0', padding: '0 0 0 10px', borderLeft: '2px solid #eef1f5' }}>
            ${g.examples.map((ex) => {
              const key = `${g.label}\n${ex.text}`;
              const form = open?.key === key ? open.kind : null;
              const others = g.examples.map((x) => x.text).filter((t) => t !== ex.text && !g.examples.find((x) => x.text === t)?.covered);
              return html`<li key=${ex.text} data-testid="kb-gap-example" data-covered=${ex.covered ?? ''} style=${{ padding: '4px 0' }}>
                <div class="u-text"><span data-testid="kb-gap-text"><bdi>${ex.text}</bdi></span>${ex.count > 1 ? html` <span class="muted small">×${ex.count}</span>` : null}</div>
                <div class="u-meta">
                  <span class="muted small">${ago(ex.lastAt, now)}</span>
                  ${canOpen && ex.conv ? html`<a class="link small" href=${`#/c/${encodeURIComponent(ex.conv)}`}>查看会话</a>` : null}
                  ${ex.covered
                    ? html`<span class="chip chip-xs chip-reason" data-testid="kb-gap-covered"><${Icon} name="check" size=${12} />已收录到「${questionOf(ex.covered)}」</span>`
                    : html`<button type="button" class="btn btn-sm" data-testid="kb-add-alt" aria-expanded=${form === 'alt'}
                          onClick=${() => setOpen(form === 'alt' ? null : { key, kind: 'alt' })}>加为备选问法</button>
                        <button type="button" class="btn btn-ghost btn-sm" data-testid="kb-new-entry" aria-expanded=${form === 'new'}
                          onClick=${() => setOpen(form === 'new' ? null : { key, kind: 'new' })}><${Icon} name="plus" size=${14} />新建条目</button>`}
                </div>
                ${form === 'alt'
                  ? html`<${AddAlternate} text=${ex.text} entries=${entries} defaultId=${g.suggested?.id ?? g.notHelpful[0]?.id ?? ''}
                      onDone=${done} onCancel=${() => setOpen(null)} />`
                  : null}
                ${form === 'new'
                  ? html`<${NewEntry} text=${ex.text} others=${others} entries=${entries} defaultCategory=${categoryOf(g.suggested?.id)}
                      onDone=${done} onCancel=${() => setOpen(null)} />`
                  : null}
              </li>`;
            })}
          </ul>
        </li>`,
      )}
    </ul>
  </section>`;
}

export function EditorPage({ me }) {
  const kb = useKb();
  return html`<main class="page" data-testid="editor-page">
    <header class="page-head">
      <div><h1>知识库</h1><p class="muted">FAQ 的命中情况、文件检查结果，以及机器人还答不上的问题</p></div>
    </header>
    ${kb.error ? html`<div class="inline-error">${kb.error}</div>` : null}
    <${Problems} problems=${kb.problems} loaded=${kb.loaded} />
    <${TopTen} top=${kb.top} loaded=${kb.loaded} onChanged=${kb.refresh} />
    <div class="kb-grid">
      <${Entries} entries=${kb.entries} totalHits=${kb.totalHits} loaded=${kb.loaded} />
      <${Gaps} groups=${kb.gaps} entries=${kb.entries} canOpen=${hasRole(me, 'agent')} loaded=${kb.loaded} onChanged=${kb.refresh} />
    </div>
  </main>`;
}
