/** The panel beside a chat: the customer and the chat's facts, tags, internal notes, transfer. */
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { Avatar, Bidi, customerName, TierBadge } from '../components/customer.js';
import { Icon } from '../components/icons.js';
import { CustomerPanel } from './details/customer-panel.js';
import { MAX_TEXT, STATUSES, TAG_MAX } from '../constants.js';
import { agentsList, loadAgents } from '../data.js';
import { clearDraft, loadDraft, saveDraft } from '../drafts.js';
import { problemHref, reasonLabel, when } from '../format.js';
import { problems } from '../problems.js';
import { useStore } from '../store.js';
import { TagSuggest } from '../components/tag-suggest.js';

function Tags({ tags, onChange, enabled }) {
  const [value, setValue] = useState('');
  async function add(e) {
    if (e.key !== 'Enter' || e.isComposing) return;
    e.preventDefault();
    const tag = value.trim();
    if (!tag) return;
    if (tags.includes(tag)) {
      setValue('');
      return;
    }
    if (await onChange([...tags, tag])) setValue('');
  }
  return html`<div class="tags">
    ${tags.length
      ? html`<div class="tag-list">${tags.map(
          (t) => html`<span class="tag" data-testid="tag" key=${t}>${t}
            ${enabled
              ? html`<button type="button" class="tag-x" aria-label=${`移除标签 ${t}`} title="移除"
                  onClick=${() => onChange(tags.filter((x) => x !== t))}>×</button>`
              : null}</span>`,
        )}</div>`
      : html`<div class="muted small">暂无标签</div>`}
    ${enabled
      ? html`<input class="input input-sm" data-testid="tag-input" placeholder="输入标签，按 Enter 添加" maxlength=${TAG_MAX}
          value=${value} onInput=${(e) => setValue(e.currentTarget.value)} onKeyDown=${add} />`
      : html`<div class="muted small" data-testid="tag-locked">只有负责该会话的客服或主管可以修改标签</div>`}
  </div>`;
}

/** A note's draft is kept like a reply's (drafts.js), apart from it: switching chats loses neither. */
const noteDraft = (convId) => `${convId}#note`;

function NoteForm({ convId, onSave }) {
  const [text, setText] = useState(() => loadDraft(noteDraft(convId)));
  const [busy, setBusy] = useState(false);
  useEffect(() => setText(loadDraft(noteDraft(convId))), [convId]);
  async function save() {
    const value = text.trim();
    if (!value || busy) return;
    setBusy(true);
    if (await onSave(value)) {
      setText('');
      clearDraft(noteDraft(convId));
    }
    setBusy(false);
  }
  return html`<div class="note-form">
    <textarea class="input note-input" data-testid="note-input" rows="3" maxlength=${MAX_TEXT} value=${text}
      placeholder="写给同事的备注，客户看不到" onInput=${(e) => {
        setText(e.currentTarget.value);
        saveDraft(noteDraft(convId), e.currentTarget.value);
      }}
      onKeyDown=${(e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          save();
        }
      }}></textarea>
    <div class="row-between">
      <span class="note-private"><${Icon} name="lock" size=${12} />仅内部可见</span>
      <button type="button" class="btn btn-note btn-sm" data-testid="note-save" disabled=${busy || !text.trim()} onClick=${save}>保存备注</button>
    </div>
  </div>`;
}

/** The transfer's note: why the chat is passed on, for the new owner (a private note, never sent). */
const TRANSFER_NOTE_MAX = 500;

