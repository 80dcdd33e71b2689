//! One protocol, two programs: the wasm client and the reference server must name the same
//! negotiated extensions, or a typo silently turns a feature off on one side.

#[test]
fn the_client_and_the_server_name_the_same_extensions() {
    let mut server: Vec<&str> = kefu_server::protocol::FEATURES.to_vec();
    server.push(kefu_server::protocol::PEEK);
    server.push(kefu_server::protocol::codes::BOARD);
    server.push(kefu_server::protocol::codes::BOARD_DELTA);
    server.push(kefu_server::protocol::codes::SUPERVISE);
    let mut client: Vec<&str> = kefu_agent::core::SUPPORTED_EXTENSIONS.to_vec();
    server.sort_unstable();
    client.sort_unstable();
    assert_eq!(client, server, "the client's SUPPORTED_EXTENSIONS and the server's FEATURES + PEEK differ");
}

#[test]
fn the_client_and_the_server_number_the_frames_alike() {
    use kefu_agent::core::protocol::{resp_status as c_resp, status as c};
    use kefu_server::protocol::codes::{resp_status as s_resp, status as s};
    let statuses = [
        (c::MESSAGE, s::MESSAGE),
        (c::WAITING, s::WAITING),
        (c::WITHDRAWN, s::WITHDRAWN),
        (c::TRANSFER, s::TRANSFER),
        (c::TRANSFER_REFUSED, s::TRANSFER_REFUSED),
        (c::HEARTBEAT, s::HEARTBEAT),
        (c::HELLO, s::HELLO),
        (c::ACK, s::ACK),
        (c::PRESENCE, s::PRESENCE),
        (c::TYPING, s::TYPING),
        (c::READ, s::READ),
        (c::NOTE, s::NOTE),
        (c::BOARD, s::BOARD),
        (c::MONITOR, s::MONITOR),
        (c::VIEWERS, s::VIEWERS),
        (c::SUPERVISED, s::SUPERVISED),
    ];
    for (i, (client, server)) in statuses.iter().enumerate() {
        assert_eq!(client, server, "status #{i} differs");
    }
    let resp = [
        (c_resp::ACCEPT, s_resp::ACCEPT),
        (c_resp::DECLINE, s_resp::DECLINE),
        (c_resp::ACCEPT_TRANSFER, s_resp::ACCEPT_TRANSFER),
        (c_resp::REJECT_TRANSFER, s_resp::REJECT_TRANSFER),
        (c_resp::PING, s_resp::PING),
        (c_resp::HELLO, s_resp::HELLO),
        (c_resp::PRESENCE, s_resp::PRESENCE),
        (c_resp::TYPING, s_resp::TYPING),
        (c_resp::SEEN, s_resp::SEEN),
        (c_resp::NOTE, s_resp::NOTE),
        (c_resp::WATCH, s_resp::WATCH),
        (c_resp::SUPERVISE, s_resp::SUPERVISE),
    ];
    for (i, (client, server)) in resp.iter().enumerate() {
        assert_eq!(*client as i64, *server, "respStatus #{i} differs");
    }
}

