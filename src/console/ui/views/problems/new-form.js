/**
 * 新建问题 on the 已知问题 page: the team's title, what customers will be told it is (optional:
 * the title otherwise), a description. Linking chats happens from each chat (关联已知问题).
 */
import { html, useLayoutEffect, useRef, useState } from '/vendor/preact-htm.js';
import { describeError } from '../../api.js';
import { Icon } from '../../components/icons.js';
import { PROBLEM_DESC_MAX, PROBLEM_PUBLIC_TITLE_MAX, PROBLEM_TITLE_MAX } from '../../constants.js';
import { chars } from '../../format.js';
import { createProblem } from '../../problems.js';

export function NewProblemDialog({ onClose, onCreated }) {
  const [title, setTitle] = useState('');
  const [publicTitle, setPublicTitle] = useState('');
  const [desc, setDesc] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const first = useRef(null);
  // Focus as the form appears (a layout effect), so nothing typed at once lands elsewhere.
  useLayoutEffect(() => {
    first.current?.focus();
    const onKey = (e) => {
      if (e.key === 'Escape' && !e.defaultPrevented) onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  const over = chars(publicTitle.trim()) > PROBLEM_PUBLIC_TITLE_MAX || chars(title.trim()) > PROBLEM_TITLE_MAX;

  async function submit(e) {
    e.preventDefault();
    if (!title.trim()) return setError('请填写问题标题');
    if (busy || over) return;
    setBusy(true);
    setError('');
    try {
      onCreated(await createProblem(title.trim(), desc.trim(), publicTitle.trim()));
    } catch (err) {
      setError(`新建失败：${describeError(err).text}`);
      setBusy(false);
    }
  }

  return html`<div class="kp-overlay" onMouseDown=${(e) => {
      if (e.target === e.currentTarget) onClose();
    }}>
    <div class="kp-dialog" role="dialog" aria-modal="true" aria-label="新建问题" data-testid="problem-new-dialog">
      <header class="kp-dialog-head">
        <h2><${Icon} name="flag" size=${17} />新建已知问题</h2>
        <button type="button" class="kp-close" aria-label="关闭" title="关闭（Esc）" onClick=${onClose}>×</button>
      </header>
      <form class="kp-dialog-body kp-new-form" onSubmit=${submit} novalidate>
        <label class="field"><span>问题标题 <em class="muted">团队内部看，可以写技术细节</em></span>
          <input ref=${first} class="input" data-testid="problem-page-title" maxlength=${PROBLEM_TITLE_MAX} placeholder="例如：iOS 17 ReplayKit 编码器崩溃导致黑屏"
            value=${title} onInput=${(e) => setTitle(e.currentTarget.value)} /></label>
        <label class="field"><span>对客户的说法 <em class="muted">修复通知里客户看到的问题名，简短易懂</em></span>
          <input class="input" data-testid="problem-page-public" maxlength=${PROBLEM_PUBLIC_TITLE_MAX + 10} placeholder="例如：iPhone 录屏黑屏（不填则用标题）"
            value=${publicTitle} onInput=${(e) => setPublicTitle(e.currentTarget.value)} /></label>
        ${chars(publicTitle.trim()) > PROBLEM_PUBLIC_TITLE_MAX ? html`<div class="kp-over small">对客户的说法最多 ${PROBLEM_PUBLIC_TITLE_MAX} 个字</div>` : null}
        <label class="field"><span>描述（可选）</span>
          <textarea class="input kp-new-desc" data-testid="problem-page-desc" rows="3" maxlength=${PROBLEM_DESC_MAX}
            placeholder="影响的版本、复现步骤、临时解决办法…" value=${desc} onInput=${(e) => setDesc(e.currentTarget.value)}></textarea></label>
        ${error ? html`<div class="form-error" role="alert" data-testid="problem-page-error">${error}</div>` : null}
        <div class="row-between">
          <span class="muted small">之后在会话里点「关联已知问题」关联客户</span>
          <button type="submit" class="btn btn-sm btn-primary" data-testid="problem-page-create" disabled=${busy || !title.trim() || over}>新建</button>
        </div>
      </form>
    </div>
  </div>`;
}
