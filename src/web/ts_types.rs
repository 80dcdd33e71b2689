//! The JS contract's types as the exported methods name them: the TypeScript declarations
//! (`agent_session.d.ts`, the one reference) are embedded in the generated `.d.ts`, and each
//! method's argument or result is typed by the interface it declares.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("agent_session.d.ts");

#[wasm_bindgen]
extern "C" {
    /// The constructor's config object (see `AgentSessionConfig` in the TypeScript declarations).
    #[wasm_bindgen(typescript_type = "AgentSessionConfig")]
    pub type JsAgentSessionConfig;
    /// The hooks object (see `AgentSessionHooks`).
    #[wasm_bindgen(typescript_type = "AgentSessionHooks")]
    pub type JsAgentSessionHooks;
    /// The argument of `send` (see `OutgoingMessage`).
    #[wasm_bindgen(typescript_type = "OutgoingMessage")]
    pub type JsOutgoingMessage;
    /// A customer id: string or number, as the server sent it.
    #[wasm_bindgen(typescript_type = "CustomerId")]
    pub type JsCustomerId;
    /// `Customer[]`.
    #[wasm_bindgen(typescript_type = "Customer[]")]
    pub type JsCustomerList;
    /// `SessionStats`.
    #[wasm_bindgen(typescript_type = "SessionStats")]
    pub type JsSessionStats;
    /// `Presence`.
    #[wasm_bindgen(typescript_type = "Presence")]
    pub type JsPresence;
    /// `Presence | null`.
    #[wasm_bindgen(typescript_type = "Presence | null")]
    pub type JsPresenceOrNull;
    /// `ConnectionState`.
    #[wasm_bindgen(typescript_type = "ConnectionState")]
    pub type JsConnectionState;
}
