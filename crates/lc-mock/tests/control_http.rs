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
    assert_eq!(faults["fail_next"], json!([{"type": "service_unavailable", "count": 2}]));
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

#[tokio::test]
async fn every_other_agent_and_fault_endpoint() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let info = info(&server).await;
    let customer = ok(&server, "/_lc/customers", json!({})).await;
    let (id, token) = (customer["id"].as_str().unwrap(), customer["token"].as_str().unwrap());
    let (mut rtm, _) = login(&info, token).await;

    // Greetings: shown, pending, accepted by the customer.
    let greeted = ok(&server, "/_lc/agent/greet", json!({"customer_id": id, "text": "Can I help?"})).await;
    let unique_id = greeted["unique_id"].as_str().unwrap();
    let greeting = rtm.push("incoming_greeting").await["payload"].clone();
    assert_eq!(greeting["unique_id"], unique_id);
    let status_path = format!("/_lc/agent/greeting_status?unique_id={unique_id}");
    assert_eq!(get(&server, &status_path).await.1, json!({"status": "pending"}));
    rtm.ok("accept_greeting", json!({"greeting_id": greeting["id"], "unique_id": unique_id}))
        .await;
    assert_eq!(get(&server, &status_path).await.1, json!({"status": "accepted"}));
    assert_eq!(
        get(&server, "/_lc/agent/greeting_status?unique_id=nope").await.1,
        json!({"status": null})
    );

    // A chat with everything the agent can do in it.
    let chat = rtm.ok("start_chat", json!({})).await;
    let (chat_id, thread_id) = (chat["chat_id"].as_str().unwrap(), chat["thread_id"].as_str().unwrap());
    let event = json!({"chat_id": chat_id, "event": {"type": "message", "text": "any event"}});
    let sent = ok(&server, "/_lc/agent/send_event", event).await;
    assert_eq!(rtm.push("incoming_event").await["payload"]["event"]["id"], sent["event_id"]);
    let edit = json!({"chat_id": chat_id, "event_id": sent["event_id"], "text": "Edited"});
    ok(&server, "/_lc/agent/edit_message", edit).await;
    assert_eq!(rtm.push("event_updated").await["payload"]["event"]["text"], "Edited");
    let rich = json!({"chat_id": chat_id, "template_id": "quick_replies", "elements": [{"title": "Pick", "buttons": [{"text": "Yes", "type": "message", "postback_id": "yes"}]}]});
    let sent = ok(&server, "/_lc/agent/send_rich_message", rich).await;
    assert_eq!(rtm.push("incoming_event").await["payload"]["event"]["template_id"], "quick_replies");
    assert!(sent["event_id"].is_string());
    let props = json!({"chat_id": chat_id, "thread_id": thread_id, "properties": {"ns": {"k": "v"}}});
    ok(&server, "/_lc/agent/update_properties", props).await;
    assert_eq!(
        rtm.push("thread_properties_updated").await["payload"]["properties"],
        json!({"ns": {"k": "v"}})
    );
    let props = json!({"chat_id": chat_id, "thread_id": thread_id, "properties": {"ns": ["k"]}});
    ok(&server, "/_lc/agent/delete_properties", props).await;
    rtm.push("thread_properties_deleted").await;
    let (status, body) = post(
        &server,
        "/_lc/agent/update_properties",
        json!({"chat_id": chat_id, "event_id": "x", "properties": {}}),
    )
    .await;
    assert_eq!(status, 400, "an event needs its thread: {body}");
    ok(&server, "/_lc/agent/thinking", json!({"chat_id": chat_id, "title": "Looking"})).await;
    assert_eq!(rtm.push("incoming_thinking_indicator").await["payload"]["title"], "Looking");
    ok(&server, "/_lc/agent/event_preview", json!({"chat_id": chat_id, "text": "Typ"})).await;
    assert_eq!(rtm.push("incoming_event_preview").await["payload"]["event"]["text"], "Typ");
    rtm.ok("send_sneak_peek", json!({"chat_id": chat_id, "sneak_peek_text": "I wonder"}))
        .await;
    let (_, peek) = get(&server, &format!("/_lc/agent/sneak_peek?chat_id={chat_id}")).await;
    assert_eq!(peek, json!({"sneak_peek": "I wonder"}));
    ok(&server, "/_lc/agent/join", json!({ "chat_id": chat_id })).await;
    ok(&server, "/_lc/agent/leave", json!({ "chat_id": chat_id })).await;
    rtm.push("user_removed_from_chat").await;
    ok(&server, "/_lc/agent/deactivate_chat", json!({ "chat_id": chat_id })).await;
    rtm.push("chat_deactivated").await;
    let (status, body) = post(&server, "/_lc/agent/typing", json!({"chat_id": chat_id, "is_typing": true})).await;
    assert_eq!((status, &body["error"]["type"]), (400, &json!("chat_inactive")), "{body}");

    // Everyone, the organization, the customer.
    ok(&server, "/_lc/agent/multicast", json!({"content": {"hello": "all"}})).await;
    assert_eq!(rtm.push("incoming_multicast").await["payload"]["content"], json!({"hello": "all"}));
    let form = json!({"id": "f1", "fields": [{"id": "1", "type": "header", "label": "Hi"}]});
    ok(
        &server,
        "/_lc/agent/set_form",
        json!({"group_id": 0, "type": "prechat", "form": form}),
    )
    .await;
    assert_eq!(
        rtm.ok("get_form", json!({"group_id": 0, "type": "prechat"})).await["form"]["id"],
        "f1"
    );
    ok(&server, "/_lc/agent/set_form", json!({"group_id": 0, "type": "prechat"})).await;
    assert_eq!(
        rtm.ok("get_form", json!({"group_id": 0, "type": "prechat"})).await["enabled"],
        false
    );
    ok(
        &server,
        "/_lc/agent/set_license_properties",
        json!({"properties": {"ns": {"a": 1}}}),
    )
    .await;
    ok(
        &server,
        "/_lc/agent/set_group_properties",
        json!({"group_id": 0, "properties": {"ns": {"b": 2}}}),
    )
    .await;
    let org = &info.organization_id;
    let (_, license) = http(
        &server,
        "GET",
        &format!("/v3.6/customer/action/list_license_properties?organization_id={org}"),
        &[],
        "",
    )
    .await;
    assert_eq!(license, json!({"ns": {"a": 1}}));
    let (_, group) = http(
        &server,
        "GET",
        &format!("/v3.6/customer/action/list_group_properties?organization_id={org}&id=0"),
        &[],
        "",
    )
    .await;
    assert_eq!(group, json!({"ns": {"b": 2}}));
    let stored = ok(
        &server,
        "/_lc/agent/update_side_storage",
        json!({"customer_id": id, "storage": {"k": "v"}}),
    )
    .await;
    assert_eq!(stored, json!({"customer_side_storage": {"k": "v"}}));
    rtm.push("customer_side_storage_updated").await;
    // `request_email_verification` is Web only.
    let auth = format!("Bearer {token}");
    let web = format!("/v3.6/customer/action/request_email_verification?organization_id={org}");
    let body = json!({"callback_uri": "https://example.com/verified"}).to_string();
    let (status, answer) = http(&server, "POST", &web, &[("Authorization", &auth), JSON[0]], &body).await;
    assert_eq!(status, 200, "{answer}");
    let verified = ok(&server, "/_lc/agent/verify_email", json!({ "customer_id": id })).await;
    assert_eq!(verified, json!({"callback_uris": ["https://example.com/verified"]}));
    let (_, seen) = get(&server, &format!("/_lc/agent/customer?customer_id={id}")).await;
    assert_eq!(
        (&seen["customer"]["id"], &seen["customer"]["email_verified"]),
        (&json!(id), &json!(true))
    );

    // The remaining faults.
    let raw = ok(&server, "/_lc/faults/send_raw", json!({"customer_id": id, "text": "{not json"})).await;
    assert_eq!(raw, json!({ "connections": 1 }));
    assert_eq!(rtm.wait(|f| f.get("raw").is_some()).await, json!({"raw": "{not json"}));
    let faults = ok(&server, "/_lc/faults/drop_responses", json!({"count": 1})).await;
    assert_eq!(faults["drop_responses"], 1);
    let faults = ok(&server, "/_lc/faults/refuse_connections", json!({"duration_ms": 60_000})).await;
    assert!(faults["refuse_connections_ms"].as_u64().unwrap() > 50_000, "{faults}");
    let faults = ok(&server, "/_lc/faults/stall_connections", json!({"duration_ms": 1})).await;
    assert!(faults["stall_connections_ms"].as_u64().unwrap() <= 1, "{faults}");
    let faults = ok(&server, "/_lc/faults/pad_next_response", json!({"len": 4096, "chunked": true})).await;
    assert_eq!(faults["pad_next_response"], json!({"len": 4096, "chunked": true}));
    let (status, max) = get(&server, "/_lc/faults/max_in_flight").await;
    assert_eq!(status, 200);
    assert!(max["max_in_flight"].as_u64().unwrap() >= 1, "{max}");
    let cleared = ok(&server, "/_lc/faults/clear", json!({})).await;
    assert_eq!(cleared["pad_next_response"], Value::Null);
    ok(&server, "/_lc/faults/drop_connections", json!({})).await;
    let mut left = Vec::new();
    while let Some(frame) = rtm.next().await {
        left.push(frame);
    }
    assert!(
        left.iter().all(|f| f["action"] != "customer_disconnected"),
        "dropped without a push: {left:?}"
    );
    assert_eq!(get(&server, "/_lc/problems").await.1, json!({ "problems": [] }));
    server.shutdown().await;
}

