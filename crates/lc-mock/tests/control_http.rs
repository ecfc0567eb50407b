//! The HTTP control API (`/_lc/…`) driven the way a Python or JavaScript suite would: only
//! plain HTTP requests and a bare WebSocket, nothing of the mock's Rust API but starting it
//! (which `lc mock` does for other languages). Every URL comes from `GET /_lc/info`.

mod common;

use common::{http, http_raw, Rtm};
use lc_mock::{Config, MockServer};
use serde_json::{json, Value};

const JSON: [(&str, &str); 1] = [("Content-Type", "application/json")];

/// `GET path` (with its query); (status, body).
async fn get(server: &MockServer, path: &str) -> (u16, Value) {
    http(server, "GET", path, &[], "").await
}

/// `POST path` with a JSON body; (status, body).
async fn post(server: &MockServer, path: &str, body: Value) -> (u16, Value) {
    http(server, "POST", path, &JSON, &body.to_string()).await
}

/// `POST path`, asserting 200; the body.
async fn ok(server: &MockServer, path: &str, body: Value) -> Value {
    let (status, answer) = post(server, path, body).await;
    assert_eq!(status, 200, "POST {path}: {answer}");
    answer
}

/// What a suite reads first: where everything is.
struct Info {
    organization_id: String,
    rtm_url: String,
}

async fn info(server: &MockServer) -> Info {
    let (status, info) = get(server, "/_lc/info").await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["base_url"], format!("http://{}", server.addr()));
    assert_eq!(info["control_url"], format!("http://{}/_lc", server.addr()));
    assert_eq!(info["base_url"], server.base_url());
    assert_eq!(info["control_url"], server.control_url());
    assert_eq!(info["region"], "dal");
    assert!(info["versions"].as_array().unwrap().contains(&json!("3.6")), "{info}");
    Info {
        organization_id: info["organization_id"].as_str().unwrap().to_owned(),
        rtm_url: info["rtm_url"].as_str().unwrap().replace("{version}", "3.6"),
    }
}

async fn login(info: &Info, token: &str) -> (Rtm, Value) {
    let mut rtm = Rtm::connect_url(&format!("{}?organization_id={}", info.rtm_url, info.organization_id)).await;
    let r = rtm.request("login", json!({ "token": format!("Bearer {token}") })).await;
    (rtm, r)
}

