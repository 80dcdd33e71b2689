// The shipped browser module links neither std nor core's formatting machinery (issue 28: "no
// formatting machinery in the release build"). The crate is `no_std` in the browser build with a
// panic handler that traps without formatting (src/lib.rs); a dependency that links std again, or a
// `format!` in the session, brings ~3 KB gzip back, and this test names the functions that did.
// It reads the function names of the module built as scripts/build-wasm.sh ships it, names kept
// (scripts/build-wasm-named.sh); KEFU_NAMED_WASM points it at another named module instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { ROOT, tempDir } from './harness.mjs';

/** The function names in a module's `name` section (subsection 1: index, name). */
function functionNames(file) {
  const sections = WebAssembly.Module.customSections(new WebAssembly.Module(fs.readFileSync(file)), 'name');
  assert.equal(sections.length, 1, file + ' has no name section');
  const b = new Uint8Array(sections[0]);
  let p = 0;
  const leb = () => { let r = 0; let s = 0; let x; do { x = b[p++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80); return r; };
  const names = [];
  while (p < b.length) {
    const id = b[p++]; const end = leb() + p;
    if (id === 1) {
      for (let n = leb(); n > 0; n--) { leb(); const len = leb(); names.push(Buffer.from(b.subarray(p, p + len)).toString('utf8')); p += len; }
    }
    p = end;
  }
  return names;
}

test('the browser module has no std and no formatting machinery', () => {
  const file = process.env.KEFU_NAMED_WASM
    || execFileSync('scripts/build-wasm-named.sh', [tempDir('kefu-named-')], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop();
  const names = functionNames(file);
  // The reader works: the session's own functions are there by name.
  assert.ok(names.some((n) => n.startsWith('kefu_agent::core::session::')), 'no session function among ' + names.length + ' names');
  const std = names.filter((n) => n.includes('std['));
  assert.deepEqual(std, [], 'functions of std in the module');
  const fmt = names.filter((n) => /::fmt::write$|::fmt::Formatter>::|::fmt::format|as core\[[0-9a-f]+\]::fmt::Write>::write_(fmt|char)/.test(n));
  assert.deepEqual(fmt, [], 'formatting functions in the module');
});