/** Who is online changes by the minute: the list is read again each time the agent goes to pick someone. */
function Transfer({ conv, me, enabled, onTransfer }) {
  const { items, loaded } = useStore(agentsList);
  const [to, setTo] = useState('');
  const [note, setNote] = useState('');
  // Opened by a reload at the chat's address, the shell's start empties the list the chat asked
  // for (children's effects run first): ask again while it is not loaded.
  // Keyed on the list too: a second emptying (the shell starting after a sign-in) is a new list
  // with the same `loaded: false`, and must ask again as well.
  useEffect(() => {
    if (!loaded) loadAgents();
  }, [loaded, items]);
  const choices = items.filter((a) => a.id !== conv.assignee?.id);
  const online = (a) => (a.online ? '在线' : '离线');
  return html`<div class="transfer">
    <select class="input input-sm" data-testid="transfer-select" value=${to} disabled=${!enabled}
      onChange=${(e) => setTo(e.currentTarget.value)} onFocus=${() => loadAgents(true)} aria-label="转接给">
      <option value="">${choices.length ? '选择客服…' : loaded ? '暂无可转接的客服' : '正在加载客服…'}</option>
      ${choices.map((a) => html`<option key=${a.id} value=${a.username}>${a.name}${a.id === me.id ? '（我）' : ''} · ${online(a)}</option>`)}
    </select>
    ${to
      ? html`<textarea class="input transfer-note" data-testid="transfer-note" rows="2" maxlength=${TRANSFER_NOTE_MAX} value=${note}
          placeholder="转接说明（可选）：客户要什么、已做了什么。仅新负责人和同事可见" aria-label="转接说明"
          onInput=${(e) => setNote(e.currentTarget.value)}></textarea>`
      : null}
    <button type="button" class="btn btn-sm" data-testid="transfer-btn" disabled=${!enabled || !to}
      onClick=${async () => {
        if (await onTransfer(to, note.trim())) {
          setTo('');
          setNote('');
        }
      }}><${Icon} name="swap" size=${14} />转接</button>
  </div>`;
}

export function Details({ conv, me, canManage, canTag = true, onTags, onNote, onTransfer }) {
  const name = customerName(conv);
  const { byId } = useStore(problems);
  const problem = conv.problemId ? byId.get(conv.problemId) : null;
  return html`<aside class="details" aria-label="会话详情">
    <section class="card">
      <div class="cust">
        <${Avatar} name=${name} id=${conv.customer?.id} size="lg" />
        <div class="cust-main">
          <div class="cust-name"><${Bidi} text=${name} /> <${TierBadge} tier=${conv.customer?.tier} /></div>
          <div class="muted small">接待账号 ${conv.botId}</div>
        </div>
      </div>
      <dl class="facts">
        <dt>状态</dt><dd>${STATUSES[conv.status] ?? conv.status}</dd>
        ${conv.reason ? html`<dt>转人工原因</dt><dd>${reasonLabel(conv.reason)}</dd>` : null}
        ${conv.question ? html`<dt>客户问题</dt><dd class="pre"><${Bidi} text=${conv.question} /></dd>` : null}
        ${conv.waitingSince ? html`<dt>开始排队</dt><dd>${when(conv.waitingSince)}</dd>` : null}
        ${conv.slaDueAt ? html`<dt>响应时限</dt><dd>${when(conv.slaDueAt)}</dd>` : null}
        ${conv.firstResponseAt ? html`<dt>首次回复</dt><dd>${when(conv.firstResponseAt)}</dd>` : null}
        ${conv.problemId
          ? html`<dt>关联问题</dt><dd><a class="link" data-testid="details-problem" href=${problemHref(conv.problemId)}>${problem?.title ?? conv.problemId}</a>
              ${problem?.status === 'fixed' ? html`<span class="muted small">（已修复）</span>` : null}</dd>`
          : null}
        <dt>创建时间</dt><dd>${when(conv.createdAt)}</dd>
      </dl>
    </section>
    <${CustomerPanel} conv=${conv} />
    <section class="card">
      <h3 class="card-title"><${Icon} name="tag" size=${14} />标签</h3>
      <${Tags} tags=${conv.tags ?? []} onChange=${onTags} enabled=${canTag} />
      <${TagSuggest} conv=${conv} enabled=${canTag} />
    </section>
    <section class="card card-note">
      <h3 class="card-title"><${Icon} name="lock" size=${14} />内部备注</h3>
      <${NoteForm} convId=${conv.id} onSave=${onNote} />
    </section>
    <section class="card">
      <h3 class="card-title"><${Icon} name="swap" size=${14} />转接</h3>
      <${Transfer} conv=${conv} me=${me} enabled=${canManage} onTransfer=${onTransfer} />
      ${canManage ? null : html`<div class="muted small">接入会话后可以转接给其他客服</div>`}
    </section>
  </aside>`;
}
