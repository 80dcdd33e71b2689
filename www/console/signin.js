// Signing in to the reference server (POST /auth/login) and remembering the token per server in
// localStorage, so every tab of the same agent shares it. A backend written for the original has
// no /auth endpoints: the console then runs as the original did, with the kfId alone.
import { $id } from './util.js';

const KEY = 'kefuAuth';

/** The saved sign-in for `server`: `{ kfId, token }`, or null. */
export function savedAuth(server) {
  try {
    const a = JSON.parse(localStorage.getItem(KEY) || 'null');
    return a && a.server === server && a.token ? a : null;
  } catch (_) {
    return null;
  }
}

/** Forgets the saved sign-in. */
export function forgetAuth() {
  localStorage.removeItem(KEY);
}

/** Whether `server` wants agents to sign in: our server answers 401 to an anonymous /auth/me;
 * a backend for the original has no such endpoint (404), and an insecure demo answers 200. */
export async function needsSignIn(server) {
  try {
    return (await fetch(server + '/auth/me')).status === 401;
  } catch (_) {
    return false;
  }
}

/** Shows the sign-in form (with a password when the server has accounts); resolves once signed in
 * with `{ kfId, token }` (token null for a backend without accounts). */
export function signIn(server, { kfId, withPassword, message }) {
  $id('login').hidden = false;
  $id('hint').hidden = true;
  const form = $id('login-form');
  const error = $id('login-error');
  form.elements.kfId.value = kfId || '';
  $id('password-row').hidden = !withPassword;
  form.elements.password.required = withPassword;
  error.hidden = !message;
  error.textContent = message || '';
  (kfId && withPassword ? form.elements.password : form.elements.kfId).focus();
  return new Promise((resolve) => {
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const id = form.elements.kfId.value.trim();
      if (!withPassword) return resolve({ kfId: id, token: null });
      const button = form.querySelector('button');
      button.disabled = true;
      error.hidden = true;
      try {
        const res = await fetch(server + '/auth/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ kfId: id, password: form.elements.password.value }),
        });
        const json = await res.json().catch(() => null);
        if (!res.ok || !json || json.code !== 0) throw new Error((json && json.msg) || 'HTTP ' + res.status);
        localStorage.setItem(KEY, JSON.stringify({ server, kfId: json.data.kfId, token: json.data.token }));
        resolve({ kfId: json.data.kfId, token: json.data.token });
      } catch (err) {
        error.textContent = '登录失败：' + err.message;
        error.hidden = false;
        form.elements.password.value = '';
      } finally {
        button.disabled = false;
      }
    });
  });
}
