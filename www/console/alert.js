// A sound for customers waiting (Rocket.Chat's users still ask for one: rc#19804, rc#9565, and for
// repeated reminders, rcfr#358): LayIM's own message sound when a customer starts waiting, and
// again every `?remindSec=` seconds (30; 0: once) while someone still waits to be accepted. One tab
// of the agent's plays it (a Web Lock; the others would only echo it), and the 提示音 button in the
// header turns it off and on (kept in this browser).
import { $id, kfId, params } from './util.js';

const SOUND = 'vendor/layui/css/modules/layim/voice/default.mp3';
const REMIND_S = params.has('remindSec') ? Math.max(0, Number(params.get('remindSec')) || 0) : 30;
const KEPT = 'kefu:sound';

/** The sound's hooks; `session` says who still waits. */
export function queueAlert({ session }) {
  const button = $id('sound-btn');
  let on = localStorage.getItem(KEPT) !== 'off';
  // Without Web Locks (an old engine) every tab plays.
  let player = !('locks' in navigator);
  navigator.locks?.request('kefu:sound:' + kfId, () => {
    player = true;
    return new Promise(() => {}); // held while this tab lives
  });
  let reminder = 0;

  const show = () => {
    button.textContent = on ? '提示音 开' : '提示音 关';
    button.setAttribute('aria-pressed', String(on));
  };
  button.hidden = false;
  show();
  button.addEventListener('click', () => {
    on = !on;
    localStorage.setItem(KEPT, on ? 'on' : 'off');
    show();
  });

  function play() {
    if (!player || !on) return;
    new Audio(SOUND).play().catch(() => { /* no gesture on the page yet, or no audio device */ });
  }
  function stop() {
    clearInterval(reminder);
    reminder = 0;
  }

  return {
    hooks: {
      onCustomerWaiting() {
        play();
        if (REMIND_S > 0 && !reminder) reminder = setInterval(() => (session.waiting.length ? play() : stop()), REMIND_S * 1000);
      },
      onQueueChange({ waiting }) {
        if (!waiting.length) stop();
      },
    },
  };
}
