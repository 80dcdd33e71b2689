// The board's department filter (a desk over several departments: each supervisor usually runs
// one). A select above the tables — all departments, each department by name, or 未分组 (agents in
// none, customers who came without one) — narrows the agents' rows and the queue; the choice is
// kept in this browser. The alarm bar and the 看板 button's mark keep counting the whole desk, so
// a line filling up elsewhere is still seen. Names come from `GET /settings/departments`, read
// each time the board opens (a supervisor may have changed them), and are set as text.
import { api, el } from './util.js';

const KEPT = 'kefu:board-department';
/** The select's value for "every department". */
const ALL = '*';
/** The select's value for "no department". */
const NONE = '-';

/** The filter: `element` (the select), `load()` (reads the names; resolves when they are in),
 * `agent(a)` / `waiting(q)` (whether a row is shown), `name(id)`, `active()`, `count(queue)` (each
 * option says how many wait in that line), `lines(queue)` (the same for the alarm); `refresh` runs
 * when the supervisor picks another department or the names arrive. */
export function departmentFilter(refresh) {
  let names = new Map();
  let chosen = localStorage.getItem(KEPT) || ALL;
  const select = el('select', { className: 'kefu-board-department', ariaLabel: '按部门筛选' });
  const label = el('label', { className: 'kefu-board-filter', hidden: true }, '部门 ', select);
  /** What the select calls value `v`: a department's name (its id until the names are in). */
  const nameOf = (v) => (v === ALL ? '全部部门' : v === NONE ? '未分组' : names.get(v) || v);

  function fill() {
    select.replaceChildren(...[ALL, ...names.keys(), NONE].map((v) => el('option', { value: v, textContent: nameOf(v) })));
    if (chosen !== ALL && chosen !== NONE && !names.has(chosen)) chosen = ALL; // removed since
    select.value = chosen;
    label.hidden = names.size === 0; // a desk without departments needs no filter
  }

  select.onchange = () => {
    chosen = select.value;
    localStorage.setItem(KEPT, chosen);
    refresh();
  };

  /** How many of `queue` wait in each line (NONE: of no department). */
  const spread = (queue) => {
    const waiting = new Map();
    for (const q of queue) waiting.set(q.department || NONE, (waiting.get(q.department || NONE) || 0) + 1);
    return waiting;
  };
  const inDepartment = (ids) => (chosen === ALL || names.size === 0 ? true : chosen === NONE ? ids.length === 0 : ids.includes(chosen));

  return {
    element: label,
    load() {
      return api('settings/departments').then((r) => {
        names = new Map((r.data?.departments || []).map((d) => [d.id, d.name]));
        fill();
        refresh();
      }, () => { /* no departments to read (an older server): no filter, every row shown */ });
    },
    /** Whether agent `a` (a board row) is shown. */
    agent: (a) => inDepartment(a.departments || []),
    /** Whether waiting customer `q` is shown. */
    waiting: (q) => inDepartment(q.department ? [q.department] : []),
    /** The name of department `id` (its id until the names are in). */
    name: nameOf,
    /** Whether some rows are hidden by the filter. */
    active: () => chosen !== ALL && names.size > 0,
    /** How `queue` is spread over the departments' lines, for the alarm ('' without departments). */
    lines(queue) {
      if (!names.size) return '';
      const parts = [...spread(queue)].sort((a, b) => b[1] - a[1]).map(([id, n]) => nameOf(id) + ' ' + n);
      return '（' + parts.join(' · ') + '）';
    },
    /** Each option's text with how many of `queue` wait in its line (none: the name alone). */
    count(queue) {
      const waiting = spread(queue);
      for (const o of select.options) {
        const n = o.value === ALL ? queue.length : waiting.get(o.value) || 0;
        const text = n ? nameOf(o.value) + '（' + n + ' 人排队）' : nameOf(o.value);
        if (o.textContent !== text) o.textContent = text;
      }
    },
  };
}
