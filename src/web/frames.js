// The socket's frames, read in JS (issue 28): one JSON.parse, then the few fields the core
// decides on (the list comes from the core: HEAD_FIELDS) handed to wasm in one call as numbers
// and UTF-16 text written into a scratch buffer. The core answers with the hook to call (a small
// code), and the hook gets the already parsed payload. A frame the head cannot describe, or one
// the core wants to see whole, goes to `slow` with the parsed object (or the raw data).

const ABSENT = 0, NULL = 1, STRING = 2, NUMBER = 3, FALSE = 4, TRUE = 5, OBJECT = 6, OTHER = 7;
/** Answer of `fast`: take the full path with the parsed frame. */
const SLOW = 7;
/** The hooks a frame's code names, by code (low three bits). */
const HOOKS = [null, 'onMessage', 'onCustomerWaiting', 'onTransferRequest', 'onTransferRejected', 'onHeartbeat'];

/** The `data` fields the core decides on (its HEAD_FIELDS); the first three are copied. */
export const FIELDS = ['userId', 'userName', 'id', 'content', 'kfId', 'createTime'];

let memory = null, textsAt = 0, numsAt = 0, textMax = 0, lens = 0;
let u16 = null, f64 = null;

/**
 * Where the scratch buffer is (byte offsets in the module's memory) and what the core reads;
 * throws when the core's list is not FIELDS (a build mixing versions; no frame would be read right).
 */
export function setupHead(mem, texts, nums, names, nText, max) {
  if (names.join() !== FIELDS.join() || nText !== 3) throw new Error('kefu: frames.js does not match the core (' + names.join() + ')');
  memory = mem; textsAt = texts >>> 1; numsAt = nums >>> 3; textMax = max;
}

/** The tag of text field `i`'s value `v`, which is written to the scratch buffer when copied. */
function text(v, i) {
  let t = tagOf(v);
  if (t !== STRING && t !== NUMBER) return t;
  const s = t === STRING ? v : String(v);
  if (s.length > textMax) return OTHER;
  const at = textsAt + i * textMax;
  for (let k = 0; k < s.length; k++) u16[at + k] = s.charCodeAt(k);
  lens |= s.length << (9 * i);
  f64[numsAt + i] = t === NUMBER ? v : NaN;
  return t;
}

/** The clock the session runs on (the same one the frame path passes in). */
export function clock() {
  return performance.now();
}

function tagOf(v) {
  switch (typeof v) {
    case 'undefined': return ABSENT;
    case 'string': return STRING;
    case 'number': return Number.isFinite(v) ? NUMBER : OTHER;
    case 'boolean': return v ? TRUE : FALSE;
    case 'object': return v === null ? NULL : Array.isArray(v) ? OTHER : OBJECT;
    default: return OTHER;
  }
}

/** The payload of the hook `code` names, built from the frame's `data` (the one place it is built). */
export function payloadOf(code, data, waiting) {
  switch (code) {
    case 1: return data;
    case 2: return { id: data.id, userName: data.userName, waiting, data };
    case 3: return { id: data.id, userName: data.userName, data };
    case 4: return { id: data.id, userName: data.userName };
    default: return {};
  }
}

/**
 * A reader of one socket's frames: `read(raw, at)` for each `message` event's data and time stamp
 * (`performance.now()` when there is none). `fast(data, now, tags, status, seq, lens)` is the
 * core's one call; `slow(value, parsed)` the full path.
 */
export function frameReader(max, fast, slow, hooks) {
  return function read(raw, at) {
    if (typeof raw !== 'string' || raw.length > max) return slow(raw, false);
    let f;
    try {
      f = JSON.parse(raw);
    } catch (_) {
      return slow(raw, false); // the full path parses again for the browser's message
    }
    if (f === null || typeof f !== 'object' || Array.isArray(f)) return slow(f, true);
    const data = f.data, status = f.status, seq = f.seq, dataTag = tagOf(data);
    let tags = tagOf(status) | (tagOf(seq) << 3) | (dataTag << 6);
    lens = 0;
    if (dataTag === OBJECT) {
      if (u16 === null || u16.length === 0) { // none yet, or detached by the memory's growth
        u16 = new Uint16Array(memory.buffer);
        f64 = new Float64Array(memory.buffer);
      }
      // FIELDS, read by name (a test and setupHead check it against the core's list).
      tags |= (text(data.userId, 0) << 9) | (text(data.userName, 1) << 12) | (text(data.id, 2) << 15)
        | (tagOf(data.content) << 18) | (tagOf(data.kfId) << 21) | (tagOf(data.createTime) << 24);
    }
    // The event's time stamp is on the page's clock (ms since it loaded) in current browsers; an
    // old engine's epoch milliseconds (~1.7e12), or none, falls back to reading the clock.
    const now = typeof at === 'number' && at > 0 && at < 1e11 ? at : performance.now();
    const code = fast(data, now, tags, typeof status === 'number' ? status : NaN, typeof seq === 'number' ? seq : NaN, lens);
    if (code === SLOW) return slow(f, true);
    const kind = code & 7;
    if (kind === 0) return;
    const name = HOOKS[kind];
    const hook = hooks == null ? undefined : hooks[name];
    if (typeof hook !== 'function') return;
    try {
      hook.call(hooks, payloadOf(kind, data, code >>> 3));
    } catch (e) {
      console.error('[kefu] hook threw:', name, e);
    }
  };
}

/**
 * Feeds `ws`'s `message` events to `read`, with the event's time stamp (the same clock as
 * `performance.now()`, already read by the browser). Returns the listener, for removing it.
 */
export function listen(ws, read) {
  const listener = (e) => read(e.data, e.timeStamp);
  ws.addEventListener('message', listener);
  // The start-up benchmark's phase (scripts/bench.sh): the page's first socket.
  if (!performance.getEntriesByName('kefu:socket-created').length) performance.mark('kefu:socket-created');
  return listener;
}

// The live board as `onBoard` hands it out (extension `board`): with `boardDelta` the server
// sends it whole once and then only what changed — the agents whose row changed, the ids of those
// gone, the queue when it changed — and this keeps the whole board (on `held`, one per session),
// so the hook always gets it whole. Unchanged rows keep their objects from one board to the next.

/** The whole board after `data` (a whole board, or changes), kept on `held.board`. */
export function mergeBoard(held, data) {
  if (data === null || typeof data !== 'object' || data.delta !== true) {
    held.board = data;
    return data;
  }
  const last = held.board || { agents: [], queue: [] };
  const rows = new Map(last.agents.map((a) => [a.kfId, a]));
  for (const id of data.removed || []) rows.delete(id);
  for (const a of data.agents) rows.set(a.kfId, a);
  const agents = [...rows.values()].sort((a, b) => (a.kfId < b.kfId ? -1 : a.kfId > b.kfId ? 1 : 0));
  held.board = { agents, queue: Array.isArray(data.queue) ? data.queue : last.queue };
  return held.board;
}
