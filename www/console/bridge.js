// The session bridge: the AgentSession is created (and connects) while LayIM still loads, with a
// forwarder for every hook the module declares (`hookNames()`, the TypeScript contract's list).
// Until the UI attaches its hooks, events wait here in order and are replayed then, so nothing
// that arrives early (a replayed message, an offer, a reply restored from the durable outbox) is
// lost. The tabs of one agent share one socket (`shareAcrossTabs`), and a reload asks the server
// only for what this tab has not shown (`resumeAcrossReloads`; chats.js reopens its windows).
import init, { AgentSession, hookNames } from '../pkg/kefu_agent.js';

/** Starts the session once the wasm is compiled (`profile`, a promise, names the agent later); returns
 * `{ ready: Promise<AgentSession>, attach(hooks) }`. */
export function startSession({ serverUrl, authToken, kfId, profile, logLevel }) {
  const early = [];
  let ui = null;
  const forward = {};
  // The session starts as soon as the wasm is ready; the agent's name (sent with chat messages)
  // follows when the profile arrives, so connecting does not wait for that request.
  // early.js has been compiling the module since the top of the page (null: fetch it here).
  const ready = Promise.resolve(window.kefuWasm).then((module) => init(module ? { module_or_path: module } : undefined)).then(() => {
    performance.mark('kefu:wasm-ready');
    for (const name of hookNames()) {
      forward[name] = (e) => {
        if (name === 'onStateChange' && e.state === 'open' && !performance.getEntriesByName('kefu:socket-open').length) {
          performance.mark('kefu:socket-open'); // start-up benchmark (scripts/bench.sh)
        }
        if (!ui) early.push([name, e]);
        else if (ui[name]) ui[name](e);
      };
    }
    const s = new AgentSession({ serverUrl, authToken, kfId, kfName: kfId, logLevel, durableOutbox: true, shareAcrossTabs: true, resumeAcrossReloads: true }, forward);
    Promise.resolve(profile).then((p) => { if (p && p.name) s.kfName = p.name; });
    s.connect();
    performance.mark('kefu:connect-called');
    return s;
  });
  return {
    ready,
    /** Hands events to `hooks` from now on, after replaying those that came early. */
    attach(hooks) {
      ui = hooks;
      for (const [name, e] of early.splice(0)) if (hooks[name]) hooks[name](e);
    },
  };
}
