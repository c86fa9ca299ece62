/**
 * The forms that write the FAQ from the page: a question the FAQ missed as an alternate phrasing or
 * as a new entry, and an entry's answer edited in place.
 */
import { html, useMemo, useState } from '/vendor/preact-htm.js';
import { ApiError, post } from '../../api.js';
import { KB_ANSWER_MAX, KB_CATEGORY_MAX, KB_ID_MAX, KB_ID_PATTERN, KB_QUESTION_MAX } from '../../constants.js';
import { toast } from '../../toast.js';

const EDIT_ERRORS = {
  CONFLICT: '知识库里已经有了',
  BAD_REQUEST: '内容不符合要求',
  NOT_FOUND: '找不到这个条目，可能刚被改名或删除',
  KB_INVALID: '没有保存：这样改会让知识库文件出错，或者这个条目的文件本身有问题（见上方列出的问题）',
  UNSAFE_TEXT: '含有控制字符或看不见的字符，请删除后再保存',
};
/** One Chinese sentence for the form's error line, with the server's reason (which names the entry or field). */
function errorText(err, fallback) {
  if (!(err instanceof ApiError)) return fallback;
  const text = EDIT_ERRORS[err.code];
  if (!text) return err.status === 0 ? '网络连接失败，请重试' : fallback;
  // The problems themselves are listed, in Chinese, at the top of the page.
  if (err.code === 'KB_INVALID') return text;
  return err.message ? `${text}：${err.message}` : text;
}

/**
 * The toast after a saved edit. `reloaded` false: the change is in the file, but another file of
 * the knowledge base is broken, so the bot keeps the last good version until that is fixed.
 */
export function savedToast(res, what) {
  if (res?.reloaded === false) toast(`${what}，已写入文件；但知识库里还有文件有问题（见上方），修好之前机器人继续用之前的版本`, { kind: 'warning', ms: 8000 });
  else toast(`${what}，机器人已开始使用`, { kind: 'success' });
}

const byQuestion = (a, b) => String(a.category).localeCompare(String(b.category)) || String(a.question).localeCompare(String(b.question));

