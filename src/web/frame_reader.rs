//! The one-call frame path's wasm side: the scratch buffer `frames.js` writes a frame's head text
//! into, and the bindings of that module. See `frames.js` and [`crate::core::FrameHead`].

use crate::prelude::*;
use crate::core::{FrameHead, HEAD_FIELDS, HEAD_TEXT_FIELDS, HEAD_TEXT_MAX};
use super::local::Local;
use js_sys::{Array, Function};
use ::core::cell::Cell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/frames.js")]
extern "C" {
    #[wasm_bindgen(js_name = setupHead)]
    fn setup_head(memory: &JsValue, texts: u32, nums: u32, names: Array, n_text: u32, max: u32);
    #[wasm_bindgen(js_name = frameReader)]
    fn frame_reader(max: u32, fast: &Function, slow: &Function, hooks: &JsValue) -> Function;
    /// The payload of the hook a one-call code names, built from the frame's `data` (by
    /// `frames.js`, for both paths).
    #[wasm_bindgen(js_name = payloadOf)]
    pub fn payload(code: u32, data: &JsValue, waiting: u32) -> JsValue;
    /// The clock the session runs on (`performance.now()`, as the frame path passes it in).
    pub fn clock() -> f64;
    /// Feeds the socket's `message` events to `read`; answers the listener.
    pub fn listen(ws: &web_sys::WebSocket, read: &Function) -> Function;
}

/// The answer of the one call that sends a frame back to the full path.
pub const SLOW: u32 = 7;

/// The hooks the one call can leave to JS (`HOOKS` in `frames.js`): the low three bits of its answer.
pub mod code {
    /// `onMessage`.
    pub const MESSAGE: u32 = 1;
    /// `onCustomerWaiting` (the queue length in the bits above).
    pub const WAITING: u32 = 2;
    /// `onTransferRequest`.
    pub const TRANSFER: u32 = 3;
    /// `onTransferRejected`.
    pub const REFUSED: u32 = 4;
    /// `onHeartbeat`.
    pub const HEARTBEAT: u32 = 5;
}

/// The scratch buffer: JS writes into it between calls, hence cells; `copy` is where a call
/// copies the texts it reads (kept between calls).
struct Scratch {
    texts: Box<[Cell<u16>]>,
    nums: Box<[Cell<f64>]>,
    copy: Cell<Vec<u16>>,
}

/// The head buffers `frames.js` writes into, registered with it when first made.
static SCRATCH: Local<Scratch> = Local::new(|| {
    let s = Scratch {
        texts: (0..HEAD_TEXT_FIELDS * HEAD_TEXT_MAX).map(|_| Cell::new(0)).collect(),
        nums: (0..HEAD_TEXT_FIELDS).map(|_| Cell::new(f64::NAN)).collect(),
        copy: Cell::new(Vec::new()),
    };
    let names: Array = HEAD_FIELDS.iter().map(|n| JsValue::from_str(n)).collect();
    let (texts, nums) = (s.texts.as_ptr() as u32, s.nums.as_ptr() as u32);
    setup_head(&wasm_bindgen::memory(), texts, nums, names, HEAD_TEXT_FIELDS as u32, HEAD_TEXT_MAX as u32);
    s
});

/// A reader for one socket's frames (`frames.js`): `fast` is the one call, `slow` the full path.
pub fn reader(max_chars: usize, fast: &Function, slow: &Function, hooks: &JsValue) -> Function {
    SCRATCH.with(|_| ()); // the scratch buffer exists before the first frame
    frame_reader(max_chars.min(u32::MAX as usize) as u32, fast, slow, hooks)
}

/// Runs `f` on the head `frames.js` just described (`tags`, `status`, `seq`, text lengths `lens`).
pub fn with_head<R>(tags: u32, status: f64, seq: f64, lens: u32, f: impl FnOnce(&FrameHead<'_>) -> R) -> R {
    SCRATCH.with(|s| {
        let mut buf = s.copy.take();
        buf.clear();
        let mut ends = [0usize; HEAD_TEXT_FIELDS];
        for (i, end) in ends.iter_mut().enumerate() {
            let len = (((lens >> (9 * i)) & 0x1ff) as usize).min(HEAD_TEXT_MAX);
            buf.extend(s.texts[i * HEAD_TEXT_MAX..i * HEAD_TEXT_MAX + len].iter().map(Cell::get));
            *end = buf.len();
        }
        let head = FrameHead {
            tags,
            status,
            seq,
            texts: [&buf[..ends[0]], &buf[ends[0]..ends[1]], &buf[ends[1]..ends[2]]],
            nums: [s.nums[0].get(), s.nums[1].get(), s.nums[2].get()],
        };
        let r = f(&head);
        s.copy.set(buf);
        r
    })
}