/// Issue 20: `{"type":"internal","count":4611686018427387904}` panicked ("capacity overflow",
/// one queue entry per failure) while holding the faults' lock, and every later request, even
/// `faults/clear`, failed on the poisoned lock; 10,000,000 answered 110 MB. Now a count over
/// [`lc_mock::MAX_CONTROL_COUNT`] is refused naming the field and the bound, any count takes
/// one entry, and the answer stays small.
#[tokio::test]
async fn a_huge_count_is_refused_and_any_count_costs_the_same() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let customer = ok(&server, "/_lc/customers", json!({})).await;
    let max = lc_mock::MAX_CONTROL_COUNT;
    for count in [json!(4_611_686_018_427_387_904u64), json!(max + 1), json!(-1), json!(1.5)] {
        let (status, body) = post(&server, "/_lc/faults/fail_next", json!({"type": "internal", "count": count})).await;
        assert_eq!((status, &body["error"]["type"]), (400, &json!("validation")), "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("`count`") && message.contains(&max.to_string()), "{message}");
    }
    let (status, body) = post(&server, "/_lc/faults/fail_next", json!({"type": "internal", "count": max})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["fail_next"], json!([{"type": "internal", "count": max}]));
    assert!(body.to_string().len() < 1000, "{body}");
    // Same type again: one run; another type: a second.
    ok(&server, "/_lc/faults/fail_next", json!({"type": "internal", "count": 2})).await;
    let body = ok(&server, "/_lc/faults/fail_next", json!({"type": "service_unavailable"})).await;
    assert_eq!(
        body["fail_next"],
        json!([{"type": "internal", "count": max + 2}, {"type": "service_unavailable", "count": 1}])
    );
    // The mock still works: the next request fails as asked, and everything can be cleared.
    let web = format!(
        "/v3.6/customer/action/get_customer?organization_id={}",
        info(&server).await.organization_id
    );
    let auth = format!("Bearer {}", customer["token"].as_str().unwrap());
    let headers = [("Authorization", auth.as_str()), JSON[0]];
    let (status, body) = http(&server, "POST", &web, &headers, "{}").await;
    assert_eq!((status, &body["error"]["type"]), (500, &json!("internal")), "{body}");
    assert_eq!(get(&server, "/_lc/faults").await.1["fail_next"][0]["count"], max + 1);
    assert_eq!(ok(&server, "/_lc/faults/clear", json!({})).await["fail_next"], json!([]));
    let (status, body) = http(&server, "POST", &web, &headers, "{}").await;
    assert_eq!(status, 200, "{body}");
    server.shutdown().await;
}

