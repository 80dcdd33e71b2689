// The desk's settings, for supervisors (the 设置 button, shown with the board): the close-out tags
// agents pick when ending a conversation (and whether one is required), and the business hours —
// a time zone, opening hours per weekday, closed dates — outside which customers are offered the
// form to leave a message, and the departments (departments.js). Saved through `/settings/*`; the
// server checks every value.
import { $id, api, el, errorText, toast } from './util.js';
import { departmentsSection, readDepartments } from './departments.js';

const DAYS = [['mon', '周一'], ['tue', '周二'], ['wed', '周三'], ['thu', '周四'], ['fri', '周五'], ['sat', '周六'], ['sun', '周日']];

/** The form, filled from the saved settings. */
function form(closeout, schedule) {
  const f = el('form', { className: 'kefu-settings' });
  f.append(el('h3', { textContent: '会话标签（每行一个）' }),
    el('textarea', { name: 'tags', rows: 4, value: closeout.tags.join('\n') }),
    el('label', {}, el('input', { type: 'checkbox', name: 'required', checked: closeout.required }), ' 结束会话时必须选择标签'),
    el('h3', { textContent: '工作时间' }),
    el('label', {}, el('input', { type: 'checkbox', name: 'always', checked: !schedule }), ' 全天开放（不设工作时间）'),
    el('label', {}, '时区 ', el('input', { name: 'tz', value: schedule?.timeZone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'Asia/Shanghai' })));
  for (const [d, name] of DAYS) {
    const hours = schedule?.weekly?.[d]?.[0] || (schedule ? ['', ''] : ['09:00', '18:00']);
    f.append(el('div', { className: 'kefu-settings-day' }, el('span', { textContent: name }),
      el('input', { type: 'time', name: d + '-from', value: hours[0] }), ' – ', el('input', { type: 'time', name: d + '-to', value: hours[1] })));
  }
  const closed = (schedule?.exceptions || []).filter((e) => !e.hours.length).map((e) => e.date).join('\n');
  f.append(el('h3', { textContent: '休息日（每行一个日期，如 2026-10-01）' }), el('textarea', { name: 'closed', rows: 3, value: closed }));
  return f;
}

/** What the form says, as the two request bodies. */
function read(f) {
  const v = (n) => f.elements[n].value.trim();
  const closeout = { tags: v('tags').split('\n').map((t) => t.trim()).filter(Boolean), required: f.elements.required.checked };
  if (f.elements.always.checked) return { closeout, hours: { schedule: null } };
  const weekly = {};
  for (const [d] of DAYS) if (v(d + '-from') && v(d + '-to')) weekly[d] = [[v(d + '-from'), v(d + '-to')]];
  const exceptions = v('closed').split('\n').map((x) => x.trim()).filter(Boolean).map((date) => ({ date, hours: [] }));
  return { closeout, hours: { schedule: { timeZone: v('tz'), weekly, exceptions } } };
}

/** The 设置 button (supervisors' consoles only); returns its hooks. */
export function settings() {
  const button = $id('settings-btn');
  const layer = layui.layer;
  button.addEventListener('click', async () => {
    let closeout, hours, departments;
    try {
      [closeout, hours, departments] = await Promise.all([api('settings/closeout'), api('settings/hours'), api('settings/departments')]);
    } catch (e) {
      return toast('设置加载失败：' + errorText(e));
    }
    const f = form(closeout.data, hours.data.schedule);
    const deps = departmentsSection(departments.data);
    f.append(deps);
    layer.open({
      type: 1,
      title: '客服台设置',
      area: ['420px', '560px'],
      content: '<div class="kefu-settings-box"></div>',
      btn: ['保存', '取消'],
      success(layero) { layero.find('.kefu-settings-box').append(f); },
      yes(index) {
        const body = read(f);
        api('settings/closeout', { body: body.closeout })
          .then(() => api('settings/hours', { body: body.hours }))
          .then(() => api('settings/departments', { body: readDepartments(deps) }))
          .then(() => { layer.close(index); toast('已保存'); }, (e) => toast('保存失败：' + errorText(e)));
      },
    });
  });
  return {
    hooks: {
      onExtensions({ features }) {
        button.hidden = !features.includes('board'); // offered to supervisors only
        $id('reports-btn').hidden = button.hidden;
      },
    },
  };
}
