/**
 * The 关联已知问题 dialog of a chat: open problems (search by title) with 关联, and 新建问题 (title,
 * optional description) that creates the problem and links the chat at once: the chat is parked as
 * 等待问题修复 until the fix.
 */
import { html, useEffect, useLayoutEffect, useMemo, useRef, useState } from '/vendor/preact-htm.js';
import { ApiError, describeError } from '../../api.js';
import { useEscape } from '../../components/escape.js';
import { Icon } from '../../components/icons.js';
import { SearchBox } from '../../components/search-box.js';
import { PROBLEM_DESC_MAX, PROBLEM_TITLE_MAX, TICK_AGO_MS } from '../../constants.js';
import { byLine, chars } from '../../format.js';
import { createProblem, linkProblem, problems, refreshProblems } from '../../problems.js';
import { useNow, useStore } from '../../store.js';

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

/** `onLinked` gets the parked conversation the server answers with. */
export function LinkProblemDialog({ convId, onClose, onLinked }) {
  const { items, loaded, failed } = useStore(problems);
  const now = useNow(TICK_AGO_MS);
  const [query, setQuery] = useState('');
  const [title, setTitle] = useState('');
  const [desc, setDesc] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const searchRef = useRef(null);
  useEscape(onClose);

  useEffect(() => void refreshProblems(), []);
  // Focus as the dialog appears (a layout effect), so nothing typed at once lands elsewhere.
  useLayoutEffect(() => searchRef.current?.focus(), []);

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
    if (!t || busy || chars(t) > PROBLEM_TITLE_MAX) return;
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
        <${SearchBox} className="kp-search" inputRef=${searchRef} testid="problem-search" placeholder="按标题搜索进行中的问题" label="搜索问题"
          value=${query} onInput=${setQuery} />
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
            maxlength=${PROBLEM_TITLE_MAX} value=${title} onInput=${(e) => setTitle(e.currentTarget.value)} />
          <textarea class="input kp-new-desc" data-testid="problem-new-desc" rows="3" maxlength=${PROBLEM_DESC_MAX} aria-label="问题描述（可选）"
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
