// The sign-in page. The collector rate-limits failures; we only say what happened in words.
import { SessionInfo } from '../../../../shared/api.js';
import { brandMark } from '../components/icons.js';
import { ApiError, type ApiClient } from '../lib/api-client.js';
import { h } from '../lib/dom.js';

export function signInPage(api: ApiClient, onSignedIn: (s: SessionInfo) => void, notice?: string): HTMLElement {
  const user = h('input', { attrs: { name: 'username', autocomplete: 'username', required: true, autofocus: true, 'data-testid': 'signin-username' } });
  const pass = h('input', { attrs: { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'signin-password' } });
  const msg = h('div', { class: `form-msg ${notice ? '' : ''}`, attrs: { role: 'alert', 'data-testid': 'signin-message' } }, notice ?? '');
  const button = h('button', { class: 'btn primary', attrs: { type: 'submit', 'data-testid': 'signin-submit' } }, 'Sign in');
  const form = h(
    'form',
    { class: 'signin', attrs: { 'aria-label': 'Sign in' } },
    h('div', { class: 'brand-row' }, h('span', { class: 'brand-mark' }, brandMark(16)), 'vawatch'),
    h('p', { class: 'lead' }, 'Volume activation monitor — sign in to the console.'),
    h('div', { class: 'field' }, h('label', { attrs: { for: 'si-user' } }, 'User name'), user),
    h('div', { class: 'field' }, h('label', { attrs: { for: 'si-pass' } }, 'Password'), pass),
    button,
    msg,
    h('div', { class: 'foot' }, 'Accounts are managed with ', h('code', null, 'npm run collector -- user add'), ' or on the Admin page.'),
  );
  user.id = 'si-user';
  pass.id = 'si-pass';
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    button.disabled = true;
    msg.className = 'form-msg';
    msg.textContent = 'Signing in…';
    api.post('/api/v1/session', { username: user.value.trim(), password: pass.value }, SessionInfo).then(
      (s) => onSignedIn(s),
      (err: unknown) => {
        button.disabled = false;
        msg.className = 'form-msg error';
        if (err instanceof ApiError && err.status === 401) msg.textContent = 'Wrong user name or password.';
        else if (err instanceof ApiError && err.status === 429) msg.textContent = 'Too many attempts. Wait a minute, then try again.';
        else msg.textContent = err instanceof Error ? err.message : String(err);
        pass.select();
      },
    );
  });
  return h('div', { class: 'signin-page' }, form);
}
