//! The names of the JS contract as the shell implements it. The reference is the TypeScript
//! declarations (`src/web/agent_session.d.ts`); `tests/js_contract.rs` checks these lists, the
//! docs and the console against it, so nothing drifts. Compiled on every target so that check
//! runs natively; the browser build exports them (`hookNames()`, `optionNames()`).

/// Every hook the session calls (`AgentSessionHooks`), in the order the declarations list them.
pub const HOOKS: &[&str] = &[
    "onStateChange",
    "onMessage",
    "onCustomerWaiting",
    "onQueueChange",
    "onTransferRequest",
    "onTransferRejected",
    "onHeartbeat",
    "onOfferWithdrawn",
    "onExtensions",
    "onPresenceChange",
    "onTyping",
    "onRead",
    "onNote",
    "onBoard",
    "onMonitor",
    "onViewers",
    "onSupervised",
    "onRecall",
    "onLifecycle",
    "onMessageStatus",
    "onMessageRestored",
    "onMessageSaved",
    "onFrameRejected",
    "onOtherTabAction",
    "onLog",
];

/// Every option the constructor accepts (`AgentSessionConfig`); anything else is rejected.
pub const OPTIONS: &[&str] = &[
    "kfId",
    "kfName",
    "serverUrl",
    "authToken",
    "heartbeatMs",
    "heartbeatTimeoutMs",
    "reconnectMs",
    "connectTimeoutMs",
    "offlineSend",
    "maxHeldMessages",
    "helloWaitMs",
    "maxFrameChars",
    "logLevel",
    "watchPage",
    "durableOutbox",
    "shareAcrossTabs",
    "resumeAcrossReloads",
];
