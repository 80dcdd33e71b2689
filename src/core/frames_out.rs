//! Encoding of agent → server frames, byte-for-byte as the original `chatDialog.js` produced them
//! with `JSON.stringify` on its object literals (same field names, order and types; nothing extra).

use super::scalar::Scalar;
use serde::Serialize;

/// An agent → server frame.
#[derive(Clone, Debug, PartialEq)]
pub enum AgentFrame {
    /// `{"respStatus":2,"kfId","userId","userName"}`: accept a waiting customer.
    Accept {
        /// The agent.
        kf_id: String,
        /// The customer.
        user_id: Scalar,
        /// The customer's name.
        user_name: String,
    },
    /// `{"respStatus":3,"kfId","userId","userName"}`: decline; offer the customer to someone else.
    Decline {
        /// The agent.
        kf_id: String,
        /// The customer.
        user_id: Scalar,
        /// The customer's name.
        user_name: String,
    },
    /// `{"respStatus":4,"userId","kfId"}`: accept an incoming transfer.
    AcceptTransfer {
        /// The customer.
        user_id: Scalar,
        /// The agent.
        kf_id: String,
    },
    /// `{"respStatus":5,"userId"}`: refuse an incoming transfer.
    RejectTransfer {
        /// The customer.
        user_id: Scalar,
    },
    /// `{"respStatus":9,"kfId"}`: heartbeat ping.
    Ping {
        /// The agent.
        kf_id: String,
    },
    /// `{"respStatus":100,"features":[...]}` (extension): opts into the features the server's hello
    /// offered. Sent only in answer to a hello, so a legacy server never sees it.
    Hello {
        /// Features this client will use.
        features: Vec<&'static str>,
        /// With `seq`: the last sequence number seen from this server run (0 for none).
        last_seq: Option<u64>,
    },
    /// `{"kfId","kfName","userId","userName","content"}`: a chat message to a customer.
    Chat {
        /// The agent.
        kf_id: String,
        /// The agent's display name.
        kf_name: String,
        /// The customer.
        user_id: Scalar,
        /// The customer's name.
        user_name: String,
        /// The text.
        content: String,
        /// With extension `ack`: the client's id for the message, acked and de-duplicated by
        /// the server. Never sent to a legacy server.
        msg_id: Option<String>,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RespCustomer<'a> {
    resp_status: u8,
    kf_id: &'a str,
    user_id: &'a Scalar,
    user_name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RespTransfer<'a> {
    resp_status: u8,
    user_id: &'a Scalar,
    #[serde(skip_serializing_if = "Option::is_none")]
    kf_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RespPing<'a> {
    resp_status: u8,
    kf_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RespHello<'a> {
    resp_status: u8,
    features: &'a [&'static str],
    #[serde(skip_serializing_if = "Option::is_none")]
    last_seq: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChatOut<'a> {
    kf_id: &'a str,
    kf_name: &'a str,
    user_id: &'a Scalar,
    user_name: &'a str,
    content: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    msg_id: Option<&'a str>,
}

impl AgentFrame {
    /// The frame as the JSON text sent on the socket.
    pub fn encode(&self) -> String {
        let r = match self {
            AgentFrame::Accept { kf_id, user_id, user_name } => serde_json::to_string(&RespCustomer {
                resp_status: 2,
                kf_id,
                user_id,
                user_name,
            }),
            AgentFrame::Decline { kf_id, user_id, user_name } => serde_json::to_string(&RespCustomer {
                resp_status: 3,
                kf_id,
                user_id,
                user_name,
            }),
            AgentFrame::AcceptTransfer { user_id, kf_id } => {
                serde_json::to_string(&RespTransfer { resp_status: 4, user_id, kf_id: Some(kf_id) })
            }
            AgentFrame::RejectTransfer { user_id } => {
                serde_json::to_string(&RespTransfer { resp_status: 5, user_id, kf_id: None })
            }
            AgentFrame::Ping { kf_id } => serde_json::to_string(&RespPing { resp_status: 9, kf_id }),
            AgentFrame::Hello { features, last_seq } => {
                serde_json::to_string(&RespHello { resp_status: 100, features, last_seq: *last_seq })
            }
            AgentFrame::Chat { kf_id, kf_name, user_id, user_name, content, msg_id } => {
                serde_json::to_string(&ChatOut { kf_id, kf_name, user_id, user_name, content, msg_id: msg_id.as_deref() })
            }
        };
        // Serializing plain structs of strings and numbers cannot fail.
        r.unwrap_or_default()
    }
}
