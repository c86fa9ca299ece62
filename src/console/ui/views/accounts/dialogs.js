/**
 * The 账号 page's dialogs: 添加账号 / 编辑账号 (username once, 工作台显示名, 对客户显示的名字,
 * roles, and on adding an optional password), and the one place a generated password is shown,
 * once, to pass on to the person.
 */
import { html, useLayoutEffect, useRef, useState } from '/vendor/preact-htm.js';
import { ApiError, describeError } from '../../api.js';
import { useEscape } from '../../components/escape.js';
import { Icon } from '../../components/icons.js';
import { ROLE_NAMES } from '../../constants.js';
import { chars } from '../../format.js';

export const DISPLAY_NAME_MAX = 16;
const ROLE_ORDER = ['agent', 'editor', 'manager', 'admin'];
const ROLE_HELP = {
  agent: '接待客户、处理会话',
  editor: '编辑知识库',
  manager: '数据、已知问题修复、所有会话（含客服权限）',
  admin: '账号管理（含全部权限）',
};

/** The server's refusal in one Chinese sentence (it names the failing fields in English). */
export function accountError(err) {
  if (!(err instanceof ApiError)) return describeError(err).text;
  const m = err.message ?? '';
  if (err.code === 'CONFLICT' && /username/.test(m)) return '这个用户名已被占用，请换一个';
  if (err.code === 'CONFLICT' && /only enabled admin/.test(m)) return '这是唯一启用的管理员，不能停用，也不能取消管理员角色；请先设置另一位管理员';
  if (err.code === 'CONFLICT') return '不能停用自己的账号，也不能取消自己的管理员角色；请让另一位管理员操作';
  if (err.status === 400) {
    const parts = [];
    if (/body\.username/.test(m)) parts.push('用户名需为 2-32 位小写字母、数字或 _ . -');
    if (/body\.displayName/.test(m)) parts.push(`对客户显示的名字最多 ${DISPLAY_NAME_MAX} 个字，不能有换行或花括号`);
    if (/body\.name/.test(m)) parts.push('工作台显示名不能为空，最多 64 个字');
    if (/body\.roles/.test(m)) parts.push('至少选择一个角色');
    const zh = /\(([^()]*)\)\s*$/.exec(m);
    // The server's Chinese reason names the password itself (密码至少需要…) or says why (这是常见密码…).
    if (/body\.password/.test(m)) parts.push(zh ? (zh[1].startsWith('密码') ? zh[1] : `密码不可用：${zh[1]}`) : '密码不符合要求');
    if (parts.length > 0) return parts.join('；');
  }
  if (err.status === 404) return '找不到这个账号，可能已被删除';
  return describeError(err).text;
}

export function Dialog({ title, icon, testid, onClose, children }) {
  useEscape(onClose);
  return html`<div class="ac-overlay" onMouseDown=${(e) => {
      if (e.target === e.currentTarget) onClose();
    }}>
    <div class="ac-dialog" role="dialog" aria-modal="true" aria-label=${title} data-testid=${testid}>
      <header class="ac-dialog-head">
        <h2><${Icon} name=${icon} size=${17} />${title}</h2>
        <button type="button" class="ac-close" aria-label="关闭" title="关闭（Esc）" data-testid="account-dialog-close" onClick=${onClose}>×</button>
      </header>
      ${children}
    </div>
  </div>`;
}

/**
 * Adds (`account` null) or edits an account. `onSave(body)` resolves with the server's answer or
 * throws; the dialog shows the refusal and stays open.
 */
