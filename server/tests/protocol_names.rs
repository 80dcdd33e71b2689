//! One protocol, two programs: the wasm client and the reference server must name the same
//! negotiated extensions, or a typo silently turns a feature off on one side.

#[test]
fn the_client_and_the_server_name_the_same_extensions() {
    let mut server: Vec<&str> = kefu_server::protocol::FEATURES.to_vec();
    server.push(kefu_server::protocol::PEEK);
    let mut client: Vec<&str> = kefu_agent::core::SUPPORTED_EXTENSIONS.to_vec();
    server.sort_unstable();
    client.sort_unstable();
    assert_eq!(client, server, "the client's SUPPORTED_EXTENSIONS and the server's FEATURES + PEEK differ");
}
