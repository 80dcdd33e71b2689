// Internal notes and supervisors' whispers (extension `notes`; with a legacy backend the button
// says so and nothing is sent). A note is written with LayIM's own toolbar API (`tool` config, no
// patch): the agent types it in a dialog, `@kfId` tells a colleague, and it shows in the
// conversation as a marked line only agents see. A colleague's note or a supervisor's whisper
// shows the same way; a note about a conversation not open here is a toast, a whisper (which only
// the agent serving the customer gets: a conversation just handed over, say) opens it. Text only,
// never HTML.
import { customers } from './chats.js';
import { layimId, toast } from './util.js';

/** LayIM's toolbar entry for notes (merged into `layim.config`). */
export const NOTE_TOOL = { alias: 'note', title: '内部备注（客户看不到）', icon: '&#xe60a;' };

const KIND_TEXT = { note: '内部备注', whisper: '主管悄悄话', supervisor: '主管对客户说' };

/** Hooks for notes, and the toolbar button that writes one. */
export function notes({ layim, session, chats }) {
  const layer = layui.layer;

  /** Shows a note in its conversation; false when that conversation is not open here. */
  function show({ userId, kind, fromKfName, content }) {
    const main = chats.elem(layimId(userId)).find('.layim-chat-main ul');
    if (!main.length) return false;
    const li = document.createElement('li');
    li.className = 'kefu-note';
    li.dataset.kind = kind;
    const label = document.createElement('span');
    label.className = 'kefu-note-label';
    label.textContent = (KIND_TEXT[kind] || KIND_TEXT.note) + ' · ' + fromKfName + '：';
    const text = document.createElement('span');
    text.textContent = content;
    li.append(label, text);
    main.append(li);
    main.parent().scrollTop(main.parent()[0].scrollHeight);
    return true;
  }

  layim.on('tool(note)', (insert, send, obj) => {
    const c = customers.get(obj.data.id);
    if (!c) return toast('当前会话不存在');
    // The text goes in with .val(), never as markup.
    const ask = (value) => layer.prompt({
      formType: 2,
      title: '内部备注（客户看不到，@客服账号 可提醒同事）',
      maxlength: 5000,
      success: (layero) => layero.find('.layui-layer-input').val(value),
    }, (text, index) => {
      try {
        session.addNote(c.id, text);
      } catch (e) {
        layer.close(index);
        toast(e.code === 'NOT_SUPPORTED' ? '服务器不支持内部备注' : '备注未发出：' + e.message);
        if (e.code !== 'NOT_SUPPORTED') ask(text); // what the agent wrote is kept
        return;
      }
      layer.close(index);
      const me = document.getElementById('agent-name')?.textContent || '我';
      show({ userId: c.id, kind: 'note', fromKfName: me, content: text });
    });
    ask('');
  });

  return {
    hooks: {
      onNote(e) {
        if (show(e)) return;
        if (e.kind === 'whisper') {
          // A supervisor writes about a conversation of ours not open here (one just handed to
          // us, say): open it.
          chats.open({ id: e.userId, userName: e.userName });
          if (show(e)) return;
        }
        toast((KIND_TEXT[e.kind] || KIND_TEXT.note) + '（' + e.userName + '）· ' + e.fromKfName + '：' + e.content);
      },
    },
  };
}
