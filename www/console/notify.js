// Notifications for a hidden tab: an unread count in the title and polite desktop notifications
// (after the agent enabled them with the header button).
import { $id, CUSTOMER_AVATAR } from './util.js';

const BASE_TITLE = document.title;
let unread = 0;

/** Counts `n` unread events and notifies, only while the tab is hidden. */
export function notifyHidden(title, body, n = 1) {
  if (!document.hidden) return;
  unread += n;
  document.title = '(' + unread + ') ' + BASE_TITLE;
  if ('Notification' in window && Notification.permission === 'granted') {
    try { new Notification(title, { body, icon: CUSTOMER_AVATAR, tag: 'kefu' }); } catch (_) { /* unsupported */ }
  }
}

/** Clears the count when the tab is shown; offers the permission button when it is undecided. */
export function setUpNotifications() {
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) {
      unread = 0;
      document.title = BASE_TITLE;
    }
  });
  const notifyBtn = $id('enable-notify');
  if ('Notification' in window && Notification.permission === 'default') {
    notifyBtn.hidden = false;
    notifyBtn.addEventListener('click', () => {
      Notification.requestPermission().finally(() => { notifyBtn.hidden = true; });
    });
  }
}
