//! Every action of every version over each transport it has, the documented errors and
//! limits, and the pushes each customer action sends (issue 4).
//!
//! The payloads are written here from the facts of the reference (§2, §3); the clients are the
//! plain ones of `common` (a TCP socket for the Web API, a bare WebSocket for RTM).

mod common;

use std::collections::BTreeSet;

use common::{http_raw, Rtm, Web};
use lc_mock::{Config, CustomerCredentials, GreetingStatus, MockServer};
use lc_types::{ApiVersion, WebMethod};
use serde_json::{json, Value};

/// How an action is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Transport {
    Web,
    Rtm,
}

/// One customer talking to the mock over one transport.
enum Client<'a> {
    Web(Web<'a>),
    Rtm(Box<Rtm>),
}

impl<'a> Client<'a> {
    /// Over RTM, a new connection logged in with `token`.
    async fn open(server: &'a MockServer, version: &'a str, token: &str, transport: Transport) -> Client<'a> {
        match transport {
            Transport::Web => Client::Web(Web {
                server,
                token: token.to_owned(),
                version,
            }),
            Transport::Rtm => Client::Rtm(Box::new(Rtm::login(server, version, token).await.0)),
        }
    }

    async fn ok(&mut self, action: &str, payload: Value) -> Value {
        match self {
            Client::Web(web) => web.ok(action, payload).await,
            Client::Rtm(rtm) => rtm.ok(action, payload).await,
        }
    }

    /// Asserts the error type (and, over the Web API, the HTTP status); the message.
    async fn refused(&mut self, action: &str, payload: Value, status: u16, kind: &str) -> String {
        match self {
            Client::Web(web) => web.refused(action, payload, status, kind).await,
            Client::Rtm(rtm) => rtm.refused(action, payload, kind).await,
        }
    }

    /// Calls and asserts a refusal of any type; the error object.
    async fn error(&mut self, action: &str, payload: Value) -> Value {
        let body = match self {
            Client::Web(web) => {
                let (status, body) = web.call(action, payload).await;
                assert_ne!(status, 200, "{action}: {body}");
                body
            }
            Client::Rtm(rtm) => {
                let r = rtm.request(action, payload).await;
                assert_eq!(r["success"], false, "{action}: {r}");
                r["payload"].clone()
            }
        };
        body["error"].clone()
    }

    fn rtm(&mut self) -> &mut Rtm {
        match self {
            Client::Rtm(rtm) => rtm,
            Client::Web(_) => panic!("an RTM client"),
        }
    }
}

fn transports() -> [Transport; 2] {
    [Transport::Web, Transport::Rtm]
}

fn at_least(version: &str, major: u16, minor: u16) -> bool {
    version.parse::<ApiVersion>().unwrap() >= ApiVersion::new(major, minor)
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("a string: {v}")).to_owned()
}

/// The `id`s of a JSON array.
fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("an array: {list}"))
        .iter()
        .map(|i| text(&i["id"]))
        .collect()
}

/// The customer among a chat's users.
fn user<'v>(chat: &'v Value, id: &str) -> &'v Value {
    chat["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id)
        .unwrap_or_else(|| panic!("user {id} in {chat}"))
}

/// A chat or thread ID as the reference describes them: 8-10 upper-case letters and digits.
fn is_chat_id(id: &str) -> bool {
    (8..=10).contains(&id.len()) && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Whether `actual` holds everything `expected` has (objects: recursively by key; anything
/// else: equal).
fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|got| contains(got, v))),
        _ => actual == expected,
    }
}

/// `start_chat`; (chat ID, thread ID, the full response).
async fn start(c: &mut Client<'_>, payload: Value) -> (String, String, Value) {
    let r = c.ok("start_chat", payload).await;
    (text(&r["chat_id"]), text(&r["thread_id"]), r)
}

fn message(words: &str) -> Value {
    json!({"type": "message", "text": words})
}

/// A quick-replies rich message the agent sends, with one button whose postback is `yes`.
fn quick_replies() -> Value {
    json!([{
        "title": "Did that answer your question?",
        "buttons": [
            {"text": "Yes", "type": "message", "value": "Yes", "postback_id": "yes", "user_ids": []},
            {"text": "No", "type": "message", "value": "No", "postback_id": "no", "user_ids": []}
        ]
    }])
}

/// A prechat form with a header, a name and a choice.
fn prechat_form() -> Value {
    json!({
        "id": "prechat-every-action",
        "fields": [
            {"id": "f1", "type": "header", "label": "Before we start"},
            {"id": "f2", "type": "name", "label": "Your name", "required": true},
            {"id": "f3", "type": "radio", "label": "Topic", "required": false,
             "options": [{"id": "o1", "label": "Billing"}, {"id": "o2", "label": "Shipping"}]}
        ]
    })
}

