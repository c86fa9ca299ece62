/**
 * 账号 (#/accounts, admins): every account with its roles, what customers hear it called, whether
 * it is disabled or locked; add one, edit names and roles, disable / enable, reset the password
 * (generated, shown once), unlock. The command line (`npm run kefu -- agents …`) does the same.
 * Disabling and resetting ask once more in place (a second click within a few seconds).
 */
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { get, post } from '../api.js';
import { Icon } from '../components/icons.js';
import { ROLE_NAMES } from '../constants.js';
import { initial } from '../format.js';
import { toast } from '../toast.js';
import { AccountForm, accountError, PasswordShown } from './accounts/dialogs.js';

const CONFIRM_MS = 4000;

/** A button that asks "确认…?" on the first click and acts on the second (within CONFIRM_MS). */
function ConfirmButton({ label, confirm, testid, danger, onConfirm, disabled }) {
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    if (!armed) return undefined;
    const t = setTimeout(() => setArmed(false), CONFIRM_MS);
    return () => clearTimeout(t);
  }, [armed]);
  return html`<button type="button" class=${`btn btn-sm${armed ? (danger ? ' btn-danger' : ' btn-primary') : ''}`} data-testid=${testid}
      data-armed=${armed ? 'true' : 'false'} disabled=${disabled}
      onClick=${() => {
        if (!armed) return setArmed(true);
        setArmed(false);
        onConfirm();
      }}>${armed ? confirm : label}</button>`;
}

function StatusChip({ a }) {
  if (a.disabled) return html`<span class="chip ac-chip-off" data-testid="account-status">已停用</span>`;
  if (a.lockedUntil) return html`<span class="chip chip-warn" data-testid="account-status">已锁定</span>`;
  return html`<span class=${`chip ${a.online ? 'ac-chip-online' : 'ac-chip-on'}`} data-testid="account-status">${a.online ? '在线' : '正常'}</span>`;
}

function AccountRow({ a, me, onEdit, onChanged, onPassword }) {
  const [busy, setBusy] = useState(false);
  const self = a.id === me.id;
  async function run(path, body, done) {
    setBusy(true);
    try {
      const res = await post(path, body);
      done(res);
    } catch (err) {
      toast(`操作失败：${accountError(err)}`, { kind: 'error' });
    } finally {
      setBusy(false);
    }
  }
  const base = `/api/agents/${encodeURIComponent(a.id)}`;
  return html`<tr class=${`ac-row${a.disabled ? ' is-disabled' : ''}`} data-testid="account-row" data-username=${a.username}>
    <td class="ac-who">
      <span class="ac-avatar" aria-hidden="true">${initial(a.name || a.username)}</span>
      <span class="ac-names"><strong data-testid="account-row-name">${a.name}</strong><code class="muted">${a.username}</code></span>
    </td>
    <td class="ac-public" data-label="对客户显示">
      ${a.displayName ? html`<span data-testid="account-row-display">${a.displayName}</span>` : html`<span class="muted" data-testid="account-row-display">未设置</span>`}
    </td>
    <td class="ac-role-cell" data-label="角色">${a.roles.map((r) => html`<span key=${r} class="chip chip-xs ac-role-chip">${ROLE_NAMES[r] ?? r}</span>`)}</td>
    <td data-label="状态"><${StatusChip} a=${a} /></td>
    <td class="ac-row-actions">
      <button type="button" class="btn btn-sm" data-testid="account-edit" disabled=${busy} onClick=${() => onEdit(a)}>编辑</button>
      ${a.lockedUntil ? html`<button type="button" class="btn btn-sm" data-testid="account-unlock" disabled=${busy}
          onClick=${() => run(`${base}/unlock`, undefined, () => onChanged({ ...a, lockedUntil: null }, `已解锁 ${a.username}`))}>解锁</button>` : null}
      <${ConfirmButton} label="重置密码" confirm="确认重置？" testid="account-reset" disabled=${busy}
        onConfirm=${() => run(`${base}/password`, {}, (res) => onPassword(a.username, res.password))} />
      ${self
        ? null
        : a.disabled
          ? html`<button type="button" class="btn btn-sm" data-testid="account-enable" disabled=${busy}
              onClick=${() => run(base, { disabled: false }, (res) => onChanged(res, `已启用 ${a.username}`))}>启用</button>`
          : html`<${ConfirmButton} label="停用" confirm="确认停用？" danger testid="account-disable" disabled=${busy}
              onConfirm=${() => run(base, { disabled: true }, (res) => onChanged(res, `已停用 ${a.username}，其登录已失效${res.releasedChats ? `；${res.releasedChats} 个进行中的会话已回到排队` : ''}`))} />`}
    </td>
  </tr>`;
}

export function AccountsPage({ me }) {
  const [items, setItems] = useState(null);
  const [failed, setFailed] = useState(false);
  const [editing, setEditing] = useState(null);
  const [shown, setShown] = useState(null);

  async function load() {
    try {
      const res = await get('/api/agents?all=1');
      setItems(res.items ?? []);
      setFailed(false);
    } catch {
      setFailed(true);
    }
  }
  useEffect(() => {
    load();
  }, []);

  const replace = (a) => setItems((list) => {
    const rest = (list ?? []).filter((x) => x.id !== a.id);
    return [...rest, a].sort((x, y) => x.username.localeCompare(y.username));
  });
  const changed = (a, text) => {
    replace(a);
    if (text) toast(text, { kind: 'success' });
  };

  async function save(body) {
    if (editing === 'new') {
      const res = await post('/api/agents', body);
      replace(res.agent);
      setEditing(null);
      if (res.password) setShown({ username: res.agent.username, password: res.password });
      else toast(`已添加 ${res.agent.username}`, { kind: 'success' });
      return;
    }
    const res = await post(`/api/agents/${encodeURIComponent(editing.id)}`, body);
    changed(res, `已保存 ${res.username}`);
    setEditing(null);
  }

  const active = (items ?? []).filter((a) => !a.disabled).length;
  return html`<main class="page" data-testid="accounts-page">
    <header class="page-head row-between ac-head">
      <div><h1>账号 <span class="count muted small">${items ? `${active} 个启用` : ''}</span></h1>
        <p class="muted">添加客服、设置角色和对客户显示的名字；停用后立即退出登录，其进行中的会话回到排队</p></div>
      <button type="button" class="btn btn-primary" data-testid="account-add" onClick=${() => setEditing('new')}><${Icon} name="plus" size=${15} />添加账号</button>
    </header>
    ${failed ? html`<div class="inline-error">账号列表加载失败，<button type="button" class="btn btn-ghost btn-sm" onClick=${load}>重试</button></div>` : null}
    <section class="card card-flush">
      <table class="ac-table" data-testid="account-list">
        <thead><tr><th>账号</th><th>对客户显示</th><th>角色</th><th>状态</th><th class="ac-th-actions">操作</th></tr></thead>
        <tbody>
          ${items === null && !failed ? html`<tr><td colspan="5" class="ac-empty">加载中…</td></tr>` : null}
          ${(items ?? []).map(
            (a) => html`<${AccountRow} key=${a.id} a=${a} me=${me} onEdit=${setEditing} onChanged=${changed}
              onPassword=${(username, password) => setShown({ username, password })} />`,
          )}
        </tbody>
      </table>
    </section>
    ${editing ? html`<${AccountForm} account=${editing === 'new' ? null : editing} me=${me} onSave=${save} onClose=${() => setEditing(null)} />` : null}
    ${shown ? html`<${PasswordShown} ...${shown} onClose=${() => setShown(null)} />` : null}
  </main>`;
}