/// The Rust side takes any count without allocating for it or panicking.
#[tokio::test]
async fn the_rust_api_takes_any_count() {
    let server = MockServer::start(Config::default()).await.unwrap();
    server.faults().fail_next(usize::MAX, "internal");
    server.faults().drop_responses(u64::MAX);
    server.faults().drop_responses(u64::MAX);
    server.faults().delay_responses(std::time::Duration::MAX);
    server.faults().refuse_connections(std::time::Duration::MAX);
    server.faults().stall_connections(std::time::Duration::MAX);
    let (status, faults) = get(&server, "/_lc/faults").await;
    assert_eq!(status, 200, "{faults}");
    assert_eq!(faults["fail_next"], json!([{"type": "internal", "count": usize::MAX as u64}]));
    assert_eq!(faults["drop_responses"], u64::MAX);
    server.faults().clear();
    assert_eq!(get(&server, "/_lc/faults").await.1["fail_next"], json!([]));
    server.shutdown().await;
}

/// Every number of a control request is bounded, and refused over its bound with a 400 naming
/// the field and the maximum; so is a list over 1,000 items.
#[tokio::test]
async fn every_number_in_a_control_request_is_bounded() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let customer = ok(&server, "/_lc/customers", json!({})).await;
    let id = customer["id"].as_str().unwrap();
    let ms = lc_mock::MAX_CONTROL_MILLIS;
    let count = lc_mock::MAX_CONTROL_COUNT;
    let pad = lc_mock::MAX_PAD_BYTES;
    let ids: Vec<u32> = (0..1001).collect();
    let cases = [
        (
            "/_lc/faults/delay_responses",
            json!({"delay_ms": ms + 1}),
            "delay_ms",
            ms.to_string(),
        ),
        (
            "/_lc/faults/refuse_connections",
            json!({"duration_ms": ms + 1}),
            "duration_ms",
            ms.to_string(),
        ),
        (
            "/_lc/faults/stall_connections",
            json!({"duration_ms": u64::MAX}),
            "duration_ms",
            ms.to_string(),
        ),
        (
            "/_lc/faults/drop_responses",
            json!({"count": count + 1}),
            "count",
            count.to_string(),
        ),
        ("/_lc/faults/pad_next_response", json!({"len": pad + 1}), "len", pad.to_string()),
        (
            "/_lc/agent/update_queue",
            json!({"chat_id": "X", "position": count + 1, "wait_time": 1}),
            "position",
            count.to_string(),
        ),
        (
            "/_lc/agent/update_queue",
            json!({"chat_id": "X", "position": 1, "wait_time": count + 1}),
            "wait_time",
            count.to_string(),
        ),
        (
            "/_lc/agent/transfer",
            json!({"chat_id": "X", "queue": {"position": count + 1, "wait_time": 1}}),
            "position",
            count.to_string(),
        ),
        (
            "/_lc/agent/transfer",
            json!({"chat_id": "X", "group_ids": [count + 1]}),
            "group_ids",
            count.to_string(),
        ),
        (
            "/_lc/agent/transfer",
            json!({"chat_id": "X", "group_ids": ids}),
            "group_ids",
            "1000".to_owned(),
        ),
        (
            "/_lc/agent/multicast",
            json!({"customer_ids": vec![id; 1001], "content": {}}),
            "customer_ids",
            "1000".to_owned(),
        ),
        (
            "/_lc/agent/set_group_status",
            json!({"group_id": count + 1, "status": "online"}),
            "group_id",
            count.to_string(),
        ),
        (
            "/_lc/agent/set_group_properties",
            json!({"group_id": -(count as i64) - 1, "properties": {}}),
            "group_id",
            count.to_string(),
        ),
    ];
    for (path, body, field, max) in cases {
        let (status, answer) = post(&server, path, body).await;
        assert_eq!((status, &answer["error"]["type"]), (400, &json!("validation")), "{path}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("`{field}`")) && message.contains(&max),
            "{path}: {message}"
        );
    }
    // At the bounds: taken.
    ok(&server, "/_lc/faults/delay_responses", json!({"delay_ms": ms})).await;
    ok(&server, "/_lc/faults/drop_responses", json!({"count": count})).await;
    ok(&server, "/_lc/faults/pad_next_response", json!({"len": pad})).await;
    ok(&server, "/_lc/faults/clear", json!({})).await;
    assert_eq!(get(&server, "/_lc/problems").await.1, json!({ "problems": [] }));
    server.shutdown().await;
}