/// A multipart body with one part named `file`.
fn multipart(boundary: &str, name: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

/// `upload_file` over the Web API; (status, JSON body).
async fn upload(server: &MockServer, version: &str, token: &str, name: &str, bytes: &[u8]) -> (u16, Value) {
    let boundary = "lc-every-action-boundary";
    let target = format!(
        "/v{version}/customer/action/upload_file?organization_id={}",
        server.organization_id()
    );
    let auth = format!("Bearer {token}");
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let headers = [("Authorization", auth.as_str()), ("Content-Type", content_type.as_str())];
    let (status, body) = http_raw(
        server,
        "POST",
        &target,
        &headers,
        &multipart(boundary, name, "application/octet-stream", bytes),
    )
    .await;
    let text = String::from_utf8_lossy(&body).to_string();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

/// The pending greeting as a new RTM login shows it (its `id` is what `accept_greeting` needs).
async fn pending_greeting(server: &MockServer, version: &str, token: &str) -> Value {
    let (_, login) = Rtm::login(server, version, token).await;
    login["greeting"].clone()
}

/// `config_version` or `localization_version` of get_dynamic_configuration (nested under
/// `livechat` from 3.6).
async fn config_version(server: &MockServer, version: &str, key: &str) -> String {
    let web = Web {
        server,
        token: String::new(),
        version,
    };
    let got = web.ok("get_dynamic_configuration", json!({})).await;
    let livechat = if at_least(version, 3, 6) { &got["livechat"] } else { &got };
    text(&livechat[key])
}

/// One story's scenario for `action`: what it sees.
struct Story<'a> {
    server: &'a MockServer,
    version: &'a str,
    action: &'a str,
    transport: Transport,
    customer: CustomerCredentials,
    c: Client<'a>,
}

/// Runs the scenario of `action` in `version` over `transport`; false when there is none.
async fn scenario(server: &MockServer, version: &str, action: &str, transport: Transport) -> bool {
    let customer = server.issue_customer();
    let token = customer.token.as_str();
    if action == "login" {
        let mut rtm = Rtm::connect(server, version).await;
        let login = rtm
            .ok(
                "login",
                json!({
                    "token": format!("Bearer {token}"),
                    "customer": {"name": "Lena", "email": "lena@shop.example", "session_fields": [{"source": "every_action"}]},
                    "customer_page": {"url": "https://shop.example/cart", "title": "Cart"},
                    "is_mobile": false,
                    "group_id": 0,
                    "referrer": "https://search.example/",
                    "application": {"name": "lc-tests", "version": "1.0"}
                }),
            )
            .await;
        let me = &login["customer"];
        assert_eq!(
            (text(&me["id"]), me["name"].as_str(), &me["session_fields"]),
            (customer.id.clone(), Some("Lena"), &json!([{"source": "every_action"}])),
            "{login}"
        );
        assert_eq!((&login["has_active_thread"], &login["chats"]), (&json!(false), &json!([])));
        assert_eq!(
            (
                me["statistics"]["visits_count"].as_u64(),
                me["statistics"]["page_views_count"].as_u64()
            ),
            (Some(1), Some(1)),
            "{login}"
        );
        return true;
    }
    if action == "upload_file" {
        assert_eq!(transport, Transport::Web);
        let bytes = b"every action \x00\x01\xfe\xff bytes";
        let (status, body) = upload(server, version, token, "receipt.bin", bytes).await;
        assert_eq!(status, 200, "{body}");
        let url = text(&body["url"]);
        assert!(url.ends_with("/receipt.bin"), "{url}");
        let (status, got) = http_raw(server, "GET", &url[url.find("/files/").unwrap()..], &[], b"").await;
        assert_eq!((status, got.as_slice()), (200, &bytes[..]));
        return true;
    }
    let c = Client::open(server, version, token, transport).await;
    let mut s = Story {
        server,
        version,
        action,
        transport,
        customer,
        c,
    };
    chats(&mut s).await
        || events(&mut s).await
        || properties(&mut s).await
        || customer_data(&mut s).await
        || configuration(&mut s).await
        || greetings(&mut s).await
}

/// Chats: start, resume, deactivate, read, list, seen marks, sneak peeks.
async fn chats(s: &mut Story<'_>) -> bool {
    let (action, server, version) = (s.action, s.server, s.version);
    let customer = &s.customer;
    let agent = server.agent();
    let c = &mut s.c;
    match action {
        "list_chats" => {
            // A customer starts one chat; the agent side can open another.
            let (first, _, _) = start(c, json!({})).await;
            c.ok("deactivate_chat", json!({"id": first})).await;
            c.refused("start_chat", json!({}), 400, "chat_limit_reached").await;
            let (second, _) = agent.start_chat(&customer.id).unwrap();
            let listed = c.ok("list_chats", json!({"limit": 5, "sort_order": "desc"})).await;
            let key = if at_least(version, 3, 7) { "chats_info" } else { "chats_summary" };
            assert_eq!(ids(&listed[key]), [second, first], "{listed}");
            assert_eq!(listed["total_chats"], 2);
            assert_eq!(
                (&listed[key][0]["active"], &listed[key][1]["active"]),
                (&json!(true), &json!(false))
            );
        }
        "list_threads" => {
            let (chat, t1, _) = start(c, json!({})).await;
            c.ok("deactivate_chat", json!({"id": chat})).await;
            let t2 = text(&c.ok("resume_chat", json!({"chat": {"id": chat}})).await["thread_id"]);
            let listed = c.ok("list_threads", json!({"chat_id": chat})).await;
            assert_eq!(ids(&listed["threads"]), [t2.clone(), t1.clone()], "{listed}");
            assert_eq!(listed["found_threads"], 2);
            let listed = c
                .ok("list_threads", json!({"chat_id": chat, "sort_order": "asc", "limit": 1}))
                .await;
            assert_eq!(ids(&listed["threads"]), [t1], "{listed}");
            assert!(listed["next_page_id"].is_string(), "{listed}");
        }
        "get_chat" => {
            let (chat, thread, _) = start(
                c,
                json!({"chat": {"properties": {"shop": {"cart_value": 42}}, "thread": {"events": [message("Where is my order?")]}}}),
            )
            .await;
            let got = c.ok("get_chat", json!({"chat_id": chat, "thread_id": thread})).await;
            assert_eq!((text(&got["id"]), text(&got["thread"]["id"])), (chat, thread), "{got}");
            assert_eq!(got["thread"]["events"][0]["text"], "Where is my order?");
            assert_eq!(got["properties"], json!({"shop": {"cart_value": 42}}));
            assert_eq!(user(&got, &customer.id)["type"], "customer");
        }
        "start_chat" => {
            let (chat, thread, r) = start(
                c,
                json!({
                    "chat": {
                        "properties": {"shop": {"topic": "shoes"}},
                        "access": {"group_ids": [0]},
                        "thread": {"events": [{"type": "message", "text": "Hi", "custom_id": "c-1"}], "properties": {"shop": {"step": 1}}}
                    },
                    "active": true,
                    "continuous": false
                }),
            )
            .await;
            assert!(is_chat_id(&chat) && chat.len() == 10, "{r}");
            assert!(is_chat_id(&thread), "{r}");
            assert_eq!(r["event_ids"].as_array().map(Vec::len), Some(1), "{r}");
            assert_eq!(agent.active_chat(&customer.id), Some((chat, thread)));
        }
        "resume_chat" => {
            let (chat, t1, _) = start(c, json!({})).await;
            c.ok("deactivate_chat", json!({"id": chat})).await;
            let r = c
                .ok(
                    "resume_chat",
                    json!({"chat": {"id": chat, "thread": {"events": [message("I'm back")]}}}),
                )
                .await;
            let t2 = text(&r["thread_id"]);
            assert_ne!(t2, t1);
            assert_eq!(r["event_ids"].as_array().map(Vec::len), Some(1), "{r}");
            let got = c.ok("get_chat", json!({"chat_id": chat})).await;
            assert_eq!(
                (
                    text(&got["thread"]["id"]),
                    &got["thread"]["active"],
                    text(&got["thread"]["previous_thread_id"])
                ),
                (t2, &json!(true), t1),
                "{got}"
            );
        }
        "deactivate_chat" => {
            let (chat, _, _) = start(c, json!({})).await;
            assert_eq!(c.ok("deactivate_chat", json!({"id": chat})).await, json!({}));
            assert_eq!(agent.active_chat(&customer.id), None);
            let got = c.ok("get_chat", json!({"chat_id": chat})).await;
            assert_eq!(got["thread"]["active"], false);
        }
        "mark_events_as_seen" => {
            let (chat, _, _) = start(c, json!({})).await;
            agent.send_message(&chat, "Anything else?").unwrap();
            let got = c.ok("get_chat", json!({"chat_id": chat})).await;
            let seen_up_to = got["thread"]["events"].as_array().unwrap().last().unwrap()["created_at"].clone();
            assert!(
                user(&got, &customer.id)["events_seen_up_to"].as_str() < seen_up_to.as_str(),
                "{got}"
            );
            let r = c.ok(action, json!({"chat_id": chat, "seen_up_to": seen_up_to})).await;
            assert_eq!(r, json!({}));
            let got = c.ok("get_chat", json!({"chat_id": chat})).await;
            assert_eq!(user(&got, &customer.id)["events_seen_up_to"], seen_up_to, "{got}");
        }
        "send_sneak_peek" => {
            let (chat, _, _) = start(c, json!({})).await;
            let r = c
                .ok(
                    "send_sneak_peek",
                    json!({"chat_id": chat, "sneak_peek_text": "I would like to ret"}),
                )
                .await;
            assert_eq!(r, json!({}));
            assert_eq!(agent.sneak_peek(&chat).as_deref(), Some("I would like to ret"));
        }
        _ => return false,
    }
    true
}

/// Events: send, delete, rich message postbacks.
async fn events(s: &mut Story<'_>) -> bool {
    let (action, server, transport) = (s.action, s.server, s.transport);
    let customer = &s.customer;
    let agent = server.agent();
    let c = &mut s.c;
    match action {
        "send_event" => {
            let (chat, thread, _) = start(c, json!({})).await;
            let r = c
                .ok("send_event", json!({"chat_id": chat, "event": message("Size 42, please")}))
                .await;
            let event_id = text(&r["event_id"]);
            let got = c.ok("get_chat", json!({"chat_id": chat})).await;
            let last = got["thread"]["events"].as_array().unwrap().last().unwrap().clone();
            assert_eq!(
                (text(&last["id"]), text(&last["text"]), text(&last["author_id"])),
                (event_id, "Size 42, please".to_owned(), customer.id.clone())
            );
            assert_eq!(text(&got["thread"]["id"]), thread);
        }
        "delete_event" => {
            let (chat, thread, _) = start(c, json!({})).await;
            let event_id = text(&c.ok("send_event", json!({"chat_id": chat, "event": message("Oops")})).await["event_id"]);
            let r = c
                .ok("delete_event", json!({"chat_id": chat, "thread_id": thread, "event_id": event_id}))
                .await;
            assert_eq!(r, json!({}));
            let got = c.ok("get_chat", json!({"chat_id": chat})).await;
            assert!(!ids(&got["thread"]["events"]).contains(&event_id), "{got}");
        }
        "send_rich_message_postback" => {
            let (chat, thread, _) = start(c, json!({})).await;
            let event_id = agent.send_rich_message(&chat, "quick_replies", quick_replies()).unwrap();
            let r = c
                .ok(
                    "send_rich_message_postback",
                    json!({"chat_id": chat, "thread_id": thread, "event_id": event_id, "postback": {"id": "yes", "toggled": true}}),
                )
                .await;
            assert_eq!(r, json!({}));
            if transport == Transport::Rtm {
                let push = c.rtm().push("incoming_rich_message_postback").await;
                assert_eq!(push["payload"]["postback"]["id"], "yes", "{push}");
            }
        }
        _ => return false,
    }
    true
}

/// Properties of chats, threads, events, the license and groups.
async fn properties(s: &mut Story<'_>) -> bool {
    let (action, server) = (s.action, s.server);
    let agent = server.agent();
    let c = &mut s.c;
    match action {
        "update_chat_properties" | "delete_chat_properties" => {
            let (chat, _, _) = start(c, json!({"chat": {"properties": {"shop": {"a": 1, "b": "two"}}}})).await;
            let (payload, want) = if action.starts_with("update") {
                (
                    json!({"id": chat, "properties": {"shop": {"c": true}}}),
                    json!({"shop": {"a": 1, "b": "two", "c": true}}),
                )
            } else {
                (json!({"id": chat, "properties": {"shop": ["a"]}}), json!({"shop": {"b": "two"}}))
            };
            assert_eq!(c.ok(action, payload).await, json!({}));
            assert_eq!(c.ok("get_chat", json!({"chat_id": chat})).await["properties"], want);
        }
        "update_thread_properties" | "delete_thread_properties" => {
            let (chat, thread, _) = start(c, json!({"chat": {"thread": {"properties": {"shop": {"a": 1, "b": "two"}}}}})).await;
            let (props, want) = if action.starts_with("update") {
                (json!({"shop": {"c": true}}), json!({"shop": {"a": 1, "b": "two", "c": true}}))
            } else {
                (json!({"shop": ["a"]}), json!({"shop": {"b": "two"}}))
            };
            let r = c
                .ok(action, json!({"chat_id": chat, "thread_id": thread, "properties": props}))
                .await;
            assert_eq!(r, json!({}));
            assert_eq!(c.ok("get_chat", json!({"chat_id": chat})).await["thread"]["properties"], want);
        }
        "update_event_properties" | "delete_event_properties" => {
            let event = json!({"type": "message", "text": "Rate me", "properties": {"shop": {"a": 1, "b": "two"}}});
            let (chat, thread, r) = start(c, json!({"chat": {"thread": {"events": [event]}}})).await;
            let event_id = text(&r["event_ids"][0]);
            let (props, want) = if action.starts_with("update") {
                (json!({"shop": {"c": true}}), json!({"shop": {"a": 1, "b": "two", "c": true}}))
            } else {
                (json!({"shop": ["a"]}), json!({"shop": {"b": "two"}}))
            };
            let r = c
                .ok(
                    action,
                    json!({"chat_id": chat, "thread_id": thread, "event_id": event_id, "properties": props}),
                )
                .await;
            assert_eq!(r, json!({}));
            let got = c.ok("get_chat", json!({"chat_id": chat})).await;
            assert_eq!(got["thread"]["events"][0]["properties"], want, "{got}");
        }
        "list_license_properties" => {
            agent
                .set_license_properties(json!({"shop": {"currency": "EUR", "max_items": 7}, "other": {"flag": true}}))
                .unwrap();
            let all = c.ok(action, json!({})).await;
            assert_eq!(all, json!({"shop": {"currency": "EUR", "max_items": 7}, "other": {"flag": true}}));
            let one = c.ok(action, json!({"namespace": "shop", "name": "currency"})).await;
            assert_eq!(one, json!({"shop": {"currency": "EUR"}}));
        }
        "list_group_properties" => {
            agent
                .set_group_properties(0, json!({"shop": {"opening": "9-17"}, "other": {"x": 1}}))
                .unwrap();
            let got = c.ok(action, json!({"id": 0, "namespace": "shop"})).await;
            assert_eq!(got, json!({"shop": {"opening": "9-17"}}));
        }
        _ => return false,
    }
    true
}

/// The customer: its data, page, session fields, email verification.
async fn customer_data(s: &mut Story<'_>) -> bool {
    let (action, server, version) = (s.action, s.server, s.version);
    let customer = &s.customer;
    let agent = server.agent();
    let c = &mut s.c;
    match action {
        "update_customer" => {
            let mut payload = json!({
                "name": "Ola", "email": "ola@shop.example", "avatar": "https://cdn.shop.example/ola.png",
                "session_fields": [{"plan": "gold"}, {"seats": "5"}]
            });
            if at_least(version, 3, 6) {
                payload["address"] = json!({"city": "Gdansk", "country": "PL", "postal_code": "80-001"});
            }
            assert_eq!(c.ok(action, payload.clone()).await, json!({}));
            let me = c.ok("get_customer", json!({})).await;
            assert!(contains(&me, &payload), "{me} lacks {payload}");
        }
        "update_customer_page" => {
            let r = c.ok(action, json!({"url": "https://shop.example/shoes", "title": "Shoes"})).await;
            // The group assignment never changes here, so 3.6+ has no `groups` either.
            assert!(r.get("groups").is_none(), "{r}");
            let me = c.ok("get_customer", json!({})).await;
            assert_eq!(me["statistics"]["page_views_count"], 1, "{me}");
        }
        "set_customer_session_fields" => {
            let fields = json!([{"plan": "gold"}, {"seats": "5"}]);
            assert_eq!(c.ok(action, json!({"session_fields": fields})).await, json!({}));
            assert_eq!(c.ok("get_customer", json!({})).await["session_fields"], fields);
        }
        "get_customer" => {
            start(c, json!({})).await;
            let me = c.ok(action, json!({})).await;
            assert_eq!((text(&me["id"]), text(&me["type"])), (customer.id.clone(), "customer".to_owned()));
            assert_eq!(
                (me["statistics"]["chats_count"].as_u64(), me["statistics"]["threads_count"].as_u64()),
                (Some(1), Some(1)),
                "{me}"
            );
        }
        "request_email_verification" => {
            let r = c.ok(action, json!({"callback_uri": "https://shop.example/verified"})).await;
            assert_eq!(r, json!({}));
            // The agent side verifies the email and gets the callbacks to call.
            let callbacks = agent.verify_email(&customer.id).unwrap();
            assert_eq!(callbacks, ["https://shop.example/verified"]);
            assert_eq!(c.ok("get_customer", json!({})).await["email_verified"], true);
        }
        _ => return false,
    }
    true
}

/// Configuration: groups, goals, forms, the predicted agent, URL info, configurations, localization, ping.
async fn configuration(s: &mut Story<'_>) -> bool {
    let (action, server, version) = (s.action, s.server, s.version);
    let agent = server.agent();
    let c = &mut s.c;
    match action {
        "ping" => {
            let frame = c.rtm().request("ping", json!({})).await;
            assert_eq!(
                (&frame["success"], &frame["action"], &frame["payload"]),
                (&json!(true), &json!("ping"), &json!({})),
                "{frame}"
            );
        }
        "list_group_statuses" => {
            // Unknown group IDs are left out.
            let some = c.ok(action, json!({"group_ids": [0, 4242]})).await;
            assert_eq!(some, json!({"groups_status": {"0": "online"}}));
            assert_eq!(c.ok(action, json!({"all": true})).await, some);
        }
        "check_goals" => {
            let r = c
                .ok(
                    action,
                    json!({"session_fields": [{"cart": "full"}], "group_id": 0, "page_url": "https://shop.example/checkout"}),
                )
                .await;
            assert_eq!(r, json!({}));
        }
        "get_form" => {
            agent.set_form(0, "prechat", Some(prechat_form())).unwrap();
            agent.set_form(0, "postchat", None).unwrap();
            let got = c.ok(action, json!({"group_id": 0, "type": "prechat"})).await;
            assert_eq!(got, json!({"enabled": true, "form": prechat_form()}));
            assert_eq!(
                c.ok(action, json!({"group_id": 0, "type": "postchat"})).await,
                json!({"enabled": false})
            );
        }
        "get_predicted_agent" => {
            let got = c.ok(action, json!({})).await;
            assert_eq!((text(&got["agent"]["id"]), &got["queue"]), (agent.id(), &json!(false)), "{got}");
            assert_eq!(got["agent"]["type"], "agent");
        }
        "get_url_info" => {
            let got = c.ok(action, json!({"url": "https://www.example.com/products/1"})).await;
            assert_eq!(got["url"], "https://www.example.com/products/1");
            assert!(got["title"].is_string(), "{got}");
        }
        "get_dynamic_configuration" => {
            let got = c.ok(action, json!({"group_id": 0})).await;
            let livechat = if at_least(version, 3, 6) {
                assert_eq!(
                    (&got["livechat_active"], got["default_widget"].as_str()),
                    (&json!(true), Some("livechat")),
                    "{got}"
                );
                got["livechat"].clone()
            } else {
                got.clone()
            };
            assert_eq!(got["organization_id"], server.organization_id(), "{got}");
            assert_eq!(
                (&livechat["group_id"], &livechat["online_group_ids"]),
                (&json!(0), &json!([0])),
                "{got}"
            );
            assert!(
                livechat["config_version"].is_string() && livechat["localization_version"].is_string(),
                "{got}"
            );
        }
        "get_configuration" => {
            agent.set_form(0, "prechat", Some(prechat_form())).unwrap();
            // The version comes from get_dynamic_configuration (reference §2.2).
            let version = config_version(server, version, "config_version").await;
            let got = c.ok(action, json!({"group_id": 0, "version": version})).await;
            assert_eq!(got["prechat_form"], prechat_form(), "{got}");
            assert!(!got["buttons"].as_array().unwrap().is_empty(), "{got}");
            assert!(
                got["properties"]["license"].is_object() && got["properties"]["group"].is_object(),
                "{got}"
            );
        }
        "get_localization" => {
            let version = config_version(server, version, "localization_version").await;
            let got = c.ok(action, json!({"group_id": 0, "language": "en", "version": version})).await;
            let phrases = got.as_object().unwrap();
            assert!(!phrases.is_empty() && phrases.values().all(Value::is_string), "{got}");
        }
        _ => return false,
    }
    true
}

/// Greetings and the welcome message.
async fn greetings(s: &mut Story<'_>) -> bool {
    let (action, server, version, transport) = (s.action, s.server, s.version, s.transport);
    let customer = &s.customer;
    let agent = server.agent();
    let token = customer.token.as_str();
    let c = &mut s.c;
    match action {
        "accept_greeting" | "cancel_greeting" => {
            let unique_id = agent.greet(&customer.id, "Need a hand?").unwrap();
            let greeting = pending_greeting(server, version, token).await;
            assert_eq!(greeting["unique_id"], unique_id.as_str(), "{greeting}");
            let (payload, status) = if action == "accept_greeting" {
                (
                    json!({"greeting_id": greeting["id"], "unique_id": unique_id}),
                    GreetingStatus::Accepted,
                )
            } else {
                (json!({"unique_id": unique_id}), GreetingStatus::Canceled)
            };
            assert_eq!(c.ok(action, payload).await, json!({}));
            assert_eq!(agent.greeting_status(&unique_id), Some(status));
        }
        "request_welcome_message" => {
            let got = c.ok(action, json!({"group_id": 0})).await;
            assert!(!text(&got["id"]).is_empty(), "{got}");
            assert_eq!(
                (text(&got["predicted_agent"]["id"]), &got["queue"]),
                (agent.id(), &json!(false)),
                "{got}"
            );
            if transport == Transport::Rtm {
                let push = c.rtm().push("incoming_welcome_message").await;
                assert_eq!(push["payload"]["id"], got["id"], "{push}");
            }
        }
        "send_greeting_button_clicked" => {
            let unique_id = agent.greet(&customer.id, "Free shipping today!").unwrap();
            let r = c
                .ok(action, json!({"greeting_unique_id": unique_id, "button_id": "shop-now"}))
                .await;
            assert_eq!(r, json!({}));
            c.refused(
                action,
                json!({"greeting_unique_id": "no-such-greeting", "button_id": "x"}),
                404,
                "greeting_not_found",
            )
            .await;
        }
        _ => return false,
    }
    true
}

#[tokio::test]
async fn every_action_of_every_version_over_each_transport() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let mut expected = BTreeSet::new();
    let mut ran = BTreeSet::new();
    for api in lc_types::apis().iter().filter(|a| a.api == lc_types::ChatApi::Customer) {
        let version = api.version.to_string();
        for info in api.actions {
            for transport in transports() {
                let has = match transport {
                    Transport::Web => info.web.is_some(),
                    Transport::Rtm => info.rtm,
                };
                if !has {
                    continue;
                }
                expected.insert((version.clone(), info.name, transport));
                if scenario(&server, &version, info.name, transport).await {
                    ran.insert((version.clone(), info.name, transport));
                }
            }
        }
    }
    let missing: Vec<_> = expected.difference(&ran).collect();
    assert!(missing.is_empty(), "actions without a scenario: {missing:?}");
    assert_eq!(ran, expected);
    // Sanity: the table is what the reference lists (§2.1, §2.4): login and ping RTM only,
    // upload_file Web multipart only.
    for api in lc_types::apis().iter().filter(|a| a.api == lc_types::ChatApi::Customer) {
        let login = api.action("login").unwrap();
        assert_eq!((login.web, login.rtm), (None, true));
        let ping = api.action("ping").unwrap();
        assert_eq!((ping.web, ping.rtm), (None, true));
        let upload = api.action("upload_file").unwrap();
        assert_eq!((upload.web, upload.rtm), (Some(WebMethod::Multipart), false));
    }
    assert!(ran.len() > 150, "{}", ran.len());
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

#[tokio::test]
async fn documented_errors_and_limits() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let version = "3.6";
    let agent = server.agent();
    for transport in transports() {
        let customer = server.issue_customer();
        let mut c = Client::open(&server, version, &customer.token, transport).await;

        // One chat per customer (the official customer-sdk's CHAT_LIMIT_REACHED); the refusal
        // starts nothing.
        let (chat, thread, _) = start(&mut c, json!({"chat": {"thread": {"events": [message("Hello")]}}})).await;
        c.refused("start_chat", json!({}), 400, "chat_limit_reached").await;
        let listed = c.ok("list_chats", json!({})).await;
        assert_eq!(
            (listed["total_chats"].as_u64(), ids(&listed["chats_summary"])),
            (Some(1), vec![chat.clone()])
        );

        // Resuming an active chat: `chat_already_active` (the customer-sdk's CHAT_ALREADY_ACTIVE); no thread is added.
        c.refused("resume_chat", json!({"chat": {"id": chat}}), 400, "chat_already_active")
            .await;
        assert_eq!(c.ok("list_threads", json!({"chat_id": chat})).await["found_threads"], 1);

        // start_chat and send_event mark everything as seen for the requester.
        let got = c.ok("get_chat", json!({"chat_id": chat})).await;
        let first = got["thread"]["events"][0]["created_at"].clone();
        assert!(user(&got, &customer.id)["events_seen_up_to"].as_str() >= first.as_str(), "{got}");
        agent.join(&chat).unwrap();
        agent.send_message(&chat, "Hi, I'm Mock Agent").unwrap();
        let got = c.ok("get_chat", json!({"chat_id": chat})).await;
        let agents = got["thread"]["events"][1]["created_at"].clone();
        assert!(user(&got, &customer.id)["events_seen_up_to"].as_str() < agents.as_str(), "{got}");
        let own = text(&c.ok("send_event", json!({"chat_id": chat, "event": message("Thanks")})).await["event_id"]);
        let got = c.ok("get_chat", json!({"chat_id": chat})).await;
        let own_at = got["thread"]["events"][2]["created_at"].clone();
        assert_eq!(got["thread"]["events"][2]["id"], own.as_str());
        let seen = user(&got, &customer.id)["events_seen_up_to"].clone();
        assert!(seen.as_str() >= agents.as_str() && seen.as_str() >= own_at.as_str(), "{got}");

        // Schema validation names the failing path; nothing is sent.
        let before = c.ok("get_chat", json!({"chat_id": chat})).await;
        let m = c
            .refused(
                "send_event",
                json!({"chat_id": chat, "event": {"type": "message", "text": 5}}),
                400,
                "validation",
            )
            .await;
        // The schema names the union (`/event`); the types follow the tag to the field.
        assert!(m.contains("`/event`") && m.contains("at `event.text`"), "{m}");
        let m = c.refused("update_customer", json!({"name": 5}), 400, "validation").await;
        assert!(m.contains("/name"), "{m}");
        let m = c
            .refused("update_customer", json!({"session_fields": [{"plan": 5}]}), 400, "validation")
            .await;
        assert!(m.contains("/session_fields/0/plan"), "{m}");
        // An unknown chat is not found.
        c.refused("get_chat", json!({"chat_id": "NOSUCHCHAT"}), 404, "not_found").await;
        c.refused(
            "send_event",
            json!({"chat_id": "NOSUCHCHAT", "event": message("x")}),
            404,
            "not_found",
        )
        .await;
        assert_eq!(c.ok("get_chat", json!({"chat_id": chat})).await, before);

        // Properties: update, then delete, round trip for chat, thread and event.
        let event_id = own.clone();
        let targets = [
            ("chat", json!({"id": chat})),
            ("thread", json!({"chat_id": chat, "thread_id": thread})),
            ("event", json!({"chat_id": chat, "thread_id": thread, "event_id": event_id})),
        ];
        for (kind, ids_of) in &targets {
            let read = |got: &Value| match *kind {
                "chat" => got["properties"].clone(),
                "thread" => got["thread"]["properties"].clone(),
                _ => got["thread"]["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|e| e["id"] == event_id.as_str())
                    .map(|e| e.get("properties").cloned().unwrap_or_else(|| json!({})))
                    .unwrap(),
            };
            let mut update = ids_of.clone();
            update["properties"] = json!({"review": {"score": 5, "comment": "great"}});
            c.ok(&format!("update_{kind}_properties"), update).await;
            let got = c.ok("get_chat", json!({"chat_id": chat})).await;
            assert_eq!(read(&got), json!({"review": {"score": 5, "comment": "great"}}), "{kind}: {got}");
            let mut delete = ids_of.clone();
            delete["properties"] = json!({"review": ["score"]});
            c.ok(&format!("delete_{kind}_properties"), delete.clone()).await;
            let got = c.ok("get_chat", json!({"chat_id": chat})).await;
            assert_eq!(read(&got), json!({"review": {"comment": "great"}}), "{kind}: {got}");
            delete["properties"] = json!({"review": ["comment"]});
            c.ok(&format!("delete_{kind}_properties"), delete).await;
            let got = c.ok("get_chat", json!({"chat_id": chat})).await;
            assert_eq!(read(&got), json!({}), "{kind}: {got}");
        }

        // delete_event hides the event from get_chat and list_threads.
        c.ok("delete_event", json!({"chat_id": chat, "thread_id": thread, "event_id": own}))
            .await;
        let got = c.ok("get_chat", json!({"chat_id": chat})).await;
        assert!(!ids(&got["thread"]["events"]).contains(&own), "{got}");
        let threads = c.ok("list_threads", json!({"chat_id": chat})).await;
        assert!(!ids(&threads["threads"][0]["events"]).contains(&own), "{threads}");

        // deactivate_chat closes the thread with a system message.
        c.ok("deactivate_chat", json!({"id": chat})).await;
        let got = c.ok("get_chat", json!({"chat_id": chat})).await;
        let last = got["thread"]["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (&got["thread"]["active"], &last["type"]),
            (&json!(false), &json!("system_message")),
            "{got}"
        );
        assert!(last["system_message_type"].is_string(), "{last}");

        // send_event to an inactive chat: chat_inactive without attach_to_last_thread (nothing
        // changes); with it, the event joins the last thread.
        c.refused(
            "send_event",
            json!({"chat_id": chat, "event": message("Still there?")}),
            400,
            "chat_inactive",
        )
        .await;
        assert_eq!(c.ok("get_chat", json!({"chat_id": chat})).await, got);
        let attached = c
            .ok(
                "send_event",
                json!({"chat_id": chat, "attach_to_last_thread": true, "event": message("Still there?")}),
            )
            .await;
        let after = c.ok("get_chat", json!({"chat_id": chat})).await;
        let last = after["thread"]["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (text(&after["thread"]["id"]), &last["id"], &after["thread"]["active"]),
            (thread.clone(), &attached["event_id"], &json!(false)),
            "{after}"
        );
        assert_eq!(c.ok("list_threads", json!({"chat_id": chat})).await["found_threads"], 1);

        // Limits of list_chats and list_threads; page_id cannot be combined with limit.
        let before = c.ok("list_chats", json!({})).await;
        c.refused("list_chats", json!({"limit": 26}), 400, "validation").await;
        c.ok("list_chats", json!({"limit": 25})).await;
        c.refused("list_threads", json!({"chat_id": chat, "limit": 101}), 400, "validation")
            .await;
        c.ok("list_threads", json!({"chat_id": chat, "limit": 100})).await;
        assert_eq!(c.ok("list_chats", json!({})).await, before);

        // update_customer needs at least one field.
        let me = c.ok("get_customer", json!({})).await;
        c.refused("update_customer", json!({}), 400, "validation").await;

        // Session fields: merged in order, at most 100 keys; a refusal keeps the old ones.
        c.ok("set_customer_session_fields", json!({"session_fields": [{"a": "1"}, {"b": "2"}]}))
            .await;
        c.ok("set_customer_session_fields", json!({"session_fields": [{"c": "3"}, {"a": "9"}]}))
            .await;
        c.ok("update_customer", json!({"session_fields": [{"d": "4"}, {"b": "8"}]})).await;
        let fields = json!([{"a": "9"}, {"b": "8"}, {"c": "3"}, {"d": "4"}]);
        let me2 = c.ok("get_customer", json!({})).await;
        assert_eq!(me2["session_fields"], fields, "{me2}");
        assert_eq!(me2["id"], me["id"]);
        let many: Vec<Value> = (0..97).map(|i| json!({ format!("k{i}"): "v" })).collect();
        c.refused("set_customer_session_fields", json!({"session_fields": many}), 400, "limit_reached")
            .await;
        let more: Vec<Value> = (0..97).map(|i| json!({ format!("m{i}"): "v" })).collect();
        c.refused(
            "update_customer",
            json!({"name": "Kept?", "session_fields": more}),
            400,
            "limit_reached",
        )
        .await;
        assert_eq!(c.ok("get_customer", json!({})).await, me2);
        // 100 keys are fine, the 101st is over the limit.
        let fresh = server.issue_customer();
        let mut f = Client::open(&server, version, &fresh.token, transport).await;
        let hundred: Vec<Value> = (0..100).map(|i| json!({ format!("k{i}"): "v" })).collect();
        f.ok("set_customer_session_fields", json!({"session_fields": hundred})).await;
        f.ok("set_customer_session_fields", json!({"session_fields": [{"k0": "changed"}]}))
            .await;
        f.refused(
            "set_customer_session_fields",
            json!({"session_fields": [{"k100": "v"}]}),
            400,
            "limit_reached",
        )
        .await;
        let kept = f.ok("get_customer", json!({})).await["session_fields"].clone();
        assert_eq!((kept.as_array().unwrap().len(), &kept[0]), (100, &json!({"k0": "changed"})));
        // 101 keys in one request break the request schema (`maxItems: 100`), so they are a
        // `validation` error; merging past 100 is the `limit_reached` above. Nothing changes.
        let g = server.issue_customer();
        let mut g = Client::open(&server, version, &g.token, transport).await;
        let many: Vec<Value> = (0..101).map(|i| json!({ format!("n{i}"): "v" })).collect();
        let e = g.error("set_customer_session_fields", json!({"session_fields": many})).await;
        assert_eq!(e["type"], "validation", "{e}");
        assert!(g.ok("get_customer", json!({})).await.get("session_fields").is_none());

        // list_threads min_events_count: threads of 2, 2 and 2 events, at least 3 -> the two newest.
        let customer = server.issue_customer();
        let mut c = Client::open(&server, version, &customer.token, transport).await;
        let (chat, t1, _) = start(&mut c, json!({"chat": {"thread": {"events": [message("one")]}}})).await;
        c.ok("deactivate_chat", json!({"id": chat})).await;
        let mut threads = vec![t1];
        for words in ["two", "three"] {
            let r = c
                .ok("resume_chat", json!({"chat": {"id": chat, "thread": {"events": [message(words)]}}}))
                .await;
            threads.push(text(&r["thread_id"]));
            c.ok("deactivate_chat", json!({"id": chat})).await;
        }
        let all = c.ok("list_threads", json!({"chat_id": chat, "limit": 100})).await;
        let counts: Vec<usize> = all["threads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["events"].as_array().unwrap().len())
            .collect();
        assert_eq!(counts, [2, 2, 2], "{all}");
        let got = c.ok("list_threads", json!({"chat_id": chat, "min_events_count": 3})).await;
        assert_eq!(ids(&got["threads"]), [threads[2].clone(), threads[1].clone()], "{got}");
        // ... and pages on to the older threads holding as many events (the official
        // customer-sdk's getChatHistory follows next_page_id until there is none).
        assert!(got.get("previous_page_id").is_none(), "{got}");
        let older = c.ok("list_threads", json!({"chat_id": chat, "page_id": got["next_page_id"]})).await;
        assert_eq!(ids(&older["threads"]), [threads[0].clone()], "{older}");
        assert!(older.get("next_page_id").is_none(), "{older}");
        let back = c
            .ok("list_threads", json!({"chat_id": chat, "page_id": older["previous_page_id"]}))
            .await;
        assert_eq!(ids(&back["threads"]), [threads[2].clone(), threads[1].clone()], "{back}");
        let got = c.ok("list_threads", json!({"chat_id": chat, "min_events_count": 2})).await;
        assert_eq!(ids(&got["threads"]), [threads[2].clone()], "{got}");
        let mut walked = ids(&got["threads"]);
        let mut next = got["next_page_id"].clone();
        while next.is_string() {
            let page = c.ok("list_threads", json!({"chat_id": chat, "page_id": next})).await;
            walked.extend(ids(&page["threads"]));
            next = page["next_page_id"].clone();
        }
        assert_eq!(walked, [threads[2].clone(), threads[1].clone(), threads[0].clone()]);
        // Oldest first within a page, the walk still from the newest threads back.
        let asc = c
            .ok("list_threads", json!({"chat_id": chat, "min_events_count": 3, "sort_order": "asc"}))
            .await;
        assert_eq!(ids(&asc["threads"]), [threads[1].clone(), threads[2].clone()], "{asc}");
        let rest = c.ok("list_threads", json!({"chat_id": chat, "page_id": asc["next_page_id"]})).await;
        assert_eq!(ids(&rest["threads"]), [threads[0].clone()], "{rest}");
        for bad in [
            json!({"page_id": got["next_page_id"], "min_events_count": 2}),
            json!({"page_id": "ME1_0_d"}),
            json!({"page_id": "ME1_2_x"}),
            // Forged IDs (found by a review): no overflow, no page past the end, no limit
            // over the maximum, no page that leads to itself, digits only.
            json!({"page_id": "ME999_3_d"}),
            json!({"page_id": "ME+1_3_d"}),
            json!({"page_id": "ME1_3_d_d"}),
            json!({"page_id": "MP18446744073709551615_1_d"}),
            json!({"page_id": "MP0_0_d"}),
            json!({"page_id": "MP0_1000_d"}),
            json!({"page_id": "MP+0_1_d"}),
        ] {
            let mut request = bad.clone();
            request["chat_id"] = json!(chat);
            c.refused("list_threads", request, 400, "validation").await;
        }
        for bad in ["MP18446744073709551615_1_d", "MP0_26_d", "MP0_0_a", "ME0_3_d"] {
            c.refused("list_chats", json!({ "page_id": bad }), 400, "validation").await;
        }
        c.refused(
            "list_threads",
            json!({"chat_id": chat, "min_events_count": 3, "limit": 2}),
            400,
            "validation",
        )
        .await;

        // Page IDs walk through five chats two at a time, newest first, and back.
        let mut chats = vec![chat];
        for _ in 0..4 {
            let (id, _) = agent.start_chat(&customer.id).unwrap();
            agent.deactivate_chat(&id).unwrap();
            chats.insert(0, id);
        }
        let p1 = c.ok("list_chats", json!({"limit": 2})).await;
        assert_eq!(ids(&p1["chats_summary"]), chats[0..2], "{p1}");
        assert!(p1.get("previous_page_id").is_none(), "{p1}");
        assert_eq!(p1["total_chats"], 5);
        let p2 = c.ok("list_chats", json!({"page_id": p1["next_page_id"]})).await;
        assert_eq!(ids(&p2["chats_summary"]), chats[2..4], "{p2}");
        let p3 = c.ok("list_chats", json!({"page_id": p2["next_page_id"]})).await;
        assert_eq!(ids(&p3["chats_summary"]), chats[4..5], "{p3}");
        assert!(p3.get("next_page_id").is_none(), "{p3}");
        let back = c.ok("list_chats", json!({"page_id": p3["previous_page_id"]})).await;
        assert_eq!(ids(&back["chats_summary"]), chats[2..4], "{back}");
        let back = c.ok("list_chats", json!({"page_id": p2["previous_page_id"]})).await;
        assert_eq!(ids(&back["chats_summary"]), chats[0..2], "{back}");
        c.refused("list_chats", json!({"page_id": p1["next_page_id"], "limit": 2}), 400, "validation")
            .await;
        c.refused(
            "list_threads",
            json!({"chat_id": chats[4], "page_id": "whatever", "limit": 2}),
            400,
            "validation",
        )
        .await;
        // One active chat at a time: with the agent's chat active, resuming another is refused.
        let (agents, _) = agent.start_chat(&customer.id).unwrap();
        assert_eq!(
            agent.start_chat(&customer.id).unwrap_err().kind(),
            &lc_types::ErrorType::ChatLimitReached
        );
        c.refused("resume_chat", json!({"chat": {"id": chats[1]}}), 400, "chat_limit_reached")
            .await;
        agent.deactivate_chat(&agents).unwrap();
        chats.insert(0, agents);
        // After a refused start_chat (the customer has chats), the list is as it was.
        let (active, _) = agent.start_chat(&customer.id).unwrap();
        let before = c.ok("list_chats", json!({"limit": 25})).await;
        assert_eq!(before["total_chats"], 7);
        c.refused("start_chat", json!({}), 400, "chat_limit_reached").await;
        assert_eq!(c.ok("list_chats", json!({"limit": 25})).await, before);
        c.ok("deactivate_chat", json!({"id": active})).await;
    }

    // upload_file over 10 MB: entity_too_large, HTTP 413 (Web only); 10 MB exactly is fine.
    let customer = server.issue_customer();
    let ten = vec![b'x'; 10 * 1024 * 1024];
    let (status, body) = upload(&server, version, &customer.token, "ten.bin", &ten).await;
    assert_eq!(status, 200, "{body}");
    let over = vec![b'x'; 10 * 1024 * 1024 + 1];
    let (status, body) = upload(&server, version, &customer.token, "big.bin", &over).await;
    assert_eq!((status, body["error"]["type"].as_str()), (413, Some("entity_too_large")), "{body}");
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

#[tokio::test]
async fn injected_faults_apply_to_uploads() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let customer = server.issue_customer();
    server.faults().fail_next(1, "service_unavailable");
    let (status, body) = upload(&server, "3.6", &customer.token, "a.txt", b"hi").await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (503, Some("service_unavailable")),
        "{body}"
    );
    // The fault was used up by the upload: the next call is not hit by it.
    let (status, body) = upload(&server, "3.6", &customer.token, "a.txt", b"hi").await;
    assert_eq!(status, 200, "{body}");
    server.shutdown().await;
}

/// Where an action's push case starts from (set up over the Web API before the RTM connections
/// log in, so their setup pushes reach nobody).
struct Setup {
    chat: String,
    thread: String,
    event: String,
    event_at: Value,
    rich: String,
    greeting: String,
}

/// One push case: `action` in `version`, over RTM (`a` asks) or over the Web API; `a` and `b`
/// are two RTM connections of the same customer and both must get every push.
async fn push_case(server: &MockServer, version: &str, action: &str, over_rtm: bool) {
    let customer = server.issue_customer();
    let agent = server.agent();
    let mut web = Client::Web(Web {
        server,
        token: customer.token.clone(),
        version,
    });
    let props = json!({"shop": {"a": 1, "b": 2}});
    let mut setup = Setup {
        chat: String::new(),
        thread: String::new(),
        event: String::new(),
        event_at: Value::Null,
        rich: String::new(),
        greeting: String::new(),
    };
    if action != "start_chat" {
        let event = json!({"type": "message", "text": "Hello", "properties": props});
        let (chat, thread, r) = start(
            &mut web,
            json!({"chat": {"properties": props, "thread": {"properties": props, "events": [event]}}}),
        )
        .await;
        setup.event = text(&r["event_ids"][0]);
        setup.rich = agent.send_rich_message(&chat, "quick_replies", quick_replies()).unwrap();
        let got = web.ok("get_chat", json!({"chat_id": chat})).await;
        setup.event_at = got["thread"]["events"][1]["created_at"].clone();
        if action == "resume_chat" {
            web.ok("deactivate_chat", json!({"id": chat})).await;
        }
        (setup.chat, setup.thread) = (chat, thread);
        setup.greeting = agent.greet(&customer.id, "Hi there!").unwrap();
    }
    let (mut a, login) = Rtm::login(server, version, &customer.token).await;
    let (mut b, _) = Rtm::login(server, version, &customer.token).await;
    let (chat, thread, event) = (setup.chat.as_str(), setup.thread.as_str(), setup.event.as_str());
    let me = customer.id.as_str();
    type Expect = Box<dyn Fn(&Value) -> Vec<(&'static str, Value)>>;
    let (payload, expect): (Value, Expect) = match action {
        "start_chat" => (
            json!({"chat": {"thread": {"events": [message("Hello")]}}}),
            Box::new({
                let me = me.to_owned();
                move |r| {
                    vec![(
                        "incoming_chat",
                        json!({"requester_id": me, "chat": {"id": r["chat_id"], "thread": {"id": r["thread_id"], "active": true}}}),
                    )]
                }
            }),
        ),
        "resume_chat" => (
            json!({"chat": {"id": chat}}),
            Box::new({
                let (me, chat) = (me.to_owned(), chat.to_owned());
                move |r| {
                    vec![(
                        "incoming_chat",
                        json!({"requester_id": me, "chat": {"id": chat, "thread": {"id": r["thread_id"]}}}),
                    )]
                }
            }),
        ),
        "send_event" => (
            json!({"chat_id": chat, "event": message("Ping")}),
            Box::new({
                let (chat, thread, me) = (chat.to_owned(), thread.to_owned(), me.to_owned());
                move |r| {
                    vec![(
                        "incoming_event",
                        json!({"chat_id": chat, "thread_id": thread, "event": {"id": r["event_id"], "text": "Ping", "author_id": me}}),
                    )]
                }
            }),
        ),
        "deactivate_chat" => {
            let pushes = vec![
                (
                    "incoming_event",
                    json!({"chat_id": chat, "thread_id": thread, "event": {"type": "system_message"}}),
                ),
                ("chat_deactivated", json!({"chat_id": chat, "thread_id": thread, "user_id": me})),
            ];
            (json!({"id": chat}), Box::new(move |_: &Value| pushes.clone()))
        }
        "delete_event" => {
            let ids = json!({"chat_id": chat, "thread_id": thread, "event_id": event});
            (ids.clone(), Box::new(move |_: &Value| vec![("event_deleted", ids.clone())]))
        }
        "update_chat_properties"
        | "delete_chat_properties"
        | "update_thread_properties"
        | "delete_thread_properties"
        | "update_event_properties"
        | "delete_event_properties" => {
            let update = action.starts_with("update");
            let properties = if update {
                json!({"shop": {"c": 3}})
            } else {
                json!({"shop": ["a"]})
            };
            let (mut payload, mut push) = match action.split('_').nth(1).unwrap() {
                "chat" => (json!({"id": chat}), json!({"chat_id": chat})),
                "thread" => (
                    json!({"chat_id": chat, "thread_id": thread}),
                    json!({"chat_id": chat, "thread_id": thread}),
                ),
                _ => {
                    let ids = json!({"chat_id": chat, "thread_id": thread, "event_id": event});
                    (ids.clone(), ids)
                }
            };
            payload["properties"] = properties.clone();
            push["properties"] = properties;
            let name: &'static str = match action {
                "update_chat_properties" => "chat_properties_updated",
                "delete_chat_properties" => "chat_properties_deleted",
                "update_thread_properties" => "thread_properties_updated",
                "delete_thread_properties" => "thread_properties_deleted",
                "update_event_properties" => "event_properties_updated",
                _ => "event_properties_deleted",
            };
            (payload, Box::new(move |_: &Value| vec![(name, push.clone())]))
        }
        "update_customer" => {
            let push = json!({"id": me, "name": "Pushy", "email": "pushy@shop.example"});
            (
                json!({"name": "Pushy", "email": "pushy@shop.example"}),
                Box::new(move |_: &Value| vec![("customer_updated", push.clone())]),
            )
        }
        "mark_events_as_seen" => {
            let push = json!({"user_id": me, "chat_id": chat, "seen_up_to": setup.event_at});
            (
                json!({"chat_id": chat, "seen_up_to": setup.event_at}),
                Box::new(move |_: &Value| vec![("events_marked_as_seen", push.clone())]),
            )
        }
        "send_rich_message_postback" => {
            let postback = json!({"id": "no", "toggled": true});
            let ids = json!({"chat_id": chat, "thread_id": thread, "event_id": setup.rich});
            let mut payload = ids.clone();
            payload["postback"] = postback.clone();
            let mut push = ids;
            push["user_id"] = json!(me);
            push["postback"] = postback;
            (
                payload,
                Box::new(move |_: &Value| vec![("incoming_rich_message_postback", push.clone())]),
            )
        }
        "accept_greeting" | "cancel_greeting" => {
            assert_eq!(login["greeting"]["unique_id"], setup.greeting.as_str(), "{login}");
            let push = json!({"unique_id": setup.greeting});
            if action == "accept_greeting" {
                (
                    json!({"greeting_id": login["greeting"]["id"], "unique_id": setup.greeting}),
                    Box::new(move |_: &Value| vec![("greeting_accepted", push.clone())]),
                )
            } else {
                (
                    json!({"unique_id": setup.greeting}),
                    Box::new(move |_: &Value| vec![("greeting_canceled", push.clone())]),
                )
            }
        }
        "request_welcome_message" => (
            json!({}),
            Box::new(|r: &Value| vec![("incoming_welcome_message", json!({"id": r["id"], "event": {"type": "message"}}))]),
        ),
        other => panic!("no push case for {other}"),
    };
    let (response, request_id) = if over_rtm {
        let id = a.send(action, payload).await;
        let r = a.response(&id).await;
        assert_eq!(r["success"], true, "{action} over RTM: {r}");
        (r["payload"].clone(), Some(id))
    } else {
        (web.ok(action, payload).await, None)
    };
    for (name, want) in expect(&response) {
        let pa = a.push(name).await;
        let pb = b.push(name).await;
        let how = if over_rtm { "RTM" } else { "Web" };
        assert!(
            contains(&pa["payload"], &want),
            "{action} v{version} over {how}: {name} {pa} lacks {want}"
        );
        assert_eq!(pa["payload"], pb["payload"], "{action} v{version} over {how}: {name}");
        assert_eq!((pa["version"].as_str(), pb["version"].as_str()), (Some(version), Some(version)));
        // Only the push answering the request carries its ID (the official customer-sdk
        // settles start_chat/resume_chat/send_event with it and throws on any other
        // incoming_chat/incoming_event that carries one).
        let answers = request_id.as_ref().filter(|_| answering_push(action) == name);
        assert_eq!(pa.get("request_id"), answers.map(|id| json!(id)).as_ref(), "{action}: {name}: {pa}");
        assert_eq!(pb.get("request_id"), None, "{name}: {pb}");
    }
}

/// The push that answers `action` on the requester's connection.
fn answering_push(action: &str) -> &'static str {
    match action {
        "start_chat" | "resume_chat" => "incoming_chat",
        "send_event" => "incoming_event",
        "deactivate_chat" => "chat_deactivated",
        "delete_event" => "event_deleted",
        "mark_events_as_seen" => "events_marked_as_seen",
        "update_customer" => "customer_updated",
        "send_rich_message_postback" => "incoming_rich_message_postback",
        "accept_greeting" => "greeting_accepted",
        "cancel_greeting" => "greeting_canceled",
        "request_welcome_message" => "incoming_welcome_message",
        "update_chat_properties" => "chat_properties_updated",
        "delete_chat_properties" => "chat_properties_deleted",
        "update_thread_properties" => "thread_properties_updated",
        "delete_thread_properties" => "thread_properties_deleted",
        "update_event_properties" => "event_properties_updated",
        "delete_event_properties" => "event_properties_deleted",
        other => panic!("no answering push for {other}"),
    }
}

