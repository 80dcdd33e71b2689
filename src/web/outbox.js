// Durable outbox storage for AgentSession (option `durableOutbox`): messages accepted by send()
// and not yet confirmed live in IndexedDB, keyed by server socket URL + kfId, until the session
// forgets them; the next session for the same server and agent loads them back. If IndexedDB is
// unavailable or full, onError is called once and the session goes on in memory.
const DB_NAME = 'kefu-agent';
const STORE = 'outbox';
let opening = null;

function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: ['key', 'msgId'] });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return opening;
}

export class OutboxStore {
  constructor(key, onSaved, onError) {
    this.key = key;
    this.onSaved = onSaved;
    this.onError = onError;
    this.db = null;
    this.failed = false;
    this.n = 0;
    this.ready = typeof indexedDB === 'undefined' ? Promise.reject(new Error('IndexedDB is not available')) : openDb();
    this.ready.then((db) => { this.db = db; }, (e) => this.fail(e));
  }

  fail(e) {
    if (this.failed) return;
    this.failed = true;
    if (!this.closed) this.onError(String((e && e.message) || e || 'storage error'));
  }

  /** Its session is gone: writes still started complete, but nothing is called back. */
  close() {
    this.closed = true;
  }

  // A transaction on the store, started at once when the database is open (so a put issued by
  // send() starts inside send()), else as soon as it opens.
  write(run) {
    if (this.failed) return;
    const go = (db) => {
      try {
        const tx = db.transaction(STORE, 'readwrite');
        const done = run(tx.objectStore(STORE));
        tx.oncomplete = () => done && done();
        tx.onerror = tx.onabort = () => this.fail(tx.error);
      } catch (e) {
        this.fail(e);
      }
    };
    if (this.db) go(this.db);
    else this.ready.then(go, () => {});
  }

  /** Calls `onLoaded` with the kept messages for this key, oldest first: [{ msgId, userId, userName, content }]. */
  load(onLoaded) {
    this.ready.then((db) => new Promise((resolve) => {
      const req = db.transaction(STORE, 'readonly').objectStore(STORE).getAll(IDBKeyRange.bound([this.key], [this.key, []]));
      req.onsuccess = () => resolve(req.result.sort((a, b) => a.at - b.at || a.n - b.n));
      req.onerror = () => { this.fail(req.error); resolve([]); };
    })).catch(() => []).then((records) => { if (!this.closed) onLoaded(records); });
  }

  put(localId, msgId, userId, userName, content) {
    const record = { key: this.key, msgId, userId, userName, content, at: Date.now(), n: this.n++ };
    this.write((store) => { store.put(record); return () => this.closed || this.onSaved(localId); });
  }

  remove(msgId) {
    this.write((store) => { store.delete([this.key, msgId]); });
  }
}