/// A number written as text in a JSON body (`{"duration_ms": "5"}`) is refused (it was taken).
#[tokio::test]
async fn numbers_given_as_text_are_refused() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let cases = [
        ("/_lc/faults/refuse_connections", json!({"duration_ms": "5"}), "duration_ms"),
        ("/_lc/faults/delay_responses", json!({"delay_ms": "5"}), "delay_ms"),
        ("/_lc/faults/fail_next", json!({"type": "internal", "count": "2"}), "count"),
        ("/_lc/faults/drop_responses", json!({"count": "1"}), "count"),
        (
            "/_lc/agent/set_group_status",
            json!({"group_id": "0", "status": "online"}),
            "group_id",
        ),
    ];
    for (path, body, field) in cases {
        let (status, answer) = post(&server, path, body).await;
        assert_eq!((status, &answer["error"]["type"]), (400, &json!("validation")), "{path}: {answer}");
        assert!(
            answer["error"]["message"].as_str().unwrap().contains(&format!("`{field}`")),
            "{answer}"
        );
    }
    let faults = get(&server, "/_lc/faults").await.1;
    assert_eq!(
        (&faults["refuse_connections_ms"], &faults["delay_ms"]),
        (&json!(null), &json!(0)),
        "{faults}"
    );
    server.shutdown().await;
}

