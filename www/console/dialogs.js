// The dialogs that answer the server: accepting a waiting customer (the 接入 button) and an
// incoming transfer. Names are escaped before they reach layer's HTML.
import { $id, errorText, esc, toast } from './util.js';
import { notifyHidden } from './notify.js';
import { offerDeadline, offerDepartment, waitingSince } from './status.js';

/** "已等待 1 分 5 秒" for customer `id`, or '' when unknown. */
export function waitedText(id) {
  const since = waitingSince.get(String(id));
  if (since === undefined) return '';
  const s = Math.max(0, Math.round((Date.now() - since) / 1000));
  return '已等待 ' + (s >= 60 ? Math.floor(s / 60) + ' 分 ' : '') + (s % 60) + ' 秒';
}

/** "请在 42 秒内接入" while customer `id`'s offer is open, or ''. */
export function countdownText(id) {
  const until = offerDeadline.get(String(id));
  if (until === undefined) return '';
  const s = Math.max(0, Math.round((until - Date.now()) / 1000));
  return s ? '请在 ' + s + ' 秒内接入' : '即将转给其他客服';
}

/** Wires the 接入 button; returns the transfer hooks. */
export function dialogs({ session, chats }) {
  const layer = layui.layer;

  $id('openDialog').addEventListener('click', () => {
    const queue = session.waiting;
    if (!queue.length) {
      toast('当前无用户消息!');
      return;
    }
    const c = queue[0];
    const waited = waitedText(c.id);
    const department = offerDepartment.get(String(c.id));
    layer.confirm('是否确认接入一个新的用户消息会话？<br>用户：' + esc(c.userName) + (waited ? '（<span class="kefu-waited">' + waited + '</span>）' : '')
      + (department ? '<br>部门：<span class="kefu-offer-department">' + esc(department) + '</span>' : '')
      + (queue.length > 1 ? '<br>还有 ' + (queue.length - 1) + ' 人在排队' : '')
      + (countdownText(c.id) ? '<br><span class="kefu-countdown">' + countdownText(c.id) + '</span>' : ''), {
      title: '新用户接入',
      btn: ['接入', '不接入'],
      success() {
        const tick = setInterval(() => {
          const el = document.querySelector('.kefu-countdown');
          if (!el) return clearInterval(tick);
          el.textContent = countdownText(c.id);
        }, 1000);
      },
    }, (index) => {
      try {
        session.acceptCustomer(c.id);
      } catch (e) {
        toast(errorText(e));
        return;
      }
      layer.close(index);
      $id('hint').hidden = true;
      chats.systemLine(c, '系统消息：用户已接入');
    }, (index) => {
      try {
        session.declineCustomer(c.id);
      } catch (e) {
        toast(errorText(e));
      }
      layer.close(index);
    });
  });

  return {
    hooks: {
      onTransferRequest(t) {
        notifyHidden('收到转接', t.userName);
        layer.open({
          title: '会话转接',
          content: '您收到一个来自其他客服转接过来的会话消息（用户：' + esc(t.userName) + '），是否接受处理该用户消息？',
          closeBtn: false,
          btn: ['接受', '不接受'],
          btnAlign: 'c',
          yes(index) {
            try {
              session.acceptTransfer(t.id);
            } catch (e) {
              return toast(errorText(e));
            }
            layer.close(index);
            chats.systemLine(t, '系统消息：转接成功');
          },
          btn2(index) {
            try {
              session.rejectTransfer(t.id);
            } catch (e) {
              toast(errorText(e));
              return false;
            }
            layer.close(index);
          },
        });
      },
      onTransferRejected(c) {
        layer.alert('目标客服坐席不接受转接,会话保持');
        chats.systemLine(c, '系统消息：目标客服坐席不接受转接,会话保持');
      },
    },
  };
}
