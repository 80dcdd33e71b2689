//! The JS contract has one reference, the TypeScript declarations (`src/web/agent_session.d.ts`).
//! This checks everything else that names hooks, options, message states or error codes against
//! it: the shell's lists, docs/js-api.md and the console's hook implementations.
#![cfg(not(target_arch = "wasm32"))]

use kefu_agent::contract::{HOOKS, OPTIONS};
use kefu_agent::core::{
    Action, Customer, DeliveryStatus, ErrorCode, LinkState, Presence, TypingSignal, UiEvent, ANNOUNCED_ACTIONS,
};
use std::collections::BTreeSet;
use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The member names of `export interface <name> { … }` (top-level members only).
fn interface_members(dts: &str, name: &str) -> Vec<String> {
    let start = dts.find(&format!("export interface {name} ")).unwrap_or_else(|| panic!("no interface {name}"));
    let body = &dts[start..];
    let body = &body[body.find('{').unwrap() + 1..];
    let mut depth = 0;
    let mut members = Vec::new();
    let mut in_comment = false;
    for line in body.lines() {
        let t = line.trim();
        if t.starts_with("/*") {
            in_comment = true;
        }
        if in_comment {
            in_comment = !t.contains("*/");
            continue;
        }
        if depth == 0 && t.starts_with('}') {
            break;
        }
        if depth == 0 {
            let name: String = t.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                members.push(name);
            }
        }
        depth += t.matches('{').count() as i32 - t.matches('}').count() as i32;
    }
    members
}

/// The string literals of a `"a" | "b"` union following `marker`.
fn union_after(dts: &str, marker: &str) -> BTreeSet<String> {
    let at = dts.find(marker).unwrap_or_else(|| panic!("no {marker}")) + marker.len();
    let line = dts[at..].lines().next().unwrap();
    line.split('|').map(|p| p.trim().trim_end_matches(';').trim_matches('"').to_string()).collect()
}

fn set<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> BTreeSet<String> {
    items.into_iter().map(|s| s.as_ref().to_string()).collect()
}

#[test]
fn the_shell_knows_exactly_the_declared_hooks_and_options_in_order() {
    let dts = read("src/web/agent_session.d.ts");
    assert_eq!(interface_members(&dts, "AgentSessionHooks"), HOOKS);
    assert_eq!(interface_members(&dts, "AgentSessionConfig"), OPTIONS);
}

#[test]
fn message_states_and_error_codes_match_the_declarations() {
    let dts = read("src/web/agent_session.d.ts");
    assert_eq!(union_after(&dts, "status: "), set(DeliveryStatus::ALL.map(DeliveryStatus::as_str)));
    assert_eq!(union_after(&dts, "  code: "), set(ErrorCode::ALL.map(ErrorCode::as_str)));
    assert_eq!(union_after(&dts, "export type Presence = "), set(Presence::ALL.map(Presence::as_str)));
    assert_eq!(union_after(&dts, "export type ConnectionState = "), set(LinkState::ALL.map(LinkState::as_str)));
}

#[test]
fn the_actions_other_tabs_hear_of_are_the_declared_ones() {
    let dts = read("src/web/agent_session.d.ts");
    let other_tab = &dts[dts.find("export interface OtherTabActionEvent").expect("OtherTabActionEvent")..];
    assert_eq!(union_after(other_tab, "  action: "), set(ANNOUNCED_ACTIONS));
    let id = || "u".into();
    let every = [
        Action::AcceptCustomer(id()),
        Action::DeclineCustomer(id()),
        Action::AcceptTransfer(id()),
        Action::RejectTransfer(id()),
        Action::Typing(id(), true),
        Action::Typing(id(), false),
        Action::Seen(id()),
        Action::SetPresence(Presence::Online),
        Action::Send { user_id: id(), user_name: "n".into(), content: "c".into() },
    ];
    let announced: BTreeSet<String> = every.iter().filter(|a| a.announced()).map(|a| a.name().to_string()).collect();
    assert_eq!(announced, set(ANNOUNCED_ACTIONS), "every announced name is an action's");
}

#[test]
fn every_ui_event_goes_to_a_declared_hook() {
    let c = || Customer { id: "u".into(), user_name: "n".into() };
    let events: Vec<UiEvent<()>> = vec![
        UiEvent::StateChanged(LinkState::Open),
        UiEvent::QueueChanged(vec![]),
        UiEvent::TransferPending(c()),
        UiEvent::Heartbeat,
        UiEvent::ExtensionsNegotiated(vec![]),
        UiEvent::MessageStatus { local_id: 1, status: DeliveryStatus::Sent, reason: None },
        UiEvent::Typing(TypingSignal { user_id: "u".into(), typing: true, text: None }),
        UiEvent::Read { user_id: "u".into(), local_ids: vec![] },
        UiEvent::PresenceChanged { presence: Presence::Busy, max_conversations: None },
        UiEvent::OtherTabAction { action: Action::Seen("u".into()), user_name: None },
    ];
    for e in events {
        assert!(HOOKS.contains(&e.hook()), "{e:?} goes to {}, which is not declared", e.hook());
    }
}

#[test]
fn the_js_api_doc_lists_every_hook_option_and_state_and_nothing_else() {
    let doc = read("docs/js-api.md");
    let names_in = |section: &str| -> BTreeSet<String> {
        let start = doc.find(section).unwrap_or_else(|| panic!("no section {section}"));
        let rest = &doc[start + section.len()..];
        let end = rest.find("\n## ").unwrap_or(rest.len());
        rest[..end]
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .map(|l| l[..l.find('`').unwrap()].to_string())
            .collect()
    };
    assert_eq!(names_in("## Hooks"), set(HOOKS));
    assert_eq!(names_in("## Config"), set(OPTIONS));
    for st in ["held", "sent", "acked", "failed"] {
        assert!(doc.contains(&format!("\"{st}\"")), "docs/js-api.md does not name message state {st}");
    }
}

#[test]
fn the_console_implements_only_declared_hooks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/console");
    let mut implemented = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("www/console") {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            let t = line.trim_start();
            if let Some(rest) = t.strip_prefix("on") {
                let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
                if name.starts_with(|c: char| c.is_ascii_uppercase()) && rest[name.len()..].starts_with('(') {
                    implemented.insert(format!("on{name}"));
                }
            }
        }
    }
    assert!(implemented.len() >= 8, "found the console's hooks: {implemented:?}");
    let declared = set(HOOKS);
    let unknown: Vec<_> = implemented.difference(&declared).collect();
    assert!(unknown.is_empty(), "the console implements hooks the session never calls: {unknown:?}");
}