/// Strings a control request stores and the mock sends on are bounded too: an error type of
/// 10 MB (five of them took the mock from 38 to 220 MB) and a region that cannot be one (it
/// becomes every token's prefix) are refused.
#[tokio::test]
async fn stored_strings_are_bounded_and_checked() {
    let server = MockServer::start(Config::default()).await.unwrap();
    for kind in [
        json!("x".repeat(10 << 20)),
        json!(""),
        json!("Internal\u{1b}[2J"),
        json!("a".repeat(65)),
    ] {
        let (status, body) = post(&server, "/_lc/faults/fail_next", json!({"type": kind})).await;
        let shown: String = body.to_string().chars().take(300).collect();
        assert_eq!((status, &body["error"]["type"]), (400, &json!("validation")), "{shown}");
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains("`type`"), "{shown}");
    }
    // A type this version does not know is still taken (forward compatibility).
    let body = ok(&server, "/_lc/faults/fail_next", json!({"type": "brand_new_error"})).await;
    assert_eq!(body["fail_next"][0]["type"], "brand_new_error");
    for region in [json!("\u{1b}[2J"), json!(""), json!("a:b"), json!("r".repeat(5000)), json!("FRA")] {
        let (status, body) = post(&server, "/_lc/region", json!({"region": region})).await;
        let shown: String = body.to_string().chars().take(300).collect();
        assert_eq!((status, &body["error"]["type"]), (400, &json!("validation")), "{shown}");
    }
    assert_eq!(ok(&server, "/_lc/region", json!({"region": "fra-b"})).await["region"], "fra-b");
    assert!(server.issue_token().starts_with("fra-b:"));
    server.shutdown().await;
}

