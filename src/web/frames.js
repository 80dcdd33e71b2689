// What JS reads for the core, each in one pass: the session's options (once, `readConfig`) and the
// socket's frames (issue 28): one JSON.parse, then the few fields the core
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

// The session's options, read once (issue 28: "config read once as a typed object, not field by
// field"): each option's rule — its type, range and words — and the socket URL, checked here in
// one pass over the object; the core gets one typed answer. Defaults the core does not know (the
// shell's flags) are here; the session's timings keep the core's (SessionConfig::new), so an
// absent number is NaN. The option names come from the core (contract.rs: OPTIONS). It shares
// this file with the frame reader rather than being a module of its own: a fourth snippet module
// made wasm-bindgen-test-runner's first page load hang (its server left that request unanswered)
// in about half the runs of `wasm-pack test --headless --chrome`.

/** `[min, max]` of the whole-number options, in the order of `readConfig`'s numbers. */
const COUNTS = [
  ['heartbeatMs', 1, 86400000], ['heartbeatTimeoutMs', 1, 86400000], ['reconnectMs', 1, 86400000],
  ['connectTimeoutMs', 1, 86400000], ['helloWaitMs', 1, 86400000],
  ['maxHeldMessages', 0, 1000000], ['maxFrameChars', 16, 1073741824],
];
/** The flags and their defaults, in the order of `readConfig`'s numbers after COUNTS. */
const FLAGS = [['watchPage', true], ['durableOutbox', false], ['shareAcrossTabs', false], ['resumeAcrossReloads', false]];
/** Words of the word options; the index is what the core gets (absent: the default's). */
const WORDS = [['offlineSend', ['hold', 'fail'], 0], ['logLevel', ['silent', 'error', 'warn', 'info', 'debug'], 2]];
const LEVELS = 'silent, error, warn, info or debug';

class Bad extends Error {}

function optionText(cfg, key) {
  const v = cfg[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new Bad(key + ' must be a string');
  return v;
}

/**
 * Reads `cfg` (the names it may hold: `options`). Answers `[error]` with the message of an
 * INVALID_CONFIG error, or `[null, kfId, kfName, socketUrl, authToken, clientToken, numbers]`:
 * `numbers` a Float64Array of COUNTS (NaN: absent), FLAGS (0/1) and WORDS (their index).
 */
export function readConfig(cfg, options) {
  try {
    if (cfg === null || typeof cfg !== 'object') throw new Bad("the config must be an object like { kfId: 'xiaoming' }");
    for (const k of Object.keys(cfg)) {
      if (!options.includes(k)) throw new Bad('unknown option "' + k + '"; known options: ' + options.join(', '));
    }
    const id = cfg.kfId;
    const kfId = typeof id === 'string' ? id : typeof id === 'number' && Number.isFinite(id) ? String(id) : '';
    if (kfId.trim() === '') throw new Bad("kfId is required: a non-empty string (the agent's id)");
    const kfName = optionText(cfg, 'kfName');
    const numbers = new Float64Array(COUNTS.length + FLAGS.length + WORDS.length);
    let n = 0;
    for (const [key, min, max] of COUNTS) {
      const v = cfg[key];
      if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max)) {
        throw new Bad(key + ' must be an integer from ' + min + ' to ' + max + ', got ' + String(v));
      }
      numbers[n++] = v === undefined ? NaN : v;
    }
    for (const [key, dflt] of FLAGS) {
      const v = cfg[key];
      if (v !== undefined && typeof v !== 'boolean') throw new Bad(key + ' must be a boolean');
      numbers[n++] = (v === undefined ? dflt : v) ? 1 : 0;
    }
    for (const [key, words, dflt] of WORDS) {
      const v = optionText(cfg, key);
      const i = v === null ? dflt : words.indexOf(v);
      if (i < 0) {
        throw new Bad(key === 'logLevel' ? 'logLevel must be ' + LEVELS + ', got "' + v + '"' : key + ' must be "' + words.join('" or "') + '", got "' + v + '"');
      }
      numbers[n++] = i;
    }
    let server = optionText(cfg, 'serverUrl');
    if (server === null) {
      if (typeof location === 'undefined') throw new Bad('serverUrl is required outside a web page');
      server = location.origin;
    }
    const token = optionText(cfg, 'authToken') || null;
    if (token !== null && !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(token)) {
      throw new Bad("authToken may hold only letters, digits and !#$%&'*+-.^_`|~");
    }
    return [null, kfId, kfName, socketUrl(server, kfId), token, clientToken(), numbers];
  } catch (e) {
    if (e instanceof Bad) return [e.message];
    // A getter or proxy that throws: still a coded error, never a bare exception from the constructor.
    let why = '';
    try { why = String(e && e.message); } catch (_) { /* unreadable */ }
    return ['the config could not be read: ' + why];
  }
}

/**
 * `http(s)://host/base/` + `websocket/{kfId}` → `ws(s)://host/base/websocket/{kfId}`, with the id
 * percent-encoded and the base's query kept (for an auth token), its fragment dropped; the
 * browser's URL parses and resolves it against the page.
 */
function socketUrl(server, kfId) {
  let url;
  try {
    url = typeof location === 'undefined' ? new URL(server) : new URL(server, location.href);
  } catch (_) {
    throw new Bad('serverUrl "' + server + '" is not a valid URL');
  }
  const scheme = { 'http:': 'ws:', 'ws:': 'ws:', 'https:': 'wss:', 'wss:': 'wss:' }[url.protocol];
  if (!scheme) throw new Bad('serverUrl must be http(s) or ws(s), got "' + url.protocol + '"');
  url.protocol = scheme;
  url.pathname = (url.pathname.endsWith('/') ? url.pathname : url.pathname + '/') + 'websocket/' + encodeURIComponent(kfId);
  url.hash = '';
  return url.href;
}

/** A message-id prefix that does not repeat across page loads (extension `ack`): a random number
 * and the time, in base 36. */
function clientToken() {
  return Math.floor(Math.random() * 2821109907456).toString(36) + Math.floor(Date.now()).toString(36);
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
