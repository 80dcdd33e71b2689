//! The one-call frame path (issue 28): a frame decided from its head ([`decode_head`], what the
//! browser glue reads after its `JSON.parse`) decodes exactly as the full decoder decodes the
//! parsed frame, for every frame the head covers, valid or not. `describe` below stands in for
//! the glue's reader (`src/web/frames.js`); the wasm and e2e suites run the real one.
#![cfg(not(target_arch = "wasm32"))]

use kefu_agent::core::frames_in::tag;
use kefu_agent::core::*;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

/// What the glue hands over for `frame`: the tags, numbers and UTF-16 texts, as `frames.js` reads them.
struct Described {
    tags: u32,
    status: f64,
    seq: f64,
    texts: [Vec<u16>; HEAD_TEXT_FIELDS],
    nums: [f64; HEAD_TEXT_FIELDS],
}

fn type_tag(v: Option<&Value>) -> u32 {
    match v {
        None => tag::ABSENT,
        Some(Value::Null) => tag::NULL,
        Some(Value::String(_)) => tag::STRING,
        Some(Value::Number(_)) => tag::NUMBER,
        Some(Value::Bool(false)) => tag::FALSE,
        Some(Value::Bool(true)) => tag::TRUE,
        Some(Value::Object(_)) => tag::OBJECT,
        Some(Value::Array(_)) => tag::OTHER,
    }
}

fn describe(frame: &Value) -> Described {
    let mut d = Described { tags: 0, status: f64::NAN, seq: f64::NAN, texts: Default::default(), nums: [f64::NAN; HEAD_TEXT_FIELDS] };
    d.tags |= type_tag(frame.get("status"));
    d.tags |= type_tag(frame.get("seq")) << 3;
    d.tags |= type_tag(frame.get("data")) << 6;
    d.status = frame.get("status").and_then(Value::as_f64).unwrap_or(f64::NAN);
    d.seq = frame.get("seq").and_then(Value::as_f64).unwrap_or(f64::NAN);
    if let Some(data) = frame.get("data").and_then(Value::as_object) {
        for (i, name) in HEAD_FIELDS.iter().enumerate() {
            let v = data.get(*name);
            let mut t = type_tag(v);
            if i < HEAD_TEXT_FIELDS {
                let text = match v {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                };
                if let Some(text) = text {
                    let units: Vec<u16> = text.encode_utf16().collect();
                    if units.len() > HEAD_TEXT_MAX {
                        t = tag::OTHER;
                    } else {
                        d.texts[i] = units;
                    }
                }
                d.nums[i] = v.and_then(Value::as_f64).unwrap_or(f64::NAN);
            }
            d.tags |= t << (9 + 3 * i);
        }
    }
    d
}

type Decoded = Result<(ServerFrame<Value>, Option<u64>), FrameError>;

/// Decodes `frame` both ways; `None` when its head is not decidable (the full path takes it).
fn both(frame: &Value) -> Option<(Decoded, Decoded)> {
    let d = describe(frame);
    let head = FrameHead { tags: d.tags, status: d.status, seq: d.seq, texts: [&d.texts[0], &d.texts[1], &d.texts[2]], nums: d.nums };
    if !head.decidable() {
        return None;
    }
    let data = frame.get("data").cloned().unwrap_or(Value::Null);
    Some((decode_head(&head, data), decode_value(frame.clone())))
}

