import { html, useState } from '/vendor/preact-htm.js';
import { ApiError, post, setSession } from '../api.js';
import { Icon } from '../components/icons.js';

function loginMessage(err) {
  if (!(err instanceof ApiError)) return '登录失败，请重试';
  if (err.status === 401) return '用户名或密码错误';
  if (err.code === 'ACCOUNT_LOCKED') return '密码错误次数过多，账号已被暂时锁定。请稍后再试，或联系管理员解锁';
  if (err.status === 429) return '登录尝试次数过多，请稍后再试';
  if (err.status === 400) return '请输入用户名和密码';
  if (err.status === 0) return '无法连接服务器，请检查网络';
  return '登录失败，请稍后重试';
}

export function Login() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(e) {
    e.preventDefault();
    if (!username.trim() || !password) {
      setError('请输入用户名和密码');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const res = await post('/api/auth/login', { username: username.trim(), password });
      setSession(res.token, res.agent);
    } catch (err) {
      setError(loginMessage(err));
      setBusy(false);
    }
  }

  return html`<main class="login-page">
    <form class="login-card" onSubmit=${submit} novalidate>
      <div class="login-brand">
        <span class="brand-mark"><${Icon} name="chat" size=${22} /></span>
        <div>
          <h1>客服工作台</h1>
          <p class="muted">微信客服 · 人工坐席登录</p>
        </div>
      </div>
      <label class="field">
        <span>用户名</span>
        <input data-testid="login-username" name="username" autocomplete="username" autofocus
          value=${username} onInput=${(e) => setUsername(e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>密码</span>
        <input data-testid="login-password" name="password" type="password" autocomplete="current-password"
          value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} />
      </label>
      ${error ? html`<div class="form-error" role="alert" data-testid="login-error">${error}</div>` : null}
      <button class="btn btn-primary btn-block" type="submit" data-testid="login-submit" disabled=${busy}>
        ${busy ? '登录中…' : '登录'}
      </button>
      <p class="login-foot muted" data-testid="login-hint">没有账号？请管理员在工作台的「账号」页添加<br />
        （或在服务器上运行 <code>npm run kefu -- agents add 用户名 --role agent</code>）</p>
    </form>
  </main>`;
}
