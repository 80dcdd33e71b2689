// The reports page (supervisors): a date range's figures from /reports/agents as a table and two
// charts (Chart.js, loaded on this page only), and the CSV download; for the whole desk or one
// department (the select lists them by name, and 未分组 for conversations of none). Every name is
// set as text.
(function () {
  const server = (sessionStorage.getItem('kefuServer') || location.origin).replace(/\/+$/, '');
  const saved = JSON.parse(localStorage.getItem('kefuAuth') || 'null'); // the console's sign-in
  const token = saved && saved.server === server ? saved.token : null;
  const form = document.getElementById('range');
  const status = document.getElementById('status');
  const day = 24 * 3600 * 1000;
  const iso = (t) => new Date(t - new Date(t).getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  form.elements.from.value = iso(Date.now() - 6 * day);
  form.elements.to.value = iso(Date.now());
  const charts = {};
  const departmentNames = new Map(); // id -> name, from /settings/departments

  function range() {
    const from = new Date(form.elements.from.value + 'T00:00').getTime();
    const to = new Date(form.elements.to.value + 'T00:00').getTime() + day;
    const department = form.elements.department.value;
    return 'from=' + from + '&to=' + to + '&tzOffset=' + -new Date().getTimezoneOffset() + (department ? '&department=' + encodeURIComponent(department) : '');
  }

  async function get(path) {
    const r = await fetch(server + path, { headers: token ? { authorization: 'Bearer ' + token } : {} });
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      throw new Error(body.msg || 'HTTP ' + r.status);
    }
    return r;
  }

  function chart(id, labels, data, label) {
    charts[id]?.destroy();
    if (!window.Chart) return; // the table stays useful without the library
    charts[id] = new Chart(document.getElementById(id), { type: 'bar', data: { labels, datasets: [{ label, data, backgroundColor: '#1e9fff' }] }, options: { animation: false, plugins: { legend: { display: false } } } });
  }

  async function load() {
    status.textContent = '';
    try {
      const d = (await (await get('/reports/agents?' + range())).json()).data;
      document.getElementById('queue').textContent = '会话 ' + d.queue.conversations + ' 个，排队中放弃 ' + d.queue.abandoned + ' 个';
      const body = document.querySelector('#agents tbody');
      body.replaceChildren();
      const n = (v, digits) => (v === null || v === undefined ? '—' : v.toFixed(digits));
      for (const a of d.agents) {
        const tr = document.createElement('tr');
        tr.dataset.kfId = a.kfId;
        for (const v of [a.kfId, String(a.conversations), n(a.firstResponseMedianS, 1), n(a.firstResponseP90S, 1), n(a.handleMedianS, 1), String(a.transfers), String(a.ratings), n(a.csatAverage, 2)]) {
          tr.append(Object.assign(document.createElement('td'), { textContent: v }));
        }
        body.append(tr);
      }
      const depBody = document.querySelector('#departments tbody');
      depBody.replaceChildren();
      for (const x of d.departments || []) {
        const tr = document.createElement('tr');
        const name = x.department === null ? '未分组' : departmentNames.get(x.department) || x.department;
        for (const v of [name, String(x.conversations), String(x.abandoned), n(x.firstResponseMedianS, 1)]) tr.append(Object.assign(document.createElement('td'), { textContent: v }));
        depBody.append(tr);
      }
      document.getElementById('departments-section').hidden = !departmentNames.size;
      const tagBody = document.querySelector('#tags tbody');
      tagBody.replaceChildren();
      for (const t of d.queue.tags || []) {
        const tr = document.createElement('tr');
        for (const v of [t.tag, String(t.conversations)]) tr.append(Object.assign(document.createElement('td'), { textContent: v }));
        tagBody.append(tr);
      }
      if (!tagBody.rows.length) tagBody.append(Object.assign(document.createElement('tr'), { innerHTML: '<td colspan="2">无</td>' }));
      chart('per-hour', d.queue.perHour.map((_, h) => h + '时'), d.queue.perHour, '会话');
      chart('first-response', d.agents.map((a) => a.kfId), d.agents.map((a) => a.firstResponseMedianS || 0), '首响中位');
      document.body.dataset.loaded = '1';
    } catch (e) {
      status.textContent = '加载失败：' + e.message;
    }
  }

  /** The desk's departments into the select (none: it stays hidden). */
  async function departments() {
    try {
      const list = (await (await get('/settings/departments')).json()).data.departments || [];
      if (!list.length) return;
      const select = form.elements.department;
      for (const d of list) {
        departmentNames.set(d.id, d.name);
        select.append(Object.assign(document.createElement('option'), { value: d.id, textContent: d.name }));
      }
      select.append(Object.assign(document.createElement('option'), { value: '-', textContent: '未分组' }));
      document.getElementById('department-label').hidden = false;
    } catch (_) { /* an older server: the whole desk only */ }
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  form.elements.department.addEventListener('change', load);
  document.getElementById('csv').addEventListener('click', async () => {
    try {
      const blob = await (await get('/reports/agents.csv?' + range())).blob();
      const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: 'agents.csv' });
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    } catch (e) {
      status.textContent = '下载失败：' + e.message;
    }
  });
  departments().then(load); // the names first: the department table shows them
})();