/** Adds the example as an alternate phrasing of an entry (the suggested one by default). */
export function AddAlternate({ text, entries, defaultId, onDone, onCancel }) {
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
      const res = await post(`/api/kb/entries/${encodeURIComponent(id)}/alternates`, { question: question.trim() });
      const entry = sorted.find((e) => e.id === id);
      savedToast(res, `已加为「${entry?.question ?? id}」的备选问法`);
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
      <input class="input input-sm" data-testid="kb-add-alt-text" maxlength=${KB_QUESTION_MAX} value=${question} onInput=${(e) => setQuestion(e.currentTarget.value)} /></label>
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

const kebabProblem = (value, what, example) =>
  !value || KB_ID_PATTERN.test(value) ? '' : `${what}只能用英文小写字母、数字和短横线（-），如 ${example}`;

/**
 * Starts a new entry from an example: question, id, category, more phrasings, the answer. The
 * category starts as the nearest entry's only when the list suggested one (a guess shown as
 * such); id and category are checked as they are typed, so the server never has to refuse them.
 */
export function NewEntry({ text, others, entries, defaultCategory, onDone, onCancel }) {
  const categories = useMemo(() => [...new Set((entries ?? []).map((e) => e.category).filter(Boolean))].sort(), [entries]);
  const [form, setForm] = useState({ question: text, id: '', category: defaultCategory || '', alternates: others.join('\n'), answer: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const set = (key) => (e) => setForm((f) => ({ ...f, [key]: e.currentTarget.value }));
  const idProblem = kebabProblem(form.id.trim(), '条目 id ', 'linux-support');
  const categoryProblem = kebabProblem(form.category.trim(), '分类', 'billing');
  const ready = form.question.trim() && form.id.trim() && form.category.trim() && form.answer.trim() && !idProblem && !categoryProblem;
  async function save() {
    if (busy || !ready) return;
    setBusy(true);
    setError('');
    try {
      const alternates = form.alternates.split('\n').map((a) => a.trim()).filter(Boolean);
      const res = await post('/api/kb/entries', { id: form.id.trim(), question: form.question.trim(), alternates, category: form.category.trim(), answer: form.answer });
      savedToast(res, `已新建条目 ${res?.file ?? form.id}`);
      onDone();
    } catch (err) {
      setError(errorText(err, '保存失败，请重试'));
      setBusy(false);
    }
  }
  return html`<div class="note-form" data-testid="kb-new-entry-form" style=${{ marginTop: '8px' }}>
    <label class="field">标准问题
      <input class="input input-sm" data-testid="kb-new-entry-question" maxlength=${KB_QUESTION_MAX} value=${form.question} onInput=${set('question')} /></label>
    <div style=${{ display: 'grid', gridTemplateColumns: 'repeat(2, minmax(0, 1fr))', gap: '8px' }}>
      <label class="field">条目 id（英文小写 + 短横线）
        <input class="input input-sm" data-testid="kb-new-entry-id" maxlength=${KB_ID_MAX} placeholder="例如 linux-support" value=${form.id} onInput=${set('id')} /></label>
      <label class="field">${defaultCategory ? '分类（文件夹，按相近条目预填）' : '分类（文件夹）'}
        <input class="input input-sm" data-testid="kb-new-entry-category" maxlength=${KB_CATEGORY_MAX} list="kb-categories" placeholder="选择或输入，如 billing" value=${form.category} onInput=${set('category')} />
        <datalist id="kb-categories">${categories.map((c) => html`<option key=${c} value=${c}></option>`)}</datalist></label>
    </div>
    ${idProblem || categoryProblem
      ? html`<div class="form-error" data-testid="kb-new-entry-invalid" role="alert">${[idProblem, categoryProblem].filter(Boolean).join('；')}</div>`
      : null}
    <label class="field">备选问法（一行一条）
      <textarea class="input" rows="3" data-testid="kb-new-entry-alternates" value=${form.alternates} onInput=${set('alternates')}></textarea></label>
    <label class="field">回答（Markdown，像聊天回复一样简短）
      <textarea class="input" rows="4" data-testid="kb-new-entry-answer" maxlength=${KB_ANSWER_MAX} value=${form.answer} onInput=${set('answer')}></textarea></label>
    ${error ? html`<div class="form-error" data-testid="kb-new-entry-error" role="alert">${error}</div>` : null}
    <div class="row-between">
      <span class="muted small">${form.category.trim() && form.id.trim() && !idProblem && !categoryProblem ? `将写入 ${form.category.trim()}/${form.id.trim()}.md` : '保存后立即生效'}</span>
      <span>
        <button type="button" class="btn btn-ghost btn-sm" data-testid="kb-new-entry-cancel" onClick=${onCancel}>取消</button>
        <button type="button" class="btn btn-primary btn-sm" data-testid="kb-new-entry-save" disabled=${busy || !ready} onClick=${save}>
          ${busy ? '保存中…' : '新建条目'}</button>
      </span>
    </div>
  </div>`;
}

/** An entry's answer, edited in place: its phrasings shown, the markdown as written, saved to its file. */
export function EditAnswer({ entry, onDone, onCancel }) {
  const [answer, setAnswer] = useState(entry.answer ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const changed = answer.trim() !== String(entry.answer ?? '').trim();
  async function save() {
    if (busy || !answer.trim() || !changed) return;
    setBusy(true);
    setError('');
    try {
      const res = await post(`/api/kb/entries/${encodeURIComponent(entry.id)}/answer`, { answer: answer.trim() });
      savedToast(res, `「${entry.question}」的答案已保存`);
      onDone();
    } catch (err) {
      setError(errorText(err, '保存失败，请重试'));
      setBusy(false);
    }
  }
  return html`<div class="note-form entry-edit" data-testid="kb-entry-edit">
    <div class="muted small">问法：${[entry.question, ...(entry.alternates ?? [])].map((q, i) => html`<span class="chip chip-xs" key=${i}>${q}</span>`)}</div>
    <label class="field">答案（Markdown，客户在微信里看到的内容）
      <textarea class="input" rows="8" data-testid="kb-entry-answer" maxlength=${KB_ANSWER_MAX} value=${answer}
        onInput=${(e) => setAnswer(e.currentTarget.value)}></textarea></label>
    ${error ? html`<div class="form-error" data-testid="kb-entry-error" role="alert">${error}</div>` : null}
    <div class="row-between">
      <span class="muted small">写进 <code>${entry.file}</code>，保存后立即生效；问法和其他设置请在文件里改</span>
      <span>
        <button type="button" class="btn btn-ghost btn-sm" data-testid="kb-entry-cancel" onClick=${onCancel}>取消</button>
        <button type="button" class="btn btn-primary btn-sm" data-testid="kb-entry-save" disabled=${busy || !answer.trim() || !changed} onClick=${save}>
          ${busy ? '保存中…' : '保存答案'}</button>
      </span>
    </div>
  </div>`;
}
