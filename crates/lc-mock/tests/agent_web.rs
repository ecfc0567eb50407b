//! The Agent Chat API over the Web (issue 23): every Web action of every version's agent
//! manifest, both authorization forms, the refusals, and one state shared with the customer
//! side (an agent's message reaches the customer, a customer's message reaches agents, an
//! event for agents only does not reach the customer). Every response the mock sends is
//! checked against the agent response schema by the mock itself (`problems()` stays empty).
//!
//! Requests are built with `lc_types::web::HttpRequest` and sent with the plain HTTP client of
//! `common`; the payloads are written here from the facts of the agent reference (§2).

mod common;

use std::collections::BTreeSet;

use common::{http, http_raw, Rtm, Web};
use lc_mock::{AgentCredentials, Config, MockServer, NewAgent};
use lc_types::web::{Body, FilePart, HttpRequest};
use lc_types::{ApiVersion, ChatApi, WebMethod};
use serde_json::{json, Value};

/// An agent calling the Agent Chat API of one version with one `Authorization` value.
struct AgentWeb<'a> {
    server: &'a MockServer,
    auth: String,
    version: ApiVersion,
}

impl<'a> AgentWeb<'a> {
    /// With the bearer token of `agent`.
    fn bearer(server: &'a MockServer, agent: &AgentCredentials, version: ApiVersion) -> Self {
        AgentWeb {
            server,
            auth: format!("Bearer {}", agent.token),
            version,
        }
    }

    /// With the personal access token of `agent` (Basic).
    fn basic(server: &'a MockServer, agent: &AgentCredentials, version: ApiVersion) -> Self {
        AgentWeb {
            server,
            auth: agent.basic_auth(),
            version,
        }
    }

    /// POSTs `payload` as `lc_types`' Web codec encodes an agent request; (status, body).
    async fn call(&self, action: &str, payload: Value) -> (u16, Value) {
        let org = self.server.organization_id();
        let request = HttpRequest::from_parts(ChatApi::Agent, self.version, action, WebMethod::Post, &payload, org, None).unwrap();
        assert!(!request.path_and_query().contains('?'), "no query on agent actions");
        let mut headers = vec![("Authorization", self.auth.as_str())];
        headers.extend(request.headers.iter().map(|(k, v)| (*k, v.as_str())));
        let Body::Json(body) = &request.body else { panic!("a JSON body") };
        let body = String::from_utf8(body.clone()).unwrap();
        http(self.server, "POST", &request.path_and_query(), &headers, &body).await
    }

    /// Calls and asserts HTTP 200; the body.
    async fn ok(&self, action: &str, payload: Value) -> Value {
        let (status, body) = self.call(action, payload).await;
        assert_eq!(status, 200, "{action} v{}: {body}", self.version);
        body
    }

    /// Calls and asserts the status and error type.
    async fn refused(&self, action: &str, payload: Value, status: u16, kind: &str) {
        let (got, body) = self.call(action, payload).await;
        assert_eq!(
            (got, body["error"]["type"].as_str()),
            (status, Some(kind)),
            "{action} v{}: {body}",
            self.version
        );
    }

    /// `upload_file` as `lc_types` encodes it (multipart, one part `file`); the body.
    async fn upload(&self, name: &str, bytes: &[u8]) -> (u16, Value) {
        let part = FilePart::new(name, "text/plain", bytes.len() as u64);
        let request = HttpRequest::upload_file(ChatApi::Agent, self.version, self.server.organization_id(), None, part.clone());
        let boundary = "agent-upload-boundary";
        let content_type = FilePart::content_type_header(boundary);
        let headers = [("Authorization", self.auth.as_str()), ("Content-Type", content_type.as_str())];
        let (status, body) = http_raw(
            self.server,
            "POST",
            &request.path_and_query(),
            &headers,
            &part.multipart_body(boundary, bytes),
        )
        .await;
        (status, serde_json::from_slice(&body).unwrap())
    }
}

/// Every version the mock serves the agent API in.
fn versions() -> Vec<ApiVersion> {
    lc_types::apis()
        .iter()
        .filter(|a| a.api == ChatApi::Agent)
        .map(|a| a.version)
        .collect()
}

