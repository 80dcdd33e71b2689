// Desktop notifications for a hidden tab (after the agent enabled them with the header button).
// The unread count in the title and the favicon is the conversation list's (worklist.js).
import { $id, CUSTOMER_AVATAR } from './util.js';

/** Notifies, only while the tab is hidden. */
export function notifyHidden(title, body) {
  if (!document.hidden) return;
  if ('Notification' in window && Notification.permission === 'granted') {
    try { new Notification(title, { body, icon: CUSTOMER_AVATAR, tag: 'kefu' }); } catch (_) { /* unsupported */ }
  }
}

/** Offers the permission button when it is undecided. */
export function setUpNotifications() {
  const notifyBtn = $id('enable-notify');
  if ('Notification' in window && Notification.permission === 'default') {
    notifyBtn.hidden = false;
    notifyBtn.addEventListener('click', () => {
      Notification.requestPermission().finally(() => { notifyBtn.hidden = true; });
    });
  }
}