#[tokio::test]
async fn a_whole_session_played_over_plain_http() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let info = info(&server).await;

    // A customer and its token.
    let customer = ok(&server, "/_lc/customers", json!({})).await;
    let (id, token) = (customer["id"].as_str().unwrap(), customer["token"].as_str().unwrap());
    assert!(token.starts_with("dal:"), "{customer}");
    let (mut rtm, login) = login(&info, token).await;
    assert_eq!(login["success"], true, "{login}");
    assert_eq!(login["payload"]["customer"]["id"], id);

    // The customer starts a chat; the agent sees it over the control API.
    let started = rtm.ok("start_chat", json!({})).await;
    let chat_id = started["chat_id"].as_str().unwrap();
    let (status, active) = get(&server, &format!("/_lc/agent/active_chat?customer_id={id}")).await;
    assert_eq!(status, 200);
    assert_eq!(active, json!({"chat_id": chat_id, "thread_id": started["thread_id"]}));
    let (_, chats) = get(&server, &format!("/_lc/agent/chats_of?customer_id={id}")).await;
    assert_eq!(chats, json!({ "chat_ids": [chat_id] }));

    // The agent joins and writes.
    let (_, agent) = get(&server, "/_lc/agent").await;
    assert_eq!(ok(&server, "/_lc/agent/join", json!({ "chat_id": chat_id })).await, json!({}));
    let added = rtm.push("user_added_to_chat").await;
    assert_eq!(added["payload"]["user"]["id"], agent["id"]);
    let sent = ok(
        &server,
        "/_lc/agent/send_message",
        json!({"chat_id": chat_id, "text": "Hello from HTTP"}),
    )
    .await;
    let incoming = rtm.push("incoming_event").await;
    assert_eq!(incoming["payload"]["event"]["id"], sent["event_id"]);
    assert_eq!(incoming["payload"]["event"]["text"], "Hello from HTTP");
    assert_eq!(incoming["payload"]["event"]["author_id"], agent["id"]);

    // A file, given as base64.
    let file = json!({"chat_id": chat_id, "name": "a.txt", "content_type": "text/plain", "content_base64": "aGVsbG8="});
    let sent = ok(&server, "/_lc/agent/send_file", file).await;
    let incoming = rtm.push("incoming_event").await["payload"]["event"].clone();
    assert_eq!(
        (&incoming["id"], &incoming["name"], &incoming["size"]),
        (&sent["event_id"], &json!("a.txt"), &json!(5))
    );

    // Typing, then a transfer to a new group through the queue.
    ok(&server, "/_lc/agent/typing", json!({"chat_id": chat_id, "is_typing": true})).await;
    assert_eq!(
        rtm.push("incoming_typing_indicator").await["payload"]["typing_indicator"]["is_typing"],
        true
    );
    ok(&server, "/_lc/agent/set_group_status", json!({"group_id": 7, "status": "online"})).await;
    let transfer = json!({"chat_id": chat_id, "group_ids": [7], "queue": {"position": 3, "wait_time": 60}});
    ok(&server, "/_lc/agent/transfer", transfer).await;
    let transferred = rtm.push("chat_transferred").await["payload"].clone();
    assert_eq!(transferred["transferred_to"], json!({ "group_ids": [7] }));
    assert_eq!(transferred["queue"]["position"], 3);
    ok(
        &server,
        "/_lc/agent/update_queue",
        json!({"chat_id": chat_id, "position": 1, "wait_time": 10}),
    )
    .await;
    assert_eq!(
        rtm.push("queue_position_updated").await["payload"]["queue"],
        json!({"position": 1, "wait_time": 10})
    );

    // A fault: seen in the fault list, then by the next customer request on each transport.
    let faults = ok(&server, "/_lc/faults/fail_next", json!({"type": "service_unavailable", "count": 2})).await;
    assert_eq!(faults["fail_next"], json!(["service_unavailable", "service_unavailable"]));
    assert_eq!(get(&server, "/_lc/faults").await.1["fail_next"], faults["fail_next"]);
    rtm.refused("get_customer", json!({}), "service_unavailable").await;
    let web = format!("/v3.6/customer/action/list_chats?organization_id={}", info.organization_id);
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str()), JSON[0]];
    let (status, body) = http(&server, "POST", &web, &headers, "{}").await;
    assert_eq!((status, &body["error"]["type"]), (503, &json!("service_unavailable")), "{body}");
    assert_eq!(get(&server, "/_lc/faults").await.1["fail_next"], json!([]));
    let (status, body) = http(&server, "POST", &web, &headers, "{}").await;
    assert_eq!(status, 200, "{body}");

    // The agent disconnects the customer with a reason and data.
    let data = json!({"region": "fra"});
    let closed = ok(
        &server,
        "/_lc/agent/disconnect",
        json!({"customer_id": id, "reason": "misdirected_connection", "data": data}),
    )
    .await;
    assert_eq!(closed, json!({ "connections": 1 }));
    let pushed = rtm.push("customer_disconnected").await["payload"].clone();
    assert_eq!(pushed, json!({"reason": "misdirected_connection", "data": data}));
    // Pushes not waited for (`incoming_chat`, `groups_status_updated`, ...) came before it;
    // nothing comes after it, and the connection closes.
    let unread: Vec<Value> = rtm.backlog.drain(..).collect();
    assert!(
        unread.iter().all(|f| f["type"] == "push" && f["action"] != "customer_disconnected"),
        "{unread:?}"
    );
    assert!(rtm.next().await.is_none(), "the connection closes");

    // What the mock counted, and no mock bug.
    let (_, requests) = get(&server, "/_lc/requests").await;
    assert_eq!(
        (&requests["rtm"]["login"], &requests["rtm"]["start_chat"]),
        (&json!(1), &json!(1)),
        "{requests}"
    );
    assert_eq!(requests["web"]["list_chats"], 2, "{requests}");
    assert_eq!(get(&server, "/_lc/problems").await, (200, json!({ "problems": [] })));
    server.shutdown().await;
}

