/**
 * A problem's customer-facing side on the 已知问题 page: what customers are told it is (editable
 * while open), and the fix notice exactly as the bot would send it with the note being typed
 * (GET /api/problems/:id/notice renders the bot's current phrase).
 */
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { describeError, get } from '../../api.js';
import { Icon } from '../../components/icons.js';
import { PROBLEM_PUBLIC_TITLE_MAX } from '../../constants.js';
import { chars } from '../../format.js';
import { updateProblem } from '../../problems.js';

export function PublicTitle({ problem, onSaved }) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(problem.publicTitle ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const open = problem.status !== 'fixed';
  const over = chars(value.trim()) > PROBLEM_PUBLIC_TITLE_MAX;
  async function save(e) {
    e.preventDefault();
    if (busy || over) return;
    setBusy(true);
    setError('');
    try {
      onSaved(await updateProblem(problem.id, { publicTitle: value.trim() }));
      setEditing(false);
    } catch (err) {
      setError(`保存失败：${describeError(err).text}`);
    } finally {
      setBusy(false);
    }
  }
  if (editing) {
    return html`<form class="kp-public kp-public-edit" onSubmit=${save}>
      <input class="input input-sm" data-testid="problem-public-input" maxlength=${PROBLEM_PUBLIC_TITLE_MAX + 10} placeholder="例如：iPhone 录屏黑屏"
        aria-label="对客户的说法" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} />
      <button type="submit" class="btn btn-sm btn-primary" data-testid="problem-public-save" disabled=${busy || over}>保存</button>
      <button type="button" class="btn btn-sm" onClick=${() => setEditing(false)}>取消</button>
      ${over ? html`<div class="kp-over small">最多 ${PROBLEM_PUBLIC_TITLE_MAX} 个字</div>` : null}
      ${error ? html`<div class="form-error" role="alert">${error}</div>` : null}
    </form>`;
  }
  return html`<div class="kp-public">
    <span class="muted small">对客户的说法：</span>
    <span data-testid="problem-public-title">${problem.publicTitle || html`<span class="muted">未设置（通知里说标题）</span>`}</span>
    ${open ? html`<button type="button" class="btn btn-ghost btn-sm" data-testid="problem-public-edit" onClick=${() => setEditing(true)}><${Icon} name="wrench" size=${13} />修改</button>` : null}
  </div>`;
}

/** The notice as customers will get it with `note`, read from the server a moment after typing stops. */
export function NoticePreview({ problem, note }) {
  const [text, setText] = useState('');
  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      get(`/api/problems/${encodeURIComponent(problem.id)}/notice?note=${encodeURIComponent(note.trim() || '（修复说明）')}`)
        .then((res) => live && setText(res.text ?? ''))
        .catch(() => live && setText(''));
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [problem.id, problem.publicTitle, note]);
  if (!text) return null;
  return html`<div class="kp-preview" data-testid="problem-notice-preview">
    <div class="muted small"><${Icon} name="phone" size=${12} /> 客户会收到：</div>
    <div class="kp-preview-bubble pre" data-testid="problem-notice-text">${text}</div>
  </div>`;
}