#[test]
fn every_frame_the_server_writes_is_the_frame_the_client_reads() {
    use kefu_agent::core::{decode_frame, Presence, ServerFrame};
    use kefu_server::protocol as p;
    let frames: Vec<(String, &str)> = vec![
        (p::status_message("u1", "U", "kf", "hi", 1).to_string(), "message"),
        (p::status_waiting("u1", "U").to_string(), "waiting"),
        (p::status_withdrawn("u1", "U", "gone").to_string(), "withdrawn"),
        (p::status_transfer("u1", "U", "kf2", "K").to_string(), "transfer"),
        (p::status_transfer_refused("u1", "U").to_string(), "refused"),
        (p::status_pong(), "heartbeat"),
        (p::status_hello("e", true, true), "hello"),
        (p::status_ack("m1", None), "ack"),
        (p::status_presence("busy", 3).to_string(), "presence"),
        (p::status_typing("u1", true, Some("t")), "typing"),
        (p::status_read("u1", &["m1".into()]).to_string(), "read"),
        (
            p::status_note(&p::NoteFrame {
                user_id: "u1",
                user_name: "U",
                kind: "whisper",
                from_kf_id: "zhuguan",
                from_kf_name: "主管",
                content: "x",
                mentions: &[],
                create_time: 1,
            })
            .to_string(),
            "note",
        ),
        (p::status_board(&serde_json::json!({"agents": [], "queue": []})).to_string(), "board"),
        (p::status_monitor("u1", "U", "kf", &[serde_json::json!({"sender": "visitor", "content": "x", "createTime": 1})], true).to_string(), "monitor"),
        (p::status_supervised("end", "u1", None).to_string(), "supervised"),
        (p::status_viewers("u1", &[serde_json::json!({"kfId": "zhuguan", "name": "主管"})]).to_string(), "viewers"),
        (p::status_recalled("u1", "m1", "visitor", None).to_string(), "recalled"),
        (p::status_recalled("u1", "m1", "agent", Some("too late")).to_string(), "recalled"),
        (p::status_lifecycle("u1", "U", "rated", serde_json::json!({"stars": 5, "agents": ["a"]})).to_string(), "lifecycle"),
    ];
    for (text, kind) in frames {
        let f = decode_frame(&text).unwrap_or_else(|e| panic!("{kind}: the client rejects {text}: {}", e.message()));
        let got = match f {
            ServerFrame::CustomerMessage(_) => "message",
            ServerFrame::CustomerWaiting(_) => "waiting",
            ServerFrame::OfferWithdrawn { .. } => "withdrawn",
            ServerFrame::TransferRequest(_) => "transfer",
            ServerFrame::TransferRejected(_) => "refused",
            ServerFrame::Heartbeat => "heartbeat",
            ServerFrame::Hello { .. } => "hello",
            ServerFrame::Ack { .. } => "ack",
            ServerFrame::Presence { presence, .. } => {
                assert_eq!(presence, Presence::Busy);
                "presence"
            }
            ServerFrame::Typing(_) => "typing",
            ServerFrame::Read { .. } => "read",
            ServerFrame::Note(_) => "note",
            ServerFrame::Board(_) => "board",
            ServerFrame::Monitor(_) => "monitor",
            ServerFrame::Viewers(_) => "viewers",
            ServerFrame::Supervised(_) => "supervised",
            ServerFrame::Recalled(_) => "recalled",
            ServerFrame::Lifecycle(_) => "lifecycle",
        };
        assert_eq!(got, kind, "{text}");
    }
}

#[test]
fn every_frame_the_client_writes_is_the_frame_the_server_reads() {
    use kefu_agent::core::{AgentFrame, Presence};
    use kefu_server::protocol::{parse_agent_frame, AgentIn};
    let id = || "u1".into();
    let kf = || "kf".to_string();
    let frames = [
        (AgentFrame::Accept { kf_id: kf(), user_id: id(), user_name: "U".into() }, "accept"),
        (AgentFrame::Decline { kf_id: kf(), user_id: id(), user_name: "U".into() }, "decline"),
        (AgentFrame::AcceptTransfer { user_id: id(), kf_id: kf() }, "accept-transfer"),
        (AgentFrame::RejectTransfer { user_id: id() }, "reject-transfer"),
        (AgentFrame::Ping { kf_id: kf() }, "ping"),
        (AgentFrame::Hello { features: vec!["ack"], last_seq: Some(3) }, "hello"),
        (AgentFrame::SetPresence { presence: Presence::Away }, "presence"),
        (AgentFrame::Typing { user_id: id(), typing: true }, "typing"),
        (AgentFrame::Seen { user_id: id() }, "seen"),
        (AgentFrame::Note { user_id: id(), content: "n".into() }, "note"),
        (AgentFrame::Watch { user_id: id(), watch: true }, "watch"),
        (AgentFrame::Supervise { action: "reassign", user_id: id(), content: None, to_kf_id: Some("b".into()) }, "supervise"),
        (AgentFrame::Recall { user_id: id(), msg_id: "m1".into() }, "recall"),
        (AgentFrame::Chat { kf_id: kf(), kf_name: "K".into(), user_id: id(), user_name: "U".into(), content: "hi".into(), msg_id: Some("m".into()) }, "chat"),
    ];
    for (frame, kind) in frames {
        let text = frame.encode();
        let got = match parse_agent_frame(&text).unwrap_or_else(|e| panic!("{kind}: the server rejects {text}: {e}")) {
            AgentIn::Accept { .. } => "accept",
            AgentIn::Decline { .. } => "decline",
            AgentIn::AcceptTransfer { .. } => "accept-transfer",
            AgentIn::RejectTransfer { .. } => "reject-transfer",
            AgentIn::Ping => "ping",
            AgentIn::Hello { .. } => "hello",
            AgentIn::SetPresence { .. } => "presence",
            AgentIn::Typing { .. } => "typing",
            AgentIn::Seen { .. } => "seen",
            AgentIn::Note { .. } => "note",
            AgentIn::Watch { .. } => "watch",
            AgentIn::Supervise { .. } => "supervise",
            AgentIn::Recall { .. } => "recall",
            AgentIn::Chat { .. } => "chat",
        };
        assert_eq!(got, kind, "{text}");
    }
}
