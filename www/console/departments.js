// The departments part of the 设置 dialog: one row per department (id, name, its agents' kfIds),
// the page-URL rules (a piece of the URL → a department), whether customers who come without
// one are asked to pick, and which department serves them meanwhile (walk-ins). Saved whole through `POST /settings/departments`; the server checks it.
import { el } from './util.js';

const list = (text) => text.split(/[,，\s]+/).map((x) => x.trim()).filter(Boolean);

function departmentRow(d = { id: '', name: '', agents: [] }) {
  const remove = el('button', { type: 'button', className: 'layui-btn layui-btn-xs layui-btn-primary', textContent: '删除' });
  const row = el('div', { className: 'kefu-settings-department' },
    el('input', { name: 'dep-id', placeholder: 'id，如 presales', value: d.id, size: 10 }),
    el('input', { name: 'dep-name', placeholder: '名称', value: d.name, size: 8 }),
    el('input', { name: 'dep-agents', placeholder: '客服 kfId，逗号分隔', value: d.agents.join(', ') }), remove);
  remove.addEventListener('click', () => row.remove());
  return row;
}

function ruleRow(r = { contains: '', department: '' }) {
  const remove = el('button', { type: 'button', className: 'layui-btn layui-btn-xs layui-btn-primary', textContent: '删除' });
  const row = el('div', { className: 'kefu-settings-rule' },
    el('input', { name: 'rule-contains', placeholder: '网址包含，如 /pricing', value: r.contains }), ' → ',
    el('input', { name: 'rule-department', placeholder: '部门 id', value: r.department, size: 10 }), remove);
  remove.addEventListener('click', () => row.remove());
  return row;
}

/** The section, filled from the saved departments. */
export function departmentsSection(s) {
  const rows = el('div', {}, ...s.departments.map(departmentRow));
  const rules = el('div', {}, ...(s.urlRules || []).map(ruleRow));
  const addDep = el('button', { type: 'button', className: 'layui-btn layui-btn-xs', textContent: '添加部门' });
  const addRule = el('button', { type: 'button', className: 'layui-btn layui-btn-xs', textContent: '添加网址规则' });
  addDep.addEventListener('click', () => rows.append(departmentRow()));
  addRule.addEventListener('click', () => rules.append(ruleRow()));
  return el('section', { className: 'kefu-settings-departments' },
    el('h3', { textContent: '部门（按部门分配访客）' }), rows, addDep,
    el('label', {}, el('input', { type: 'checkbox', name: 'ask', checked: s.ask }), ' 访客未指定部门时请其选择'),
    el('label', {}, ' 未指定部门的访客由部门 ',
      el('input', { name: 'walk-in', placeholder: '部门 id（空：任何客服）', value: s.walkIn || '', size: 14 }), ' 接待'),
    el('h3', { textContent: '按访客页面网址分配' }), rules, addRule);
}

/** What the section says, as the body of `POST /settings/departments`. */
export function readDepartments(section) {
  const value = (row, name) => row.querySelector('[name="' + name + '"]').value.trim();
  const departments = [...section.querySelectorAll('.kefu-settings-department')]
    .map((r) => ({ id: value(r, 'dep-id'), name: value(r, 'dep-name'), agents: list(value(r, 'dep-agents')) }))
    .filter((d) => d.id || d.name || d.agents.length);
  const urlRules = [...section.querySelectorAll('.kefu-settings-rule')]
    .map((r) => ({ contains: value(r, 'rule-contains'), department: value(r, 'rule-department') }))
    .filter((r) => r.contains || r.department);
  const walkIn = section.querySelector('[name="walk-in"]').value.trim();
  return { departments, urlRules, ask: section.querySelector('[name="ask"]').checked, ...(walkIn ? { walkIn } : {}) };
}
