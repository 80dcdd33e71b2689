//! The import drawing of the repo (docs/imports.md) and the rule it shows: no circle anywhere —
//! in the client crate, the server crate or the console's ES modules. A room is a top module
//! (`core::session`, `web::shell`, the server's `hub`, `auth`, …; a directory module's files are one
//! room, since they split one type's `impl` between them); an edge is a `use` or a path from one
//! room to another, or an `import` between the console's files. The crate root counts as a room
//! of its own, so a root that is imported by what it imports is a circle too.
//!
//! `KEFU_WRITE_IMPORTS=1 cargo test --test import_graph` rewrites docs/imports.md.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

/// The module path of a source file of a crate whose root is `src`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    match last.as_str() {
        "lib.rs" | "mod.rs" | "main.rs" => {}
        name => parts.push(name.trim_end_matches(".rs").to_owned()),
    }
    parts
}

/// Code without comments (doc links are not imports) and without its unit tests (an inline
/// `mod tests` at the end, whose `super` is the file itself).
fn code_of(text: &str) -> String {
    let code = text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    match code.find("#[cfg(test)]\nmod ") {
        Some(at) => code[..at].to_owned(),
        None => code,
    }
}

fn ident_at(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// The module paths a `::`-path starting at `rest` (after `base::`) reaches, one per item of a
/// `{…}` group.
fn walk(modules: &BTreeSet<Vec<String>>, base: Vec<String>, rest: &str, out: &mut Vec<Vec<String>>) {
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    walk(modules, base.clone(), group[start..i].trim(), out);
                    return;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    walk(modules, base.clone(), group[start..i].trim(), out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        return;
    }
    let (id, after) = ident_at(rest);
    let mut deeper = base.clone();
    deeper.push(id.to_owned());
    if !id.is_empty() && modules.contains(&deeper) {
        if let Some(next) = after.trim_start().strip_prefix("::") {
            return walk(modules, deeper, next.trim_start(), out);
        }
        return out.push(deeper);
    }
    out.push(base);
}

/// Every module a Rust file refers to by `crate::`, `super::` or a child's name in a `use`.
fn references(modules: &BTreeSet<Vec<String>>, me: &[String], code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let s = &code[i..];
        let prev_ok = i == 0 || !code[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':');
        if prev_ok && (s.starts_with("crate::") || s.starts_with("super::")) {
            let (base, mut rest) = if let Some(r) = s.strip_prefix("crate::") {
                (Vec::new(), r)
            } else {
                // `super` is the parent module, whether this one is a file or a directory's mod.rs.
                let mut base = me.to_vec();
                base.pop();
                let mut r = &s["super::".len()..];
                while let Some(more) = r.strip_prefix("super::") {
                    base.pop();
                    r = more;
                }
                (base, r)
            };
            rest = rest.trim_start();
            walk(modules, base, rest, &mut out);
            i += 7;
            continue;
        }
        if prev_ok && (s.starts_with("use ") || s.starts_with("pub use ")) {
            let r = s.trim_start_matches("pub ").trim_start_matches("use ").trim_start();
            let (id, after) = ident_at(r);
            let mut child = me.to_vec();
            child.push(id.to_owned());
            if !["crate", "super", "self", "std"].contains(&id) && modules.contains(&child) && after.starts_with("::") {
                walk(modules, me.to_vec(), r, &mut out);
            }
        }
        i += s.chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// The room a module belongs to: `prefix` plus its first `depth` components.
fn room(prefix: &str, m: &[String], depth: usize) -> String {
    if m.is_empty() {
        return format!("{prefix}(root)");
    }
    format!("{prefix}{}", m.iter().take(depth).cloned().collect::<Vec<_>>().join("::"))
}

fn rust_graph(src: &Path, prefix: &str, depth: impl Fn(&[String]) -> usize, g: &mut Graph) {
    let mut list = Vec::new();
    files(src, "rs", &mut list);
    let modules: BTreeSet<Vec<String>> = list.iter().map(|f| module_of(src, f)).collect();
    for f in &list {
        let me = module_of(src, f);
        let from = room(prefix, &me, depth(&me));
        g.entry(from.clone()).or_default();
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        for target in references(&modules, &me, &code) {
            let to = room(prefix, &target, depth(&target));
            // `prelude` (std's prelude names, from `alloc`, for the no_std build) is imported by
            // most modules and imports nothing of ours: an arrow to it from each would only be noise.
            if to != from && to != format!("{prefix}prelude") {
                g.entry(from.clone()).or_default().insert(to);
            }
        }
    }
}

fn js_graph(dir: &Path, base: &Path, g: &mut Graph) {
    let mut list = Vec::new();
    files(dir, "js", &mut list);
    for f in list.iter().filter(|f| !f.components().any(|c| c.as_os_str() == "pkg" || c.as_os_str() == "layui" || c.as_os_str() == "bench")) {
        let from = f.strip_prefix(base).unwrap().display().to_string();
        g.entry(from.clone()).or_default();
        let text = std::fs::read_to_string(f).unwrap();
        for quote in ['\'', '"'] {
            for marker in ["from ", "import(", "import "] {
                for part in text.split(&format!("{marker}{quote}")).skip(1) {
                    let spec = part.split(quote).next().unwrap_or("");
                    if !spec.starts_with('.') {
                        continue;
                    }
                    let target = f.parent().unwrap().join(spec);
                    let target = normalize(&target);
                    if let Ok(rel) = target.strip_prefix(base) {
                        if rel.components().any(|c| c.as_os_str() == "pkg") {
                            continue;
                        }
                        g.entry(from.clone()).or_default().insert(rel.display().to_string());
                    }
                }
            }
        }
    }
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// A circle in `g`, if any, as the rooms along it.
fn circle(g: &Graph) -> Option<Vec<String>> {
    fn visit(g: &Graph, n: &str, stack: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|s| s == n) {
            let mut c = stack[at..].to_vec();
            c.push(n.to_owned());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_owned());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(g, m, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    g.keys().find_map(|n| visit(g, n, &mut Vec::new(), &mut done))
}

fn graphs() -> Vec<(&'static str, Graph)> {
    let r = root();
    let mut client = Graph::new();
    rust_graph(&r.join("src"), "", |m| if matches!(m.first().map(String::as_str), Some("core" | "web")) { 2 } else { 1 }, &mut client);
    let mut server = Graph::new();
    rust_graph(&r.join("server/src"), "", |_| 1, &mut server);
    let mut console = Graph::new();
    js_graph(&r.join("www"), &r.join("www"), &mut console);
    vec![("client crate (src/)", client), ("reference server (server/src/)", server), ("pages and console (www/)", console)]
}

fn drawing(gs: &[(&str, Graph)]) -> String {
    let mut md = String::from(
        "# Import drawing\n\nGenerated by `KEFU_WRITE_IMPORTS=1 cargo test --test import_graph`; the test fails when this\n\
         drawing is stale or has a circle. A room is a top module (a directory module's files are one room);\n\
         an arrow is a `use`/path or an ES `import`.\n",
    );
    for (title, g) in gs {
        md.push_str(&format!("\n## {title}\n\n```mermaid\ngraph LR\n"));
        let id = |n: &str| n.replace(['(', ')', ':', '.', '/', '-'], "_");
        for (from, tos) in g {
            if tos.is_empty() {
                md.push_str(&format!("  {}[\"{from}\"]\n", id(from)));
            }
            for to in tos {
                md.push_str(&format!("  {}[\"{from}\"] --> {}[\"{to}\"]\n", id(from), id(to)));
            }
        }
        md.push_str("```\n");
    }
    md
}

#[test]
fn no_circle_in_the_import_drawing_and_the_drawing_is_current() {
    let gs = graphs();
    for (title, g) in &gs {
        assert!(g.len() > 5, "{title}: found too few rooms: {g:?}");
        if let Some(c) = circle(g) {
            panic!("{title}: import circle {}", c.join(" -> "));
        }
    }
    let md = drawing(&gs);
    let path = root().join("docs/imports.md");
    if std::env::var_os("KEFU_WRITE_IMPORTS").is_some() {
        std::fs::write(&path, &md).unwrap();
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(kept == md, "docs/imports.md is stale: rerun with KEFU_WRITE_IMPORTS=1");
}

#[test]
fn the_circle_finder_finds_a_circle() {
    let mut g = Graph::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(circle(&g), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    g.get_mut("c").unwrap().clear();
    assert_eq!(circle(&g), None);
}
