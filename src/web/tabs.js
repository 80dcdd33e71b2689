// One socket per agent across the tabs of a browser (AgentSession option `shareAcrossTabs`): the
// sessions of one server + agent ask for the same Web Lock; its holder owns the socket and the
// others follow over a BroadcastChannel of the same name. The browser hands the lock to the next
// tab when its holder closes, navigates away or crashes.
export function tabsSupported() {
  return typeof BroadcastChannel === 'function' && typeof navigator === 'object' && !!navigator.locks;
}

/** The start-up benchmark's phase marks (scripts/bench.sh), once per page. */
function mark(phase) {
  if (!performance.getEntriesByName('kefu:' + phase).length) performance.mark('kefu:' + phase);
}

export class TabChannel {
  constructor(name, onLead, onMessage) {
    this.stop = new AbortController();
    this.release = null;
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (e) => onMessage(e.data);
    // A page may have asked for this lock before the session existed (the console's early.js,
    // `kefuEarlyLock`): then it is adopted, not asked for again; one of another name is let go.
    const early = globalThis.kefuEarlyLock;
    const adopted = early ? early.take(name) : null;
    if (adopted) {
      this.stop.signal.addEventListener('abort', adopted);
      early.granted.then(() => {
        if (this.stop.signal.aborted) return;
        mark('lock-granted');
        this.release = adopted;
        onLead();
      });
      return;
    }
    if (early && !early.taken) early.abort();
    mark('lock-asked');
    navigator.locks.request(name, { signal: this.stop.signal }, () => new Promise((resolve) => {
      mark('lock-granted');
      this.release = resolve;
      onLead();
    })).catch(() => {}); // aborted by close()
  }

  /** Posts to the other tabs (throws a DataCloneError for what cannot be cloned). */
  post(message) {
    this.channel.postMessage(message);
  }

  /** Leaves: stops waiting for the lock or gives it up, and closes the channel. */
  close() {
    this.stop.abort();
    if (this.release) this.release();
    this.channel.close();
  }
}