/// A control request is bounded in shape as well as in bytes: 40,000 license property
/// namespaces in a 789 KB body took a mock from 23 to 120 MB and kept it there.
#[tokio::test]
async fn what_a_control_request_stores_is_bounded_in_shape() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let wide: serde_json::Map<String, Value> = (0..40_000).map(|i| (format!("n{i}"), json!({"a": 1}))).collect();
    let deep_total: serde_json::Map<String, Value> = (0..1000)
        .map(|i| {
            (
                format!("n{i}"),
                json!((0..200).map(|j| (format!("k{j}"), json!(j))).collect::<serde_json::Map<_, _>>()),
            )
        })
        .collect();
    for (what, properties) in [
        ("40,000 namespaces", Value::Object(wide)),
        ("200,000 values", Value::Object(deep_total)),
    ] {
        let (status, body) = post(&server, "/_lc/agent/set_license_properties", json!({"properties": properties})).await;
        let shown: String = body.to_string().chars().take(300).collect();
        assert_eq!((status, &body["error"]["type"]), (400, &json!("validation")), "{what}: {shown}");
        assert!(shown.contains("`properties"), "{what}: {shown}");
    }
    let body = ok(
        &server,
        "/_lc/agent/set_license_properties",
        json!({"properties": {"ns": {"a": 1}}}),
    )
    .await;
    let _ = body;
    server.shutdown().await;
}

/// A region given in Rust is checked as the control API's is: `Config::region` that cannot be
/// one is refused by `start` (it was every token's prefix), and `set_region` leaves the mock
/// where it is.
#[tokio::test]
async fn a_region_given_in_rust_is_checked() {
    for region in ["\u{1b}[2J", "", "a:b", "FRA"] {
        let config = Config {
            region: region.to_owned(),
            ..Config::default()
        };
        let err = MockServer::start(config).await.err().expect("refused");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{region:?}: {err}");
    }
    let server = MockServer::start(Config {
        region: "fra-b".to_owned(),
        ..Config::default()
    })
    .await
    .unwrap();
    assert!(server.issue_token().starts_with("fra-b:"));
    assert!(!server.set_region(&"r".repeat(5000)));
    assert!(!server.set_region("a\r\nb"));
    assert_eq!(server.region(), "fra-b");
    assert!(server.set_region("dal"));
    assert_eq!(server.region(), "dal");
    server.shutdown().await;
}

/// Every text a control request gives is bounded (1 MiB, a whole Web request), a file's
/// content aside; `tokens/expire` keeps nothing of a token the mock never issued (any text,
/// 16 MiB of it too, was kept for good).
#[tokio::test]
async fn control_texts_are_bounded_and_unknown_tokens_kept_nowhere() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let big = "x".repeat((1 << 20) + 1);
    for (path, body, field) in [
        ("/_lc/agent/send_message", json!({"chat_id": "c", "text": big}), "`text"),
        ("/_lc/agent/join", json!({"chat_id": big}), "`chat_id"),
        (
            "/_lc/agent/set_license_properties",
            json!({"properties": {"ns": {big.clone(): 1}}}),
            "`properties",
        ),
        (
            "/_lc/agent/set_license_properties",
            json!({"properties": {"ns": {"p": big}}}),
            "`properties.ns.p",
        ),
    ] {
        let (status, body) = post(&server, path, body).await;
        let shown: String = body.to_string().chars().take(300).collect();
        assert_eq!((status, &body["error"]["type"]), (400, &json!("validation")), "{path}: {shown}");
        assert!(
            body["error"]["message"].as_str().unwrap_or_default().contains(field),
            "{path}: {shown}"
        );
    }
    // A file's content is bounded by the body only: past the check, to the unknown chat.
    let (status, body) = post(
        &server,
        "/_lc/agent/send_file",
        json!({"chat_id": "nope", "name": "a.txt", "content": "y".repeat(2 << 20)}),
    )
    .await;
    assert_eq!((status, &body["error"]["type"]), (404, &json!("not_found")), "{body}");
    // A token the mock never issued: refused, and nothing is kept of it.
    let (status, body) = post(&server, "/_lc/tokens/expire", json!({"token": "x".repeat(1000)})).await;
    assert_eq!((status, &body["error"]["type"]), (404, &json!("not_found")), "{body}");
    let customer = server.issue_customer();
    ok(&server, "/_lc/tokens/expire", json!({"token": customer.token})).await;
    server.shutdown().await;
}
