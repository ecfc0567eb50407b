//! The mock's RTM API driven by a bare WebSocket client: session rules, limits, pushes,
//! subscriptions, the agent control API and faults.

mod common;

use std::time::Duration;

use common::{Rtm, Web};
use lc_mock::{Config, GreetingStatus, MockServer, Target, TransferTo};
use serde_json::{json, Value};

async fn server() -> MockServer {
    MockServer::start(Config::default()).await.unwrap()
}

async fn fast_server() -> MockServer {
    let config = Config {
        login_timeout: Duration::from_millis(600),
        ping_timeout: Duration::from_millis(600),
        ..Config::default()
    };
    MockServer::start(config).await.unwrap()
}

#[tokio::test]
async fn login_comes_first_and_answers_the_session() {
    let server = server().await;
    let customer = server.issue_customer();
    let mut rtm = Rtm::connect(&server, "3.6").await;
    // A ping before login is a no-op; any other action is refused.
    rtm.ok("ping", json!({})).await;
    rtm.refused("get_customer", json!({}), "authentication").await;
    rtm.refused("login", json!({"token": "Bearer dal:nobody"}), "authentication").await;
    rtm.refused("login", json!({}), "validation").await;
    let login = rtm
        .ok(
            "login",
            json!({"token": format!("Bearer {}", customer.token), "customer": {"name": "Ann"}}),
        )
        .await;
    assert_eq!(login["customer"]["id"], customer.id.as_str());
    assert_eq!(login["customer"]["name"], "Ann");
    assert_eq!(login["customer"]["statistics"]["visits_count"], 1);
    assert_eq!(
        (login["has_active_thread"].clone(), login["chats"].clone()),
        (json!(false), json!([]))
    );
    assert!(login.get("greeting").is_none());
    rtm.refused("login", json!({"token": format!("Bearer {}", customer.token)}), "validation")
        .await;
    // request_id is echoed; a frame without one gets a response without one.
    rtm.send_text(r#"{"action": "get_customer", "payload": {}}"#).await;
    let r = rtm.next().await.unwrap();
    assert_eq!(
        (r["type"].as_str(), r["action"].as_str(), r.get("request_id")),
        (Some("response"), Some("get_customer"), None)
    );
    // Bad frames get `success: false`, never a dropped connection.
    rtm.send_text("{not json").await;
    assert_eq!(rtm.next().await.unwrap()["payload"]["error"]["type"], "validation");
    rtm.send_text(r#"{"request_id": "x", "payload": {}}"#).await;
    let r = rtm.response("x").await;
    assert_eq!(r["payload"]["error"]["type"], "validation");
    // Frames are read with lc-types' `Frame`: a request needs a `payload` and has no `type`.
    rtm.send_text(r#"{"request_id": "y", "action": "ping"}"#).await;
    let r = rtm.response("y").await;
    assert_eq!(
        (r["action"].as_str(), r["payload"]["error"]["type"].as_str()),
        (Some("ping"), Some("validation"))
    );
    rtm.send_text(r#"{"request_id": "z", "action": "ping", "type": "push", "payload": {}}"#)
        .await;
    assert_eq!(rtm.response("z").await["payload"]["error"]["type"], "validation");
    // Found by the `mock_rtm` fuzz target: a number no `Value` holds passed the envelope (raw
    // JSON) and the connection task panicked; now a refusal, and the connection goes on.
    rtm.send_text(r#"{"request_id": "n", "action": "list_threads", "payload": {"chat_id": "C", "limit": 1e999}}"#)
        .await;
    let r = rtm.response("n").await;
    assert_eq!(r["payload"]["error"]["type"], "validation", "{r}");
    assert!(
        r["payload"]["error"]["message"].as_str().unwrap().contains("number out of range"),
        "{r}"
    );
    rtm.refused("upload_file", json!({}), "not_found").await;
    rtm.refused("no_such_action", json!({}), "not_found").await;
    rtm.ok("ping", json!({})).await;
    // A second login on another connection sees the chat and the greeting.
    rtm.ok(
        "start_chat",
        json!({"chat": {"thread": {"events": [{"type": "message", "text": "Hi"}]}}}),
    )
    .await;
    let unique_id = server.agent().greet(&customer.id, "Hello there").unwrap();
    let (_second, login) = Rtm::login(&server, "3.6", &customer.token).await;
    assert_eq!(login["has_active_thread"], true);
    assert_eq!(login["chats"].as_array().unwrap().len(), 1);
    assert_eq!(login["greeting"]["unique_id"], unique_id.as_str());
    assert_eq!(login["customer"]["statistics"]["visits_count"], 2);
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

/// The login's `__priv_dynamic_config` follows the groups' state: the official browser SDK
/// reads the customer's availability from it (and cannot log in without it).
#[tokio::test]
async fn login_tells_which_groups_are_online() {
    let server = server().await;
    let token = server.issue_token();
    let (_, login) = Rtm::login(&server, "3.5", &token).await;
    assert_eq!(
        login["__priv_dynamic_config"],
        json!({"online_groups_ids": [0], "customer_groups": {"monitoring": {"id": 0}}})
    );
    server.agent().set_group_status(7, "online_for_queue").unwrap();
    server.agent().set_group_status(0, "offline").unwrap();
    let mut rtm = Rtm::connect(&server, "3.6").await;
    let login = rtm.ok("login", json!({"token": format!("Bearer {token}"), "group_id": 7})).await;
    assert_eq!(
        login["__priv_dynamic_config"],
        json!({"online_groups_ids": [7], "customer_groups": {"monitoring": {"id": 7}}})
    );
    // Every group offline: no list at all, as the SDK expects.
    server.agent().set_group_status(7, "offline").unwrap();
    let (_, login) = Rtm::login(&server, "3.7", &token).await;
    assert_eq!(
        login["__priv_dynamic_config"],
        json!({"customer_groups": {"monitoring": {"id": 7}}})
    );
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

#[tokio::test]
async fn deadlines_close_with_connection_timeout() {
    let server = fast_server().await;
    let customer = server.issue_customer();
    let token = customer.token.clone();
    // No login in time.
    let mut rtm = Rtm::connect(&server, "3.6").await;
    let push = rtm.next().await.unwrap();
    assert_eq!(
        (push["action"].as_str(), push["payload"]["reason"].as_str()),
        (Some("customer_disconnected"), Some("connection_timeout"))
    );
    assert!(rtm.next().await.is_none(), "closed after the push");
    // Pings keep a logged-in connection open past the timeout; silence closes it.
    let (mut rtm, _) = Rtm::login(&server, "3.6", &token).await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        rtm.ok("ping", json!({})).await;
    }
    // A client that sends nothing but reads, and so answers the server's WebSocket pings (as
    // a browser does: the official customer-sdk sends no keep-alive of its own), stays.
    let pings = rtm.idle_reading(Duration::from_millis(2000)).await;
    assert!(pings >= 3, "the server pings every half timeout: {pings} pings in 2 s");
    // One that reads nothing answers no ping: cut off after the timeout (seen from the
    // server: the customer has no connection left to disconnect). Reading the push now could
    // race: tungstenite writes its pending pong first, into the socket the mock closed.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(server.agent().disconnect(&customer.id, "internal_error", None), 0);
    drop(rtm);
    server.shutdown().await;
}

#[tokio::test]
async fn connections_are_refused_as_the_api_refuses_them() {
    let server = server().await;
    let mut rtm = Rtm::connect_url(&format!("{}?organization_id=nope", server.rtm_url("3.6"))).await;
    assert_eq!(rtm.next().await.unwrap()["payload"]["reason"], "license_not_found");
    assert!(rtm.next().await.is_none());
    let mut rtm = Rtm::connect_url(&format!("{}?organization_id={}", server.rtm_url("2.0"), server.organization_id())).await;
    assert_eq!(rtm.next().await.unwrap()["payload"]["reason"], "unsupported_version");
    server.faults().refuse_connections(Duration::from_secs(60));
    let url = format!("{}?organization_id={}", server.rtm_url("3.6"), server.organization_id());
    assert!(tokio_tungstenite::connect_async(url.as_str()).await.is_err());
    server.faults().clear();
    assert!(tokio_tungstenite::connect_async(url.as_str()).await.is_ok());
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_may_name_a_higher_version() {
    let server = server().await;
    let token = server.issue_token();
    let (mut rtm, _) = Rtm::login(&server, "3.6", &token).await;
    rtm.ok("start_chat", json!({})).await;
    // list_chats answers chats_summary in 3.6 and chats_info in 3.7.
    let id = rtm.send_frame(json!({"action": "list_chats", "payload": {}})).await;
    assert!(rtm.response(&id).await["payload"]["chats_summary"].is_array());
    let id = rtm
        .send_frame(json!({"version": "3.7", "action": "list_chats", "payload": {}}))
        .await;
    assert!(rtm.response(&id).await["payload"]["chats_info"].is_array());
    let id = rtm
        .send_frame(json!({"version": "3.5", "action": "list_chats", "payload": {}}))
        .await;
    assert_eq!(rtm.response(&id).await["payload"]["error"]["type"], "unsupported_version");
    // delete_event exists from 3.6: a 3.5 connection may still ask for it in 3.6.
    let (mut old, _) = Rtm::login(&server, "3.5", &token).await;
    old.refused(
        "delete_event",
        json!({"chat_id": "X", "thread_id": "Y", "event_id": "Z"}),
        "not_found",
    )
    .await;
    let id = old
        .send_frame(json!({"version": "3.6", "action": "delete_event", "payload": {"chat_id": "X", "thread_id": "Y", "event_id": "Z"}}))
        .await;
    let r = old.response(&id).await;
    assert_eq!(r["payload"]["error"]["message"], "Chat not found", "{r}");
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

#[tokio::test]
async fn at_most_ten_requests_in_flight() {
    let server = server().await;
    let token = server.issue_token();
    let (mut rtm, _) = Rtm::login(&server, "3.6", &token).await;
    server.faults().delay_responses(Duration::from_millis(500));
    let mut ids = Vec::new();
    for _ in 0..11 {
        ids.push(rtm.send("get_customer", json!({})).await);
    }
    // The 11th is refused at once; the first ten succeed after the delay.
    let eleventh = rtm.response(&ids[10]).await;
    assert_eq!(eleventh["payload"]["error"]["type"], "pending_requests_limit_reached");
    for id in &ids[..10] {
        assert_eq!(rtm.response(id).await["success"], true);
    }
    // Once they are answered there is room again.
    server.faults().clear();
    rtm.ok("get_customer", json!({})).await;
    server.shutdown().await;
}

#[tokio::test]
async fn pushes_follow_the_subscription_and_versions() {
    let server = server().await;
    let customer = server.issue_customer();
    // Default: every push of the connection's version.
    let (mut plain, _) = Rtm::login(&server, "3.6", &customer.token).await;
    // Subscribed to one push in 3.6 and everything in 3.7.
    let mut picky = Rtm::connect(&server, "3.6").await;
    let login = json!({"token": format!("Bearer {}", customer.token), "pushes": {"3.6": ["incoming_event"], "3.7": ["all"]}});
    picky.ok("login", login).await;
    let id = plain.send("start_chat", json!({})).await;
    let started = plain.response(&id).await;
    let chat_id = started["payload"]["chat_id"].as_str().unwrap().to_owned();
    // The requester's push carries its request_id; the other connection's does not.
    let push = plain.push("incoming_chat").await;
    assert_eq!(
        (push["version"].as_str(), push["request_id"].as_str()),
        (Some("3.6"), Some(id.as_str()))
    );
    let push = picky.push("incoming_chat").await;
    assert_eq!((push["version"].as_str(), push.get("request_id")), (Some("3.7"), None));
    plain
        .ok("send_event", json!({"chat_id": chat_id, "event": {"type": "message", "text": "x"}}))
        .await;
    let mut versions = vec![
        picky.push("incoming_event").await["version"].as_str().unwrap().to_owned(),
        picky.push("incoming_event").await["version"].as_str().unwrap().to_owned(),
    ];
    versions.sort();
    assert_eq!(versions, ["3.6", "3.7"]);
    plain.push("incoming_event").await;
    // A push the connection version lacks is not sent in it: thinking is 3.6+.
    let (mut old, _) = Rtm::login(&server, "3.5", &customer.token).await;
    server.agent().thinking(&chat_id, Some("Hmm")).unwrap();
    plain.push("incoming_thinking_indicator").await;
    server.agent().typing(&chat_id, true).unwrap();
    let typing = old.push("incoming_typing_indicator").await;
    assert_eq!(typing["version"], "3.5");
    assert!(old.backlog.is_empty(), "3.5 got {:?}", old.backlog);
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

#[tokio::test]
async fn the_agent_side_reaches_the_customer() {
    let server = server().await;
    let customer = server.issue_customer();
    let (mut rtm, _) = Rtm::login(&server, "3.6", &customer.token).await;
    let chat_id = rtm.ok("start_chat", json!({})).await["chat_id"].as_str().unwrap().to_owned();
    let agent = server.agent();
    agent.join(&chat_id).unwrap();
    let added = rtm.push("user_added_to_chat").await["payload"].clone();
    assert_eq!(
        (added["user"]["type"].as_str(), added["user"]["present"].as_bool()),
        (Some("agent"), Some(true))
    );
    let event_id = agent.send_message(&chat_id, "How can I help?").unwrap();
    let event = rtm.push("incoming_event").await["payload"]["event"].clone();
    assert_eq!(
        (event["id"].as_str(), event["text"].as_str()),
        (Some(event_id.as_str()), Some("How can I help?"))
    );
    agent
        .send_rich_message(
            &chat_id,
            "quick_replies",
            json!([{"title": "Pick", "buttons": [{"text": "A", "type": "message", "value": "A", "postback_id": "a", "user_ids": []}]}]),
        )
        .unwrap();
    let rich = rtm.push("incoming_event").await["payload"]["event"].clone();
    assert_eq!(rich["type"], "rich_message");
    agent.send_file(&chat_id, "notes.txt", "text/plain", b"hello").unwrap();
    let file = rtm.push("incoming_event").await["payload"]["event"].clone();
    assert_eq!((file["name"].as_str(), file["size"].as_u64()), (Some("notes.txt"), Some(5)));
    let url = file["url"].as_str().unwrap().to_owned();
    let path = &url[url.find("/files/").unwrap()..];
    let (status, body) = common::http_raw(&server, "GET", path, &[], b"").await;
    assert_eq!((status, body.as_slice()), (200, &b"hello"[..]));
    agent.edit_message(&chat_id, &event_id, "Edited").unwrap();
    assert_eq!(rtm.push("event_updated").await["payload"]["event"]["text"], "Edited");
    let thread_id = agent.active_chat(&customer.id).unwrap().1;
    agent
        .update_properties(&Target::Chat(chat_id.clone()), json!({"ns": {"a": 1}}))
        .unwrap();
    assert_eq!(
        rtm.push("chat_properties_updated").await["payload"]["properties"],
        json!({"ns": {"a": 1}})
    );
    agent
        .delete_properties(&Target::Thread(chat_id.clone(), thread_id.clone()), json!({"ns": ["a"]}))
        .unwrap();
    rtm.push("thread_properties_deleted").await;
    agent
        .update_properties(
            &Target::Event(chat_id.clone(), thread_id.clone(), event_id.clone()),
            json!({"ns": {"b": true}}),
        )
        .unwrap();
    rtm.push("event_properties_updated").await;
    let chat = rtm.ok("get_chat", json!({"chat_id": chat_id})).await;
    assert_eq!(chat["properties"], json!({"ns": {"a": 1}}));
    assert_eq!(chat["thread"]["events"][0]["properties"], json!({"ns": {"b": true}}));
    agent.typing(&chat_id, true).unwrap();
    assert_eq!(
        rtm.push("incoming_typing_indicator").await["payload"]["typing_indicator"]["is_typing"],
        true
    );
    agent.event_preview(&chat_id, "Typing this").unwrap();
    assert!(rtm.push("incoming_event_preview").await["payload"]["event"].get("id").is_none());
    agent
        .transfer(
            &chat_id,
            &TransferTo {
                group_ids: vec![0],
                agent_ids: vec![],
            },
            Some((3, 120)),
        )
        .unwrap();
    let transferred = rtm.push("chat_transferred").await["payload"].clone();
    assert_eq!(
        (transferred["queue"]["position"].as_u64(), transferred["reason"].as_str()),
        (Some(3), Some("manual"))
    );
    agent.update_queue(&chat_id, 1, 30).unwrap();
    assert_eq!(
        rtm.push("queue_position_updated").await["payload"]["queue"],
        json!({"position": 1, "wait_time": 30})
    );
    agent.multicast(&[], json!({"hello": "everyone"})).unwrap();
    assert_eq!(
        rtm.push("incoming_multicast").await["payload"]["content"],
        json!({"hello": "everyone"})
    );
    agent.set_group_status(0, "offline").unwrap();
    assert_eq!(
        rtm.push("groups_status_updated").await["payload"]["groups"],
        json!([{"id": 0, "status": "offline"}])
    );
    assert_eq!(
        rtm.ok("list_group_statuses", json!({"all": true})).await["groups_status"],
        json!({"0": "offline"})
    );
    agent.leave(&chat_id).unwrap();
    rtm.push("user_removed_from_chat").await;
    agent.deactivate_chat(&chat_id).unwrap();
    assert_eq!(rtm.push("incoming_event").await["payload"]["event"]["type"], "system_message");
    assert_eq!(rtm.push("chat_deactivated").await["payload"]["user_id"], agent.id().as_str());
    // Refusals change nothing.
    assert_eq!(agent.send_message(&chat_id, "late").unwrap_err().kind().as_str(), "chat_inactive");
    assert_eq!(agent.set_group_status(0, "sleepy").unwrap_err().kind().as_str(), "validation");
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

#[tokio::test]
async fn greetings_are_accepted_or_canceled() {
    let server = server().await;
    let customer = server.issue_customer();
    let (mut rtm, _) = Rtm::login(&server, "3.6", &customer.token).await;
    let agent = server.agent();
    let first = agent.greet(&customer.id, "Hi!").unwrap();
    let greeting = rtm.push("incoming_greeting").await["payload"].clone();
    assert_eq!(greeting["unique_id"], first.as_str());
    // A new greeting cancels the pending one.
    let second = agent.greet(&customer.id, "Still there?").unwrap();
    assert_eq!(rtm.push("greeting_canceled").await["payload"]["unique_id"], first.as_str());
    let greeting = rtm.push("incoming_greeting").await["payload"].clone();
    assert_eq!(agent.greeting_status(&first), Some(GreetingStatus::Canceled));
    rtm.refused(
        "accept_greeting",
        json!({"greeting_id": greeting["id"], "unique_id": first}),
        "greeting_not_found",
    )
    .await;
    rtm.refused(
        "accept_greeting",
        json!({"greeting_id": 999_999, "unique_id": second}),
        "greeting_not_found",
    )
    .await;
    rtm.ok("accept_greeting", json!({"greeting_id": greeting["id"], "unique_id": second}))
        .await;
    assert_eq!(rtm.push("greeting_accepted").await["payload"]["unique_id"], second.as_str());
    assert_eq!(agent.greeting_status(&second), Some(GreetingStatus::Accepted));
    let third = agent.greet(&customer.id, "Bye?").unwrap();
    rtm.push("incoming_greeting").await;
    rtm.ok("cancel_greeting", json!({"unique_id": third})).await;
    rtm.push("greeting_canceled").await;
    assert_eq!(agent.greeting_status(&third), Some(GreetingStatus::Canceled));
    rtm.refused("cancel_greeting", json!({"unique_id": third}), "greeting_not_found")
        .await;
    let stats = rtm.ok("get_customer", json!({})).await["statistics"].clone();
    assert_eq!(
        (stats["greetings_shown_count"].as_u64(), stats["greetings_accepted_count"].as_u64()),
        (Some(3), Some(1))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn side_storage_goes_to_the_customer_and_comes_back_at_login() {
    let server = server().await;
    let customer = server.issue_customer();
    let (mut rtm, _) = Rtm::login(&server, "3.6", &customer.token).await;
    let stored = server.agent().update_side_storage(&customer.id, json!({"k": "v"})).unwrap();
    assert_eq!(stored, json!({"k": "v"}));
    let push = rtm.push("customer_side_storage_updated").await;
    assert_eq!(push["payload"]["customer_side_storage"], json!({"k": "v"}));
    assert_eq!(
        server
            .agent()
            .update_side_storage(&customer.id, json!({"k": 1}))
            .unwrap_err()
            .kind()
            .as_str(),
        "validation"
    );
    let mut again = Rtm::connect(&server, "3.6").await;
    again
        .ok(
            "login",
            json!({"token": format!("Bearer {}", customer.token), "customer_side_storage": {"k": "w"}}),
        )
        .await;
    let stored = server.agent().update_side_storage(&customer.id, json!({"n": "1"})).unwrap();
    assert_eq!(stored, json!({"k": "w", "n": "1"}));
    server.shutdown().await;
}

#[tokio::test]
async fn disconnects_with_any_reason() {
    let server = server().await;
    let customer = server.issue_customer();
    let (mut a, _) = Rtm::login(&server, "3.6", &customer.token).await;
    let (mut b, _) = Rtm::login(&server, "3.7", &customer.token).await;
    let n = server
        .agent()
        .disconnect(&customer.id, "misdirected_connection", Some(json!({"region": "fra"})));
    assert_eq!(n, 2);
    for rtm in [&mut a, &mut b] {
        let push = rtm.push("customer_disconnected").await["payload"].clone();
        assert_eq!(push, json!({"reason": "misdirected_connection", "data": {"region": "fra"}}));
        assert!(rtm.next().await.is_none());
    }
    // A reason the docs do not list goes out as it is.
    let (mut c, _) = Rtm::login(&server, "3.6", &customer.token).await;
    server.agent().disconnect(&customer.id, "moon_phase_changed", None);
    assert_eq!(c.push("customer_disconnected").await["payload"]["reason"], "moon_phase_changed");
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

#[tokio::test]
async fn faults_are_injected() {
    let server = server().await;
    let customer = server.issue_customer();
    let (mut rtm, _) = Rtm::login(&server, "3.6", &customer.token).await;
    let web = Web {
        server: &server,
        token: customer.token.clone(),
        version: "3.6",
    };
    // The next two requests fail, over either transport, and change nothing.
    server.faults().fail_next(2, "service_unavailable");
    rtm.refused("start_chat", json!({}), "service_unavailable").await;
    web.refused("start_chat", json!({}), 503, "service_unavailable").await;
    assert!(server.agent().chats_of(&customer.id).is_empty());
    rtm.ok("start_chat", json!({})).await;
    // Raw frames: an unknown push and malformed JSON reach the client as they are.
    assert_eq!(
        server
            .faults()
            .send_raw(&customer.id, r#"{"action":"brand_new_push","type":"push","payload":{}}"#),
        1
    );
    assert_eq!(rtm.push("brand_new_push").await["payload"], json!({}));
    server.faults().send_raw(&customer.id, "{oops");
    assert_eq!(rtm.wait(|f| f.get("raw").is_some()).await["raw"], "{oops");
    // A dropped response: the request runs, its answer never comes.
    server.faults().drop_responses(1);
    let id = rtm.send("update_customer", json!({"name": "Dropped"})).await;
    let next = rtm
        .wait(|f: &Value| f["type"] == "response" || f["action"] == "customer_updated")
        .await;
    assert_eq!(next["action"], "customer_updated", "the push still goes out");
    let r = rtm.request("get_customer", json!({})).await;
    assert_eq!(r["payload"]["name"], "Dropped");
    assert!(rtm.backlog.iter().all(|f| f["request_id"] != id.as_str()));
    // Dropped connections end without a close frame.
    rtm.backlog.clear();
    server.faults().drop_connections();
    let after = rtm.next().await;
    assert!(after.is_none(), "{after:?}");
    server.shutdown().await;
}

/// A stall ends when it is cleared or replaced, not only when its time is up: connections that
/// stall now carry on at once.
#[tokio::test]
async fn a_stall_ends_when_cleared_or_replaced() {
    let server = server().await;
    let customer = server.issue_customer();
    let (mut rtm, _) = Rtm::login(&server, "3.6", &customer.token).await;
    for end in ["clear", "a stall of 0 ms"] {
        server.faults().stall_connections(Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(100)).await;
        let id = rtm.send("get_customer", json!({})).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        match end {
            "clear" => server.faults().clear(),
            _ => server.faults().stall_connections(Duration::ZERO),
        }
        let answered = tokio::time::timeout(Duration::from_secs(2), rtm.response(&id)).await;
        let response = answered.unwrap_or_else(|_| panic!("still stalled after {end}"));
        assert_eq!(response["payload"]["id"], customer.id.as_str(), "{response}");
    }
    server.shutdown().await;
}

/// Pushes `frame` to every connection of `customer` until one refuses it (or `most` went);
/// how many were taken.
async fn flood(server: &MockServer, customer: &str, frame: &str, most: usize) -> usize {
    let mut accepted = 0;
    while accepted < most {
        if server.faults().send_raw(customer, frame) == 0 {
            break;
        }
        accepted += 1;
        if accepted % 100 == 0 {
            tokio::task::yield_now().await;
        }
    }
    accepted
}

/// A raw push frame of about `len` bytes.
fn big_push(len: usize) -> String {
    format!(
        r#"{{"version":"3.6","action":"a_push","type":"push","payload":{{"x":"{}"}}}}"#,
        "y".repeat(len)
    )
}

/// A client that stops reading is cut off once [`lc_mock::MAX_QUEUED_FRAMES`] frames wait for
/// it: the mock's memory per connection stays bounded whatever the client does. (1 KiB
/// frames: 10,000 of them stay under [`lc_mock::MAX_QUEUED_BYTES`].)
#[tokio::test]
async fn a_client_that_does_not_read_is_cut_off_at_the_queue_limit() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let customer = server.issue_customer();
    let (_rtm, _login) = common::Rtm::login(&server, "3.6", &customer.token).await;
    let accepted = flood(&server, &customer.id, &big_push(1024), 200_000).await;
    assert!(accepted >= lc_mock::MAX_QUEUED_FRAMES, "{accepted}");
    assert!(accepted < 200_000, "the queue is bounded: {accepted} frames taken");
}

/// The queue is bounded in bytes too (issue 20: 10,000 frames of 1 MiB each were 10 GB):
/// large frames are cut off at [`lc_mock::MAX_QUEUED_BYTES`], far below the frame count.
#[tokio::test]
async fn a_client_that_does_not_read_is_cut_off_at_the_byte_limit() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let customer = server.issue_customer();
    let (_rtm, _login) = common::Rtm::login(&server, "3.6", &customer.token).await;
    let frame = big_push(256 * 1024);
    let accepted = flood(&server, &customer.id, &frame, 1000).await;
    // 64 frames fill the queue; the sockets' buffers take some more (a few MB on loopback).
    assert!(accepted >= lc_mock::MAX_QUEUED_BYTES / frame.len(), "{accepted}");
    assert!(accepted < 400, "bounded in bytes: {accepted} frames of 256 KiB taken");
    server.shutdown().await;
}

/// Issue 20: the connection task awaited each write, so a client that stopped reading made
/// the mock stop reading that connection and keeping its deadlines. Now a write waits at most
/// [`Config::ping_timeout`], and the connection is dropped when the client takes nothing.
#[tokio::test]
async fn a_client_that_never_reads_is_dropped_after_its_deadline() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let server = fast_server().await;
    let customer = server.issue_customer();
    // A small receive buffer (no autotuning): a few frames fill what the sockets hold.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(8 * 1024).unwrap();
    let tcp = socket.connect(server.addr()).await.unwrap();
    let url = format!("{}?organization_id={}", server.rtm_url("3.6"), server.organization_id());
    let (mut ws, _) = tokio_tungstenite::client_async(url, tcp).await.unwrap();
    let login = json!({"action": "login", "request_id": "1", "payload": {"token": format!("Bearer {}", customer.token)}});
    ws.send(Message::Text(login.to_string().into())).await.unwrap();
    loop {
        let message = tokio::time::timeout(common::WAIT, ws.next()).await.unwrap().unwrap().unwrap();
        if message.to_text().unwrap().contains(r#""request_id":"1""#) {
            break;
        }
    }
    // 10 MiB, more than the sockets hold but less than the queue does: the mock's writer
    // waits on the client, with nothing over a limit.
    let frame = big_push(256 * 1024);
    for _ in 0..40 {
        assert_eq!(server.faults().send_raw(&customer.id, &frame), 1);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Well past the 600 ms deadline: the connection is gone (before, it stayed forever).
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(server.agent().disconnect(&customer.id, "connection_evicted", None), 0);
    drop(ws);
    server.shutdown().await;
}

/// How a connection ended: the close frame's code, if one came before the socket did.
async fn close_code(rtm: &mut Rtm) -> Option<u16> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let message = tokio::time::timeout(common::WAIT, rtm.socket.next())
            .await
            .expect("the connection ends in time");
        match message {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

/// A frame over [`lc_mock::MAX_FRAME_BYTES`] ends its own connection (close code 1009,
/// message too big) and no other; a frame of exactly the limit is answered. A frame whose
/// header announces one byte more is refused as soon as the header is read.
#[tokio::test]
async fn a_frame_over_the_limit_ends_its_connection_only() {
    use lc_mock::MAX_FRAME_BYTES;
    use tokio::io::AsyncWriteExt;
    let server = server().await;
    let customer = server.issue_customer();
    let (mut other, _) = Rtm::login(&server, "3.6", &customer.token).await;

    // Exactly the limit (a request padded with spaces): answered.
    let (mut rtm, _) = Rtm::login(&server, "3.6", &customer.token).await;
    let mut frame = json!({"action": "get_customer", "request_id": "exact", "payload": {}}).to_string();
    frame.push_str(&" ".repeat(MAX_FRAME_BYTES - frame.len()));
    rtm.send_text(&frame).await;
    assert_eq!(rtm.response("exact").await["success"], true);

    // One byte more: the connection ends (the mock closes with 1009; the close frame may be
    // lost when the mock resets the socket while the client still writes the frame).
    frame.push(' ');
    use futures_util::SinkExt;
    let _ = rtm.socket.send(tokio_tungstenite::tungstenite::Message::Text(frame.into())).await;
    let code = close_code(&mut rtm).await;
    assert!(matches!(code, Some(1009) | None), "{code:?}");

    // A text frame header announcing one byte too many, masked as a client's must be, and no
    // payload: the close frame comes at once, with nothing left unread to reset the socket.
    let (mut rtm, _) = Rtm::login(&server, "3.6", &customer.token).await;
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&(MAX_FRAME_BYTES as u64 + 1).to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    match rtm.socket.get_mut() {
        tokio_tungstenite::MaybeTlsStream::Plain(tcp) => tcp.write_all(&header).await.unwrap(),
        _ => unreachable!("a plain connection"),
    }
    assert_eq!(close_code(&mut rtm).await, Some(1009));

    // The other connection, and new ones, are served as before.
    assert_eq!(other.ok("get_customer", json!({})).await["id"], customer.id);
    let (mut again, _) = Rtm::login(&server, "3.6", &customer.token).await;
    assert_eq!(again.ok("get_customer", json!({})).await["id"], customer.id);
    assert!(server.problems().is_empty(), "{:?}", server.problems());
    server.shutdown().await;
}