export function AccountForm({ account, me, onSave, onClose }) {
  const adding = !account;
  const [username, setUsername] = useState('');
  const [name, setName] = useState(account?.name ?? '');
  const [displayName, setDisplayName] = useState(account?.displayName ?? '');
  const [roles, setRoles] = useState(new Set(account?.roles ?? ['agent']));
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const first = useRef(null);
  // Focused as the dialog appears, not a frame later: keys typed (or filled) into another field of
  // the just-opened dialog would otherwise land in this one.
  useLayoutEffect(() => first.current?.focus(), []);
  const self = account?.id === me.id;
  const over = chars(displayName.trim()) > DISPLAY_NAME_MAX;

  function toggle(role) {
    const next = new Set(roles);
    if (next.has(role)) next.delete(role);
    else next.add(role);
    setRoles(next);
  }

  async function submit(e) {
    e.preventDefault();
    if (busy || over) return;
    if (roles.size === 0) return setError('至少选择一个角色');
    const body = { displayName: displayName.trim(), roles: ROLE_ORDER.filter((r) => roles.has(r)) };
    if (name.trim()) body.name = name.trim();
    if (adding) {
      body.username = username.trim();
      if (password) body.password = password;
    }
    setBusy(true);
    setError('');
    try {
      await onSave(body);
    } catch (err) {
      setError(accountError(err));
      setBusy(false);
    }
  }

  return html`<${Dialog} title=${adding ? '添加账号' : `编辑账号 ${account.username}`} icon=${adding ? 'plus' : 'user'} testid="account-dialog" onClose=${onClose}>
    <form class="ac-form" onSubmit=${submit} novalidate>
      ${adding
        ? html`<label class="field"><span>用户名（登录用）</span>
            <input ref=${first} data-testid="account-username" autocomplete="off" spellcheck="false" placeholder="例如 xiaomei"
              value=${username} onInput=${(e) => setUsername(e.currentTarget.value.toLowerCase())} /></label>`
        : null}
      <label class="field"><span>工作台显示名 <em class="muted">同事看到的名字</em></span>
        <input ref=${adding ? null : first} data-testid="account-name" placeholder=${adding ? '默认同用户名' : ''} maxlength="64"
          value=${name} onInput=${(e) => setName(e.currentTarget.value)} /></label>
      <label class="field"><span>对客户显示的名字 <em class="muted">客服接入时客户会看到</em></span>
        <input data-testid="account-display-name" placeholder="例如 小美（不填则不向客户透露名字）" maxlength=${DISPLAY_NAME_MAX + 4}
          value=${displayName} onInput=${(e) => setDisplayName(e.currentTarget.value)} /></label>
      <p class=${`ac-preview small ${over ? 'ac-over' : 'muted'}`} data-testid="account-preview">
        ${over ? `最多 ${DISPLAY_NAME_MAX} 个字` : `客户会看到：“${displayName.trim() ? `您好，我是客服${displayName.trim()}，接下来由我为您服务~` : '您好，人工客服已接入，接下来由我为您服务~'}”`}
      </p>
      <fieldset class="ac-roles">
        <legend>角色</legend>
        ${ROLE_ORDER.map(
          (r) => html`<label key=${r} class="ac-role">
            <input type="checkbox" data-testid=${`account-role-${r}`} checked=${roles.has(r)} disabled=${self && r === 'admin'} onChange=${() => toggle(r)} />
            <span><strong>${ROLE_NAMES[r]}</strong><span class="muted small">${ROLE_HELP[r]}</span></span>
          </label>`,
        )}
      </fieldset>
      ${adding
        ? html`<label class="field"><span>初始密码 <em class="muted">留空自动生成，只显示一次</em></span>
            <input type="password" data-testid="account-password" autocomplete="new-password" value=${password}
              onInput=${(e) => setPassword(e.currentTarget.value)} /></label>`
        : null}
      ${error ? html`<div class="form-error" role="alert" data-testid="account-error">${error}</div>` : null}
      <div class="ac-actions">
        <button type="button" class="btn btn-sm" onClick=${onClose}>取消</button>
        <button type="submit" class="btn btn-sm btn-primary" data-testid="account-save" disabled=${busy || over || (adding && !username.trim())}>
          ${busy ? '保存中…' : adding ? '添加' : '保存'}</button>
      </div>
    </form>
  </${Dialog}>`;
}

/** A generated password, shown once: the admin copies it and tells the person over a safe channel. */
export function PasswordShown({ username, password, onClose }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(password);
      setCopied(true);
    } catch {
      // No clipboard (plain http): the text is selectable.
    }
  }
  return html`<${Dialog} title="请记下新密码" icon="lock" testid="password-dialog" onClose=${onClose}>
    <div class="ac-form">
      <p>账号 <strong>${username}</strong> 的密码：</p>
      <code class="ac-password" data-testid="password-value">${password}</code>
      <p class="muted small">只显示这一次。请通过安全的方式告诉本人，登录后可由管理员再次重置。</p>
      <div class="ac-actions">
        <button type="button" class="btn btn-sm" data-testid="password-copy" onClick=${copy}><${Icon} name="check" size=${14} />${copied ? '已复制' : '复制'}</button>
        <button type="button" class="btn btn-sm btn-primary" data-testid="password-done" onClick=${onClose}>我已记下</button>
      </div>
    </div>
  </${Dialog}>`;
}