/// The actions of the agent manifest of `version` with a Web method.
fn web_actions(version: ApiVersion) -> BTreeSet<String> {
    let api = lc_types::api(ChatApi::Agent, version).unwrap();
    api.actions.iter().filter(|a| a.web.is_some()).map(|a| a.name.to_owned()).collect()
}

/// A customer with an active chat it started over the Web, and a message in it; (chat, thread).
async fn customer_chat(server: &MockServer, token: &str, version: &str) -> (String, String) {
    let web = Web {
        server,
        token: token.to_owned(),
        version,
    };
    let started = web.ok("start_chat", json!({})).await;
    let (chat, thread) = (started["chat_id"].as_str().unwrap(), started["thread_id"].as_str().unwrap());
    web.ok(
        "send_event",
        json!({"chat_id": chat, "event": {"type": "message", "text": "Hello from the customer"}}),
    )
    .await;
    (chat.to_owned(), thread.to_owned())
}

/// Every Web action of every version's agent manifest answers 200 with a valid payload; the
/// set that ran is the manifest's.
#[tokio::test]
async fn every_agent_web_action_of_every_version_runs() {
    for version in versions() {
        let server = MockServer::start(Config::default()).await.unwrap();
        let v = version.to_string();
        let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann")).unwrap();
        let bob = server.issue_agent(NewAgent::new("bob@example.com", "Bob")).unwrap();
        let customer = server.issue_customer();
        let other = server.issue_customer();
        let (chat, thread) = customer_chat(&server, &customer.token, &v).await;
        let api = AgentWeb::bearer(&server, &ann, version);
        let has = |name: &str| web_actions(version).contains(name);
        let mut ran = BTreeSet::new();
        // Calls an action, asserts 200 and counts it as run.
        macro_rules! ok {
            ($action:expr, $payload:expr) => {{
                ran.insert($action.to_owned());
                api.ok($action, $payload).await
            }};
        }

        let listed = ok!("list_chats", json!({}));
        let key = if version >= ApiVersion::V3_7 {
            "chats_info"
        } else {
            "chats_summary"
        };
        assert_eq!(listed[key][0]["id"], chat, "{listed}");
        assert_eq!(listed["found_chats"], 1);
        ok!("list_threads", json!({ "chat_id": chat }));
        ok!("get_chat", json!({ "chat_id": chat, "thread_id": thread }));
        let archives = ok!("list_archives", json!({"filters": {"query": "hello"}}));
        assert_eq!(archives["found_chats"], 1, "{archives}");
        ok!("follow_chat", json!({ "id": chat }));
        assert_eq!(api.ok("get_chat", json!({ "chat_id": chat })).await["is_followed"], true);
        ok!("unfollow_chat", json!({ "id": chat }));
        let me =
            json!({"chat_id": chat, "user_id": ann.agent_id, "user_type": "agent", "visibility": "all", "ignore_requester_presence": true});
        ok!("add_user_to_chat", me);
        let sent = ok!(
            "send_event",
            json!({"chat_id": chat, "event": {"type": "message", "text": "Hi, Ann here"}})
        );
        let event = sent["event_id"].as_str().unwrap().to_owned();
        if has("send_event_preview") {
            ok!(
                "send_event_preview",
                json!({"chat_id": chat, "event": {"type": "message", "text": "typing..."}})
            );
        }
        let (status, uploaded) = api.upload("notes.txt", b"some notes").await;
        assert_eq!(status, 200, "{uploaded}");
        ran.insert("upload_file".to_owned());
        let url = uploaded["url"].as_str().unwrap();
        api.ok("send_event", json!({"chat_id": chat, "event": {"type": "file", "url": url}}))
            .await;
        let button = json!({"text": "Yes", "type": "message", "value": "yes", "postback_id": "yes", "user_ids": []});
        let rich = json!({"type": "rich_message", "template_id": "quick_replies", "elements": [{"title": "OK?", "buttons": [button]}]});
        let rich = api.ok("send_event", json!({"chat_id": chat, "event": rich})).await["event_id"].clone();
        let postback = json!({"chat_id": chat, "thread_id": thread, "event_id": rich, "postback": {"id": "yes", "toggled": true}});
        ok!("send_rich_message_postback", postback);
        ok!("update_chat_properties", json!({"id": chat, "properties": {"ns": {"score": 5}}}));
        ok!("delete_chat_properties", json!({"id": chat, "properties": {"ns": ["score"]}}));
        let at = json!({"chat_id": chat, "thread_id": thread});
        let with = |mut v: Value, k: &str, x: Value| {
            v[k] = x;
            v
        };
        ok!(
            "update_thread_properties",
            with(at.clone(), "properties", json!({"ns": {"k": "v"}}))
        );
        ok!("delete_thread_properties", with(at.clone(), "properties", json!({"ns": ["k"]})));
        let at_event = with(at.clone(), "event_id", json!(event));
        ok!(
            "update_event_properties",
            with(at_event.clone(), "properties", json!({"ns": {"k": true}}))
        );
        ok!("delete_event_properties", with(at_event, "properties", json!({"ns": ["k"]})));
        ok!("tag_thread", with(at.clone(), "tag", json!("billing")));
        let tagged = api.ok("get_chat", json!({ "chat_id": chat })).await;
        assert_eq!(tagged["thread"]["tags"], json!(["billing"]), "{tagged}");
        ok!("untag_thread", with(at.clone(), "tag", json!("billing")));
        let got = ok!("get_customer", json!({ "id": customer.id }));
        assert_eq!(got["chat_ids"], json!([chat]), "{got}");
        ok!("update_customer", json!({"id": customer.id, "name": "Ada"}));
        ok!("set_routing_status", json!({"status": "accepting_chats"}));
        let statuses = ok!("list_routing_statuses", json!({}));
        assert!(
            statuses.as_array().unwrap().iter().any(|s| s["agent_id"] == ann.agent_id),
            "{statuses}"
        );
        let now = lc_types::Timestamp::from_system_time(std::time::SystemTime::now());
        ok!("mark_events_as_seen", json!({"chat_id": chat, "seen_up_to": now.as_str()}));
        ok!("send_typing_indicator", json!({"chat_id": chat, "is_typing": true}));
        if has("send_thinking_indicator") {
            ok!("send_thinking_indicator", json!({"chat_id": chat, "title": "Thinking..."}));
        }
        ok!(
            "multicast",
            json!({"recipients": {"agents": {"all": true}}, "content": {"note": "hi all"}})
        );
        let transfer_to = ok!("list_agents_for_transfer", json!({ "chat_id": chat }));
        // Bob and the scripted agent, both accepting chats and without any: not Ann.
        let ids: Vec<&str> = transfer_to
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["agent_id"].as_str())
            .collect();
        assert_eq!(ids, ["agent@mock.invalid", "bob@example.com"], "{transfer_to}");
        if has("request_thread_summary") {
            ok!("request_thread_summary", at.clone());
            let summarized = api.ok("get_chat", json!({ "chat_id": chat })).await;
            assert_eq!(summarized["thread"]["summary"]["status"], "ok", "{summarized}");
        }
        let add_bob = json!({"chat_id": chat, "user_id": bob.agent_id, "user_type": "agent", "visibility": "agents"});
        api.ok("add_user_to_chat", add_bob).await;
        ok!(
            "remove_user_from_chat",
            json!({"chat_id": chat, "user_id": bob.agent_id, "user_type": "agent"})
        );
        ok!(
            "transfer_chat",
            json!({"id": chat, "target": {"type": "agent", "ids": [bob.agent_id]}})
        );
        ok!("deactivate_chat", json!({ "id": chat }));
        let resumed = ok!("resume_chat", json!({"chat": { "id": chat }}));
        assert!(resumed["thread_id"].is_string(), "{resumed}");
        api.ok("deactivate_chat", json!({ "id": chat })).await;
        let users = json!([{"id": customer.id, "type": "customer"}]);
        let first = json!({"events": [{"type": "message", "text": "We started this one"}]});
        let started = ok!("start_chat", json!({"chat": {"users": users, "thread": first}}));
        assert_eq!(started["event_ids"].as_array().map(Vec::len), Some(1), "{started}");
        ok!("ban_customer", json!({"id": other.id, "ban": {"days": 1}}));
        if has("list_customers") {
            let customers = ok!("list_customers", json!({"limit": 1}));
            assert!(customers["next_page_id"].is_string(), "{customers}");
            let page = customers["next_page_id"].clone();
            api.ok("list_customers", json!({ "page_id": page })).await;
        }
        if has("create_customer") {
            let created = ok!("create_customer", json!({"name": "Made by Ann"}));
            let id = created["customer_id"].clone();
            assert_eq!(api.ok("get_customer", json!({ "id": id })).await["name"], "Made by Ann");
        }
        if has("get_license_info") {
            ok!("get_license_info", json!({}));
        }

        assert_eq!(
            ran,
            web_actions(version),
            "v{version}: the actions that ran and the manifest's Web actions"
        );
        assert_eq!(server.problems(), Vec::<String>::new(), "v{version}");
        server.shutdown().await;
    }
}