#[tokio::test]
async fn tokens_and_region() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let info = info(&server).await;
    let customer = ok(&server, "/_lc/customers", json!({})).await;
    let id = customer["id"].as_str().unwrap();

    // A second token for the same customer, then expired: login refused.
    let second = ok(&server, "/_lc/tokens", json!({ "customer_id": id })).await;
    let token = second["token"].as_str().unwrap();
    assert_ne!(token, customer["token"].as_str().unwrap());
    let (_, login) = login(&info, token).await;
    assert_eq!(login["payload"]["customer"]["id"], id, "{login}");
    ok(&server, "/_lc/tokens/expire", json!({ "token": token })).await;
    let (_, login) = self::login(&info, token).await;
    assert_eq!(login["payload"]["error"]["type"], "authentication", "{login}");
    let (status, body) = post(&server, "/_lc/tokens", json!({"customer_id": "nobody"})).await;
    assert_eq!((status, &body["error"]["type"]), (404, &json!("not_found")), "{body}");

    // The region: new tokens carry it, and a Web request for another region is misdirected.
    assert_eq!(ok(&server, "/_lc/region", json!({"region": "fra"})).await, json!({"region": "fra"}));
    assert_eq!(get(&server, "/_lc/region").await.1, json!({"region": "fra"}));
    let fra = ok(&server, "/_lc/customers", json!({})).await;
    assert!(fra["token"].as_str().unwrap().starts_with("fra:"), "{fra}");
    let web = format!("/v3.6/customer/action/get_customer?organization_id={}", info.organization_id);
    let auth = format!("Bearer {}", fra["token"].as_str().unwrap());
    let (status, body) = http(&server, "GET", &web, &[("Authorization", &auth)], "").await;
    assert_eq!((status, &body["error"]["data"]), (421, &json!({"region": "fra"})), "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn mistakes_answer_the_error_envelope() {
    let server = MockServer::start(Config::default()).await.unwrap();

    // An unknown path: 404 with the list of paths.
    let (status, body) = get(&server, "/_lc/agent/dance").await;
    assert_eq!((status, &body["error"]["type"]), (404, &json!("not_found")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("/_lc/agent/dance"), "{body}");
    let paths = body["error"]["data"]["paths"].as_array().unwrap();
    for want in [
        "POST /_lc/customers",
        "POST /_lc/agent/join",
        "POST /_lc/faults/fail_next",
        "GET /_lc/problems",
    ] {
        assert!(paths.contains(&json!(want)), "{want} in {body}");
    }
    // The index lists the same.
    let (status, index) = get(&server, "/_lc").await;
    assert_eq!(status, 200);
    assert_eq!(index["endpoints"].as_array().unwrap().len(), paths.len());

    // The wrong method: 405, naming the right one.
    let (status, body) = get(&server, "/_lc/agent/join").await;
    assert_eq!((status, &body["error"]["type"]), (405, &json!("validation")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("POST"), "{body}");

    // Missing or mistyped arguments, and a body that is not JSON.
    let (status, body) = post(&server, "/_lc/agent/join", json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["message"], "`chat_id` (a string) is required");
    let (status, body) = post(&server, "/_lc/agent/typing", json!({"chat_id": "X", "is_typing": "yes"})).await;
    assert_eq!((status, &body["error"]["type"]), (400, &json!("validation")), "{body}");
    let (status, body) = http_raw(&server, "POST", "/_lc/customers", &JSON, b"{not json").await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, &body["error"]["type"]), (400, &json!("validation")), "{body}");

    // An agent change the rules refuse: the API's type and status.
    let (status, body) = post(&server, "/_lc/agent/join", json!({"chat_id": "NOSUCHCHAT"})).await;
    assert_eq!((status, &body["error"]["type"]), (404, &json!("not_found")), "{body}");
    let (status, body) = post(&server, "/_lc/agent/set_group_status", json!({"group_id": 0, "status": "sleepy"})).await;
    assert_eq!((status, &body["error"]["type"]), (400, &json!("validation")), "{body}");

    // Faults set and cleared.
    ok(&server, "/_lc/faults/delay_responses", json!({"delay_ms": 5})).await;
    assert_eq!(get(&server, "/_lc/faults").await.1["delay_ms"], 5);
    let cleared = ok(&server, "/_lc/faults/clear", json!({})).await;
    assert_eq!((&cleared["delay_ms"], &cleared["fail_next"]), (&json!(0), &json!([])));
    assert_eq!(get(&server, "/_lc/problems").await.1, json!({ "problems": [] }));
    server.shutdown().await;
}
