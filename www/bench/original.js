// Start-up baseline: the original's wiring (LayIM configured in layui.use, the chatDialog.js logic
// opening its socket at once). Marks the same two moments as the console.
import { createBaseline } from './baseline-chatDialog.js';

const kfId = new URLSearchParams(location.search).get('kfId') || 'xiaoming';
const noop = () => {};
// A server with accounts wants the agent's token (`?token=`); the original had none to send.
const token = new URLSearchParams(location.search).get('token');
const url = location.origin.replace(/^http/, 'ws') + '/websocket/' + encodeURIComponent(kfId) + (token ? '?token=' + encodeURIComponent(token) : '');
createBaseline(url, kfId, {
  onOpen: () => performance.mark('kefu:socket-open'),
  onMessage: noop, onCustomerWaiting: noop, onTransferRejected: noop, onTransferRequest: noop, onHeartbeat: noop,
}).create();
layui.use(['layim', 'layer'], (layim) => {
  layim.config({ brief: true, init: { mine: { username: kfId, id: kfId, status: 'online', sign: '', avatar: '../images/agent.svg' } }, notice: false });
  performance.mark('kefu:layim-ready');
});