#[test]
fn the_common_frames_decode_from_their_head_as_from_the_whole_frame() {
    let frames = [
        json!({"status": 1, "data": {"userId": "u1", "userName": "张三", "kfId": "k", "content": "hi", "createTime": 1}}),
        json!({"status": 1, "data": {"userId": 42, "content": "no name"}}),
        json!({"status": 1, "data": {"userId": "", "content": "x"}}),
        json!({"status": 1, "data": {"userId": "u1", "content": 5}}),
        json!({"status": 1, "data": {"userId": "u1", "content": "x", "kfId": {}}}),
        json!({"status": 1, "data": {"userId": "u1", "content": "x", "userName": 7}}),
        json!({"status": 1, "data": {"userId": "u1", "content": "x", "createTime": {}}}),
        json!({"status": 1, "seq": 3, "data": {"userId": "u1", "content": "x"}}),
        json!({"status": 1, "seq": -1, "data": {"userId": "u1", "content": "x"}}),
        json!({"status": 1, "seq": "3", "data": {"userId": "u1", "content": "x"}}),
        json!({"status": 1, "data": []}),
        json!({"status": 1, "data": null}),
        json!({"status": 1}),
        json!({"status": 2, "data": {"id": "w1", "userName": "李四"}}),
        json!({"status": 2, "data": {"id": 12.5}}),
        json!({"status": 2, "data": {"id": "  "}}),
        json!({"status": 2, "data": {"id": true}}),
        json!({"status": 2, "data": {"userId": "only-userId"}}),
        json!({"status": 4, "data": {"id": "t1", "userName": "王五", "fromKfId": "x"}}),
        json!({"status": 5, "data": {"id": 7, "userName": null}}),
        json!({"status": 9}),
        json!({"status": 9.0, "seq": 1.5}),
        // Shapes the head decodes without walking the rules (`decode_common`), beside near misses.
        json!({"status": 4, "seq": 7, "data": {"id": 42, "userName": "王五"}}),
        json!({"status": 2, "seq": null, "data": {"id": "w\u{1F600}", "userName": "\u{1F600}"}}),
        json!({"status": 5, "data": {"id": "", "userName": "n"}}),
        json!({"status": 1, "seq": 0, "data": {"userId": 3, "userName": "n", "content": "c", "kfId": null, "createTime": "t"}}),
        json!({"status": 1, "data": {"userId": "u", "userName": "n", "content": "c", "kfId": true}}),
        json!({"status": 1, "data": {"userId": "u", "userName": "n", "content": "c", "createTime": {}}}),
        json!({"status": 1, "data": {"userId": "", "userName": "n", "content": "c"}}),
        json!({"status": 1, "data": {"userId": "u", "userName": "n", "content": null}}),
        json!({"status": 9, "seq": 9.5e15}),
        json!({"status": 9, "seq": "1"}),
    ];
    for f in &frames {
        let (head, full) = both(f).unwrap_or_else(|| panic!("decidable: {f}"));
        assert_eq!(head, full, "{f}");
        // `Scalar`'s `==` takes 42 and "42" for one id; the type still goes back to the server.
        assert_eq!(format!("{head:?}"), format!("{full:?}"), "{f}");
    }
    // The ones the full path keeps: another status, a status in text, a long id, an id of another type.
    for f in [json!({"status": "1", "data": {}}), json!({"status": 101, "data": {"msgId": "m"}}), json!({"status": 2, "data": {"id": "x".repeat(300)}}), json!({"status": 1, "data": {"userId": [1], "content": "x"}})] {
        assert!(both(&f).is_none(), "{f}");
    }
}