/// `Authorization: Bearer <agent token>` and `Basic base64(<account_id>:<pat>)` both work;
/// wrong or absent credentials are `authentication` (401).
#[tokio::test]
async fn both_authorization_forms() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann")).unwrap();
    assert!(ann.token.starts_with("dal:"), "{}", ann.token);
    for version in versions() {
        AgentWeb::bearer(&server, &ann, version).ok("list_chats", json!({})).await;
        AgentWeb::basic(&server, &ann, version).ok("list_chats", json!({})).await;
    }
    let v = ApiVersion::V3_6;
    let wrong_pat = AgentCredentials {
        pat: "not-it".into(),
        ..ann.clone()
    };
    AgentWeb::basic(&server, &wrong_pat, v)
        .refused("list_chats", json!({}), 401, "authentication")
        .await;
    let nobody = AgentWeb {
        server: &server,
        auth: "Basic !!!".into(),
        version: v,
    };
    nobody.refused("list_chats", json!({}), 401, "authentication").await;
    let unknown = AgentWeb {
        server: &server,
        auth: "Bearer dal:made-up".into(),
        version: v,
    };
    unknown.refused("list_chats", json!({}), 401, "authentication").await;
    // An expired token is refused; the PAT goes on working.
    server.expire_token(&ann.token);
    AgentWeb::bearer(&server, &ann, v)
        .refused("list_chats", json!({}), 401, "authentication")
        .await;
    AgentWeb::basic(&server, &ann, v).ok("list_chats", json!({})).await;
    // Re-issuing keeps the account and gives a working token.
    let again = server.issue_agent(NewAgent::new("ann@example.com", "Ann")).unwrap();
    assert_eq!(again.account_id, ann.account_id);
    AgentWeb::bearer(&server, &again, v).ok("list_chats", json!({})).await;
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