#[tokio::test]
async fn every_action_sends_its_pushes() {
    let server = MockServer::start(Config::default()).await.unwrap();
    // Reference §2.1 and §3.1: the customer actions that send a push.
    let actions = [
        "start_chat",
        "resume_chat",
        "send_event",
        "deactivate_chat",
        "delete_event",
        "update_chat_properties",
        "delete_chat_properties",
        "update_thread_properties",
        "delete_thread_properties",
        "update_event_properties",
        "delete_event_properties",
        "update_customer",
        "mark_events_as_seen",
        "send_rich_message_postback",
        "accept_greeting",
        "cancel_greeting",
        "request_welcome_message",
    ];
    let mut cases = 0;
    for api in lc_types::apis().iter().filter(|a| a.api == lc_types::ChatApi::Customer) {
        let version = api.version.to_string();
        for action in actions {
            let Some(info) = api.action(action) else {
                // delete_event and request_welcome_message are 3.6+.
                assert!(
                    version == "3.5" && ["delete_event", "request_welcome_message"].contains(&action),
                    "{action} v{version}"
                );
                continue;
            };
            assert!(info.web.is_some() && info.rtm, "{action} v{version}");
            for over_rtm in [false, true] {
                push_case(&server, &version, action, over_rtm).await;
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 2 * (17 * 3 - 2));
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

/// `get_predicted_agent` takes the `group_id` the official customer-sdk's
/// `getPredictedAgent({ groupId })` sends (3.5 and 3.6; the action is gone in 3.7).
#[tokio::test]
async fn get_predicted_agent_takes_a_group() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let agent = server.agent();
    for version in ["3.5", "3.6"] {
        for transport in transports() {
            let customer = server.issue_customer();
            let mut c = Client::open(&server, version, &customer.token, transport).await;
            agent.set_group_status(4, "offline").unwrap();
            c.refused("get_predicted_agent", json!({"group_id": 4}), 400, "group_offline").await;
            c.refused("get_predicted_agent", json!({"group_id": 99}), 404, "group_not_found")
                .await;
            agent.set_group_status(4, "online").unwrap();
            let got = c.ok("get_predicted_agent", json!({"group_id": 4})).await;
            assert_eq!(text(&got["agent"]["id"]), agent.id(), "{got}");
        }
    }
    assert_eq!(server.problems(), Vec::<String>::new());
}
