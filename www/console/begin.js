// Starting the session as early as possible: the deployment check (kefu-config.json) is read
// once, and when the agent is already known (a `?token=` from the URL, or this server's saved
// sign-in) the session connects and the profile is asked for at once, from console/early.js,
// before layui or the rest of the console has loaded. Otherwise main.js calls `begin()` after
// the sign-in form.
import { checkDeployment, kfId, params, server, setIdentity, token, tokenInUrl, withToken, api } from './util.js';
import { savedAuth } from './signin.js';
import { startSession } from './bridge.js';

let deployment = null;
/** `checkDeployment()`, read once per page (early.js and main.js share it). */
export function deploymentChecked() {
  if (!deployment) deployment = checkDeployment();
  return deployment;
}

/** Whether the agent is known without asking: a token and id in the URL, or this server's saved
 * sign-in for the same agent (then the identity is set from it). */
export function knownIdentity() {
  if (token && kfId) return true;
  const saved = savedAuth(server);
  if (saved && (!kfId || saved.kfId === kfId)) {
    setIdentity(saved.kfId, saved.token);
    return true;
  }
  return false;
}

let started = null;
/** Starts the session and the profile request for the identity set now, once: `{ bridge, info,
 * authToken }` (`info` resolves to the profile, or null). */
export function begin() {
  if (started) return started;
  // Our own sign-in's token goes as the socket's subprotocol, never in its URL.
  const authToken = token && !tokenInUrl ? token : undefined;
  const info = api('personalConfig/getInfo?kfId=' + encodeURIComponent(kfId)).then((r) => r.data, () => null);
  const bridge = startSession({ serverUrl: withToken(server + '/'), authToken, kfId, profile: info, logLevel: params.get('log') || 'warn' });
  started = { bridge, info, authToken };
  return started;
}

/** What early.js runs: begins at once when the agent is known and the deployment allows the
 * server (the page's own origin always is); otherwise leaves it to main.js (which shows the error
 * or the sign-in form). */
export async function beginEarly() {
  performance.mark('kefu:begin-loaded'); // start-up benchmark's phases (scripts/bench.sh)
  // The page's own origin is always allowed: only another `?server=` waits for the deployment's list.
  const check = deploymentChecked();
  if (server !== location.origin) {
    try {
      await check;
    } catch (_) {
      return null;
    }
  }
  return knownIdentity() ? begin() : null;
}