/// A customer's token on an agent action and an agent's token on a customer action are
/// `authorization` (403): valid tokens without the other API's scopes.
#[tokio::test]
async fn each_side_refuses_the_others_token() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann")).unwrap();
    let customer = server.issue_customer();
    for version in versions() {
        let as_customer = AgentWeb {
            server: &server,
            auth: format!("Bearer {}", customer.token),
            version,
        };
        as_customer.refused("list_chats", json!({}), 403, "authorization").await;
        let web = Web {
            server: &server,
            token: ann.token.clone(),
            version: &version.to_string(),
        };
        web.refused("get_customer", json!({}), 403, "authorization").await;
    }
    // Over RTM too: an agent's token does not log a customer in.
    let mut rtm = Rtm::connect(&server, "3.6").await;
    rtm.refused("login", json!({"token": format!("Bearer {}", ann.token)}), "authorization")
        .await;
    // The agent API has no `organization_id` and takes only POST.
    let v = ApiVersion::V3_6;
    let (status, _) = http(
        &server,
        "GET",
        "/v3.6/agent/action/list_chats",
        &[("Authorization", &format!("Bearer {}", ann.token))],
        "",
    )
    .await;
    assert_eq!(status, 405);
    AgentWeb::bearer(&server, &ann, v)
        .refused("login", json!({}), 404, "not_found")
        .await;
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