/// A parsed frame that notes every property the decoder reads.
#[derive(Clone, Debug)]
struct Noting(Value, Rc<RefCell<BTreeSet<&'static str>>>);

impl JsonValue for Noting {
    fn field(&self, key: &'static str) -> Option<Self> {
        self.1.borrow_mut().insert(key);
        self.0.get(key).cloned().map(|v| Noting(v, self.1.clone()))
    }
    fn is_object(&self) -> bool { self.0.is_object() }
    fn is_null(&self) -> bool { self.0.is_null() }
    fn is_string(&self) -> bool { self.0.is_string() }
    fn is_empty_string(&self) -> bool { self.0.as_str() == Some("") }
    fn is_number(&self) -> bool { self.0.is_number() }
    fn as_string(&self) -> Option<String> { self.0.as_str().map(str::to_owned) }
    fn as_f64(&self) -> Option<f64> { self.0.as_f64() }
    fn as_bool(&self) -> Option<bool> { self.0.as_bool() }
    fn number_text(&self) -> Option<String> { self.0.as_number().map(|n| n.to_string()) }
    fn items(&self) -> Option<Vec<Self>> { self.0.as_array().map(|a| a.iter().map(|v| Noting(v.clone(), self.1.clone())).collect()) }
    fn set_string(&mut self, key: &'static str, value: &str) { self.0[key] = value.into(); }
}

#[test]
fn the_rules_of_the_heads_statuses_read_only_the_heads_fields() {
    let read = Rc::new(RefCell::new(BTreeSet::new()));
    let every = json!({"userId": "u1", "userName": "n", "id": "i", "content": "c", "kfId": "k", "createTime": 1, "reason": "r", "features": [], "msgId": "m"});
    for status in HEAD_STATUSES {
        let _ = decode_value(Noting(json!({"status": status, "seq": 1, "data": every}), read.clone()));
        let _ = decode_value(Noting(json!({"status": status, "data": {"userId": 1, "id": 2, "content": "c"}}), read.clone()));
    }
    let allowed: BTreeSet<&str> = ["status", "seq", "data"].into_iter().chain(HEAD_FIELDS).collect();
    let read = read.borrow();
    assert!(read.is_subset(&allowed), "read {read:?}, the head has {allowed:?}");
    assert!(read.contains("createTime") && read.contains("id") && read.contains("userId"), "{read:?}");
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop::sample::select(vec![0.0, 1.0, 2.0, 4.0, 5.0, 9.0, -1.0, 1.5, 1e16, 42.0]).prop_map(|n| json!(n)),
        "(|u1| |张三|[a-z]{1,4}|\u{1F600})".prop_map(Value::String),
        "(|u1| |张三|[a-z]{1,4}|\u{1F600})".prop_map(Value::String),
        Just(json!({})),
        Just(json!(["a"])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Any frame of the head's statuses, with any mix of its fields and others of any type.
    #[test]
    fn any_frame_the_head_covers_decodes_the_same(
        status in prop::sample::select(vec![json!(1), json!(2), json!(4), json!(5), json!(9), json!(3), json!("2"), json!(null)]),
        seq in prop::option::of(value()),
        data in prop::option::of(prop_oneof![
            prop::collection::btree_map(prop::sample::select(vec!["userId", "userName", "id", "content", "kfId", "createTime", "reason", "other"]), value(), 0..8)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
            value(),
        ]),
    ) {
        let mut f = json!({"status": status});
        if let Some(s) = seq { f["seq"] = s; }
        if let Some(d) = data { f["data"] = d; }
        if let Some((head, full)) = both(&f) {
            prop_assert_eq!(format!("{head:?}"), format!("{full:?}"));
            prop_assert_eq!(head, full);
        }
    }
}

/// The glue reads the head's fields by name (`src/web/frames.js`): its list and the reads are the
/// core's [`HEAD_FIELDS`], in order, the first [`HEAD_TEXT_FIELDS`] copied as text.
#[test]
fn the_glue_reads_the_fields_the_core_lists() {
    let js = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/frames.js")).unwrap();
    let list: Vec<String> = HEAD_FIELDS.iter().map(|f| format!("'{f}'")).collect();
    assert!(js.contains(&format!("export const FIELDS = [{}];", list.join(", "))), "FIELDS in frames.js is not HEAD_FIELDS");
    let mut at = 0;
    for (i, f) in HEAD_FIELDS.iter().enumerate() {
        let call = if i < HEAD_TEXT_FIELDS { format!("text(data.{f}, {i})") } else { format!("tagOf(data.{f})") };
        let read = format!("({call} << {})", 9 + 3 * i);
        at += js[at..].find(&read).unwrap_or_else(|| panic!("frames.js does not read `{read}` in order"));
    }
}