/// What an agent does through the API reaches the customer (RTM pushes, the customer's Web
/// reads); what the customer does is in what the agent reads; an event for agents only never
/// reaches the customer.
#[tokio::test]
async fn one_state_for_both_sides() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann")).unwrap();
    let customer = server.issue_customer();
    let (chat, _) = customer_chat(&server, &customer.token, "3.6").await;
    let (mut rtm, _) = Rtm::login(&server, "3.6", &customer.token).await;
    for version in versions() {
        let api = AgentWeb::bearer(&server, &ann, version);
        // The customer's message, as the agent reads it.
        let got = api.ok("get_chat", json!({ "chat_id": chat })).await;
        let texts: Vec<&str> = got["thread"]["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["text"].as_str())
            .collect();
        assert!(texts.contains(&"Hello from the customer"), "{got}");
        let listed = api.ok("list_chats", json!({})).await;
        let last = if version >= ApiVersion::V3_7 {
            &listed["chats_info"][0]["last_thread_info"]["last_event_per_type"]["message"]
        } else {
            &listed["chats_summary"][0]["last_event_per_type"]["message"]
        };
        assert!(last["event"]["text"].is_string(), "{listed}");
    }
    let api = AgentWeb::bearer(&server, &ann, ApiVersion::V3_6);
    let join =
        json!({"chat_id": chat, "user_id": ann.agent_id, "user_type": "agent", "visibility": "all", "ignore_requester_presence": true});
    api.ok("add_user_to_chat", join).await;
    let added = rtm.push("user_added_to_chat").await;
    assert_eq!(added["payload"]["user"]["id"], ann.agent_id);
    // An event for agents only: stored, not pushed to the customer, not in its reads.
    let hidden = json!({"type": "message", "text": "Note for agents", "visibility": "agents"});
    api.ok("send_event", json!({"chat_id": chat, "event": hidden})).await;
    api.ok(
        "send_event",
        json!({"chat_id": chat, "event": {"type": "message", "text": "Hi from Ann"}}),
    )
    .await;
    let pushed = rtm.push("incoming_event").await;
    assert_eq!(
        pushed["payload"]["event"]["text"], "Hi from Ann",
        "the agents-only event came first: {pushed}"
    );
    assert_eq!(pushed["payload"]["event"]["author_id"], ann.agent_id);
    let web = Web {
        server: &server,
        token: customer.token.clone(),
        version: "3.6",
    };
    let seen = web.ok("get_chat", json!({ "chat_id": chat })).await;
    let texts: Vec<&str> = seen["thread"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(texts.contains(&"Hi from Ann") && !texts.contains(&"Note for agents"), "{seen}");
    let agent_view = api.ok("get_chat", json!({ "chat_id": chat })).await;
    assert!(agent_view.to_string().contains("Note for agents"), "{agent_view}");
    // Typing for agents only is not pushed; for all it is.
    api.ok(
        "send_typing_indicator",
        json!({"chat_id": chat, "is_typing": true, "visibility": "agents"}),
    )
    .await;
    api.ok("send_typing_indicator", json!({"chat_id": chat, "is_typing": false})).await;
    let typing = rtm.push("incoming_typing_indicator").await;
    assert_eq!(typing["payload"]["typing_indicator"]["is_typing"], false, "{typing}");
    // The customer's message over RTM, read by the agent.
    rtm.ok(
        "send_event",
        json!({"chat_id": chat, "event": {"type": "message", "text": "Thanks!"}}),
    )
    .await;
    let threads = api.ok("list_threads", json!({ "chat_id": chat })).await;
    assert!(threads.to_string().contains("Thanks!"), "{threads}");
    // The agent deactivates: the customer is told, and its chat is inactive.
    api.ok("deactivate_chat", json!({ "id": chat })).await;
    let closed = rtm.push("chat_deactivated").await;
    assert_eq!(closed["payload"]["user_id"], ann.agent_id);
    let listed = web.ok("list_chats", json!({})).await;
    assert_eq!(listed["chats_summary"][0]["active"], false, "{listed}");
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

/// The control API's agent and the Agent API are one agent when the API is given its ID: a
/// chat the scripted agent joined is one the API agent is in.
#[tokio::test]
async fn the_scripted_agent_is_an_agent_of_the_api() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let scripted = server.agent().id();
    let creds = server
        .issue_agent(NewAgent::new(scripted.clone(), "Mock Agent").role("owner"))
        .unwrap();
    let customer = server.issue_customer();
    let (chat, _) = customer_chat(&server, &customer.token, "3.6").await;
    server.agent().join(&chat).unwrap();
    let api = AgentWeb::bearer(&server, &creds, ApiVersion::V3_6);
    // In the chat already: no `ignore_requester_presence` needed.
    api.ok(
        "send_event",
        json!({"chat_id": chat, "event": {"type": "message", "text": "Via the API"}}),
    )
    .await;
    let id = server.agent().send_message(&chat, "Via the control API").unwrap();
    let got = api.ok("get_chat", json!({ "chat_id": chat })).await;
    let events = got["thread"]["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["id"] == id.as_str() && e["author_id"] == scripted.as_str()),
        "{got}"
    );
    assert!(events.iter().any(|e| e["text"] == "Via the API"), "{got}");
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

/// An agent sees chats of group 0 and its groups (`missing_access` otherwise); acting needs
/// being in the chat; the documented error types.
#[tokio::test]
async fn access_and_the_documented_refusals() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann").groups([1])).unwrap();
    let customer = server.issue_customer();
    let (chat, thread) = customer_chat(&server, &customer.token, "3.6").await;
    let api = AgentWeb::bearer(&server, &ann, ApiVersion::V3_6);
    // Group 0: every agent sees it; Ann is not in it, so she cannot act without the flag.
    api.ok("get_chat", json!({ "chat_id": chat })).await;
    let message = json!({"type": "message", "text": "Hi"});
    api.refused("send_event", json!({"chat_id": chat, "event": message}), 403, "missing_access")
        .await;
    api.refused("deactivate_chat", json!({ "id": chat }), 403, "missing_access").await;
    // Transferred to group 2, the chat is out of Ann's sight.
    server.agent().set_group_status(2, "online").unwrap();
    server
        .agent()
        .transfer(
            &chat,
            &lc_mock::TransferTo {
                group_ids: vec![2],
                agent_ids: vec![],
            },
            None,
        )
        .unwrap();
    api.refused("get_chat", json!({ "chat_id": chat }), 403, "missing_access").await;
    api.refused("list_threads", json!({ "chat_id": chat }), 403, "missing_access").await;
    api.refused(
        "tag_thread",
        json!({"chat_id": chat, "thread_id": thread, "tag": "x"}),
        403,
        "missing_access",
    )
    .await;
    assert_eq!(api.ok("list_chats", json!({})).await["found_chats"], 0);
    // Group 1: back in sight.
    server.agent().set_group_status(1, "online").unwrap();
    server
        .agent()
        .transfer(
            &chat,
            &lc_mock::TransferTo {
                group_ids: vec![1],
                agent_ids: vec![],
            },
            None,
        )
        .unwrap();
    api.ok("get_chat", json!({ "chat_id": chat })).await;
    api.refused("get_chat", json!({"chat_id": "NOSUCHCHAT"}), 404, "not_found").await;
    api.refused("get_chat", json!({"chat_id": chat, "thread_id": "NOSUCH"}), 404, "not_found")
        .await;
    api.refused("get_customer", json!({"id": "nobody"}), 404, "not_found").await;
    api.refused("get_chat", json!({}), 400, "validation").await;
    api.refused(
        "send_event",
        json!({"chat_id": chat, "event": {"type": "message"}}),
        400,
        "validation",
    )
    .await;
    api.refused("update_customer", json!({ "id": customer.id }), 400, "validation")
        .await;
    let join =
        json!({"chat_id": chat, "user_id": ann.agent_id, "user_type": "agent", "visibility": "all", "ignore_requester_presence": true});
    api.ok("add_user_to_chat", join.clone()).await;
    api.ok("deactivate_chat", json!({ "id": chat })).await;
    api.refused("send_event", json!({"chat_id": chat, "event": message}), 400, "chat_inactive")
        .await;
    api.refused("add_user_to_chat", join, 400, "chat_inactive").await;
    api.refused("transfer_chat", json!({ "id": chat }), 400, "chat_inactive").await;
    api.refused("deactivate_chat", json!({ "id": chat }), 400, "chat_inactive").await;
    // A banned customer is refused on the customer API.
    api.ok("ban_customer", json!({"id": customer.id, "ban": {"days": 2}})).await;
    let web = Web {
        server: &server,
        token: customer.token.clone(),
        version: "3.6",
    };
    web.refused("list_chats", json!({}), 403, "customer_banned").await;
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

/// `list_chats`: pages of `limit`, cursors that keep the first page's filters, `page_id`
/// alone, `filters.active` (3.6+) and `include_active` (3.5).
#[tokio::test]
async fn list_chats_filters_and_pages() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann")).unwrap();
    let mut chats = Vec::new();
    for _ in 0..3 {
        let c = server.issue_customer();
        chats.push(customer_chat(&server, &c.token, "3.6").await.0);
    }
    server.agent().deactivate_chat(&chats[0]).unwrap();
    let api = AgentWeb::bearer(&server, &ann, ApiVersion::V3_6);
    let first = api.ok("list_chats", json!({"limit": 1, "sort_order": "asc"})).await;
    assert_eq!(
        (first["found_chats"].as_u64(), first["chats_summary"][0]["id"].as_str()),
        (Some(3), Some(chats[0].as_str()))
    );
    let next = first["next_page_id"].clone();
    let second = api.ok("list_chats", json!({ "page_id": next })).await;
    assert_eq!(second["chats_summary"][0]["id"], chats[1], "{second}");
    assert!(second["previous_page_id"].is_string());
    api.refused("list_chats", json!({"page_id": next, "limit": 2}), 400, "validation")
        .await;
    api.refused("list_chats", json!({"page_id": "made-up"}), 400, "validation").await;
    api.refused("list_chats", json!({"limit": 101}), 400, "validation").await;
    let active = api.ok("list_chats", json!({"filters": {"active": true}, "limit": 1})).await;
    assert_eq!(active["found_chats"], 2, "{active}");
    let page = api.ok("list_chats", json!({"page_id": active["next_page_id"]})).await;
    assert_eq!(
        (
            page["found_chats"].as_u64(),
            page["chats_summary"][0]["last_thread_summary"]["active"].as_bool()
        ),
        (Some(2), Some(true)),
        "{page}"
    );
    let inactive = api.ok("list_chats", json!({"filters": {"active": false}})).await;
    assert_eq!(inactive["chats_summary"][0]["id"], chats[0]);
    if versions().contains(&ApiVersion::V3_5) {
        let old = AgentWeb::bearer(&server, &ann, ApiVersion::V3_5);
        assert_eq!(
            old.ok("list_chats", json!({"filters": {"include_active": false}})).await["found_chats"],
            1
        );
    }
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

/// `POST /_lc/agents` issues agents over HTTP, bounded like the rest of the control API.
#[tokio::test]
async fn the_control_api_issues_agents() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let json_body = [("Content-Type", "application/json")];
    let (status, made) = http(
        &server,
        "POST",
        "/_lc/agents",
        &json_body,
        r#"{"id": "cy@example.com", "groups": [1, 2], "role": "normal"}"#,
    )
    .await;
    assert_eq!(status, 200, "{made}");
    assert_eq!(made["agent_id"], "cy@example.com");
    let creds = AgentCredentials {
        agent_id: made["agent_id"].as_str().unwrap().into(),
        account_id: made["account_id"].as_str().unwrap().into(),
        token: made["token"].as_str().unwrap().into(),
        pat: made["pat"].as_str().unwrap().into(),
    };
    AgentWeb::basic(&server, &creds, ApiVersion::V3_6)
        .ok("list_routing_statuses", json!({}))
        .await;
    let groups: Vec<u32> = (0..=lc_mock::MAX_AGENT_GROUPS as u32).collect(); // one over the bound
    let too_many = json!({"id": "dy@example.com", "groups": groups}).to_string();
    for bad in [
        "{}".to_owned(),
        r#"{"id": "not an e-mail"}"#.to_owned(),
        r#"{"id": "a@b", "role": "emperor"}"#.to_owned(),
        r#"{"id": "a@b", "groups": [-1]}"#.to_owned(),
        too_many,
    ] {
        let (status, body) = http(&server, "POST", "/_lc/agents", &json_body, &bad).await;
        assert_eq!((status, body["error"]["type"].as_str()), (400, Some("validation")), "{bad}: {body}");
    }
    let (_, info) = http(&server, "GET", "/_lc/info", &[], "").await;
    assert_eq!(info["agent_web_url"], format!("{}/v{{version}}/agent/action", server.base_url()));
    assert_eq!(server.agent_web_url("3.6"), format!("{}/v3.6/agent/action", server.base_url()));
    server.shutdown().await;
}
