//! The mock's Agent RTM API with bare frames (what `lc-rtm`'s agent tests do not reach): the
//! URL's `organization_id`, the login's credentials, the audience of chat pushes, the
//! answering push's `request_id`, away status, subscriptions and their bound, logout.

mod common;

use common::Rtm;
use lc_mock::{MockServer, NewAgent, TransferTo, MAX_CUSTOMER_SUBSCRIPTIONS};
use serde_json::{json, Value};

async fn server() -> MockServer {
    MockServer::start(lc_mock::Config::default()).await.unwrap()
}

/// An agent's connection of `version` at `url` (no `organization_id`), logged in with `token`
/// (a whole `login.token` value); the login response.
async fn agent_login(url: &str, token: &str) -> (Rtm, Value) {
    let mut rtm = Rtm::connect_url(url).await;
    let login = rtm.ok("login", json!({ "token": token })).await;
    let customers = rtm.push("incoming_customers").await;
    assert_eq!(customers["payload"]["customer_monitoring_level"], "my", "{customers}");
    (rtm, login)
}

#[tokio::test]
async fn login_takes_bearer_basic_or_bare_tokens_and_refuses_a_customers() {
    let server = server().await;
    let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann")).unwrap();
    let url = server.agent_rtm_url("3.6");
    for token in [format!("Bearer {}", ann.token), ann.basic_auth(), ann.token.clone()] {
        let (_rtm, login) = agent_login(&url, &token).await;
        assert_eq!(login["my_profile"]["id"], "ann@example.com", "{login}");
        assert_eq!(login["license"]["organization_id"], server.organization_id(), "{login}");
        assert!(login["chats_summary"].is_array(), "{login}");
    }
    let (_rtm, login) = agent_login(&server.agent_rtm_url("3.7"), &ann.basic_auth()).await;
    assert!(login["chats_info"].is_array() && login.get("chats_summary").is_none(), "{login}");

    let customer = server.issue_customer();
    let mut rtm = Rtm::connect_url(&url).await;
    rtm.refused("login", json!({"token": format!("Bearer {}", customer.token)}), "authorization")
        .await;
    rtm.refused("login", json!({"token": "Basic bm8tc3VjaDphY2NvdW50"}), "authentication")
        .await;
    rtm.refused("list_chats", json!({}), "authentication").await;
    // The agent's `get_customer` names the customer; a customer-only action is unknown here.
    let mut rtm = Rtm::connect_url(&url).await;
    rtm.ok("login", json!({ "token": ann.basic_auth() })).await;
    rtm.refused("get_customer", json!({}), "validation").await;
    rtm.refused("accept_greeting", json!({"greeting_id": 1, "unique_id": "u"}), "not_found")
        .await;
    assert_eq!(server.problems(), Vec::<String>::new());
}

#[tokio::test]
async fn organization_id_is_optional_for_agents_and_checked_when_given() {
    let server = server().await;
    let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann")).unwrap();
    let good = format!("{}?organization_id={}", server.agent_rtm_url("3.6"), server.organization_id());
    agent_login(&good, &ann.basic_auth()).await;
    let mut wrong = Rtm::connect_url(&format!("{}?organization_id=nope", server.agent_rtm_url("3.6"))).await;
    let push = wrong.next().await.unwrap();
    assert_eq!(
        (push["action"].as_str(), push["payload"]["reason"].as_str()),
        (Some("agent_disconnected"), Some("license_not_found")),
        "{push}"
    );
    assert!(wrong.next().await.is_none(), "closed");
}

/// A chat's pushes reach the agents who see it: everyone while its access is group 0; after a
/// transfer to group 1, an agent of group 2 gets the transfer (it saw the chat) and nothing
/// later. The push answering an agent's `send_event` carries its `request_id` there only.
#[tokio::test]
async fn chat_pushes_reach_the_agents_who_see_the_chat() {
    let server = server().await;
    let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann").groups([0, 1])).unwrap();
    let zed = server.issue_agent(NewAgent::new("zed@example.com", "Zed").groups([2])).unwrap();
    server.agent().set_group_status(1, "online").unwrap();
    let url = server.agent_rtm_url("3.6");
    let (mut a, _) = agent_login(&url, &ann.basic_auth()).await;
    let (mut z, _) = agent_login(&url, &zed.basic_auth()).await;
    let customer = server.issue_customer();
    let (mut c, _) = Rtm::login(&server, "3.6", &customer.token).await;
    let started = c.ok("start_chat", json!({})).await;
    let chat = started["chat_id"].as_str().unwrap().to_owned();
    for rtm in [&mut a, &mut z] {
        let offered = rtm.push("incoming_chat").await;
        assert_eq!(offered["payload"]["chat"]["id"], chat.as_str(), "{offered}");
        assert!(offered["payload"]["chat"]["users"].is_array(), "{offered}");
    }
    let join = json!({"chat_id": chat, "user_id": "ann@example.com", "user_type": "agent", "visibility": "all", "ignore_requester_presence": true});
    a.ok("add_user_to_chat", join).await;
    let id = a
        .send("send_event", json!({"chat_id": chat, "event": {"type": "message", "text": "Hi"}}))
        .await;
    let answer = a.response(&id).await;
    let own = a.push("incoming_event").await;
    assert_eq!(own["request_id"], id.as_str(), "{own}");
    assert_eq!(own["payload"]["event_id"], Value::Null, "{own}");
    assert_eq!(own["payload"]["event"]["id"], answer["payload"]["event_id"], "{own} {answer}");
    let other = z.push("incoming_event").await;
    assert_eq!(other.get("request_id"), None, "{other}");
    // A note for agents: both agents, not the customer.
    let note = json!({"chat_id": chat, "event": {"type": "message", "text": "note", "visibility": "agents"}});
    a.ok("send_event", note).await;
    assert_eq!(z.push("incoming_event").await["payload"]["event"]["text"], "note");

    let to = TransferTo {
        group_ids: vec![1],
        ..Default::default()
    };
    server.agent().transfer(&chat, &to, None).unwrap();
    for rtm in [&mut a, &mut z] {
        assert_eq!(rtm.push("chat_access_updated").await["payload"]["access"]["group_ids"], json!([1]));
        assert_eq!(
            rtm.push("chat_transferred").await["payload"]["transferred_to"]["group_ids"],
            json!([1])
        );
    }
    c.ok(
        "send_event",
        json!({"chat_id": chat, "event": {"type": "message", "text": "still there?"}}),
    )
    .await;
    let later = |f: &Value| f["action"] == "incoming_event" && f["payload"]["event"]["text"] == "still there?";
    a.wait(later).await;
    assert!(!z.backlog.iter().any(later), "{:?}", z.backlog);
    z.backlog.clear();
    z.silent_for(std::time::Duration::from_millis(300)).await;
    assert_eq!(server.problems(), Vec::<String>::new());
}

#[tokio::test]
async fn away_subscriptions_multicast_and_logout() {
    let server = server().await;
    let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann")).unwrap();
    let bob = server.issue_agent(NewAgent::new("bob@example.com", "Bob")).unwrap();
    let url = server.agent_rtm_url("3.6");
    let (mut a1, _) = agent_login(&url, &ann.basic_auth()).await;
    let (mut a2, _) = agent_login(&url, &ann.basic_auth()).await;
    let (mut b, _) = agent_login(&url, &bob.basic_auth()).await;

    // Away on one connection of two: still accepting; on both: not accepting, and everyone is
    // told; one back: accepting again.
    a1.ok("set_away_status", json!({"away": true})).await;
    let status = |list: &Value| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|s| s["agent_id"] == "ann@example.com")
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status(&b.ok("list_routing_statuses", json!({})).await), "accepting_chats");
    a2.ok("set_away_status", json!({"away": true})).await;
    let set = b.push("routing_status_set").await;
    assert_eq!(
        set["payload"],
        json!({"agent_id": "ann@example.com", "status": "not_accepting_chats"})
    );
    a1.ok("set_away_status", json!({"away": false})).await;
    assert_eq!(b.push("routing_status_set").await["payload"]["status"], "accepting_chats");

    // Subscriptions: 32 hex IDs, at most MAX_CUSTOMER_SUBSCRIPTIONS a connection, only this
    // connection's can be ended.
    let customer = server.issue_customer();
    let first = a1.ok("subscribe_customers", json!({})).await;
    let id = first["subscription_id"].as_str().unwrap().to_owned();
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{first}");
    assert!(
        first["customers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == customer.id.as_str()),
        "{first}"
    );
    a2.refused("unsubscribe_customers", json!({ "subscription_id": id }), "not_found")
        .await;
    for _ in 1..MAX_CUSTOMER_SUBSCRIPTIONS {
        a1.ok("subscribe_customers", json!({"limit": 1})).await;
    }
    let why = a1.refused("subscribe_customers", json!({}), "validation").await;
    assert!(why.contains(&MAX_CUSTOMER_SUBSCRIPTIONS.to_string()), "{why}");
    a1.ok("unsubscribe_customers", json!({ "subscription_id": id })).await;
    a1.ok("subscribe_customers", json!({})).await;

    // multicast: to the agents it names.
    let m = json!({"recipients": {"agents": {"ids": ["bob@example.com"]}}, "content": {"n": 1}, "type": "note"});
    a1.ok("multicast", m).await;
    let got = b.push("incoming_multicast").await;
    assert_eq!(
        got["payload"],
        json!({"author_id": "ann@example.com", "content": {"n": 1}, "type": "note"})
    );

    // update_session: the same agent's token only.
    a1.ok("update_session", json!({ "token": format!("Bearer {}", ann.token) })).await;
    a1.refused(
        "update_session",
        json!({ "token": format!("Bearer {}", bob.token) }),
        "authorization",
    )
    .await;

    // logout closes every connection of the agent.
    a1.ok("logout", json!({})).await;
    for rtm in [&mut a1, &mut a2] {
        let push = rtm.push("agent_disconnected").await;
        assert_eq!(push["payload"]["reason"], "agent_logged_out_remotely", "{push}");
    }
    b.ok("ping", json!({})).await;
    assert_eq!(server.problems(), Vec::<String>::new());
}

/// The control API's agent disconnect and fresh tokens.
#[tokio::test]
async fn the_control_api_disconnects_agents_and_issues_their_tokens() {
    let server = server().await;
    let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann")).unwrap();
    let (mut a, _) = agent_login(&server.agent_rtm_url("3.5"), &ann.basic_auth()).await;
    let server = &server;
    let post = |path: &str, body: Value| {
        let target = format!("/_lc/{path}");
        async move {
            let headers = [("content-type", "application/json")];
            let (status, bytes) = common::http_raw(server, "POST", &target, &headers, body.to_string().as_bytes()).await;
            (status, serde_json::from_slice::<Value>(&bytes).unwrap())
        }
    };
    let (status, body) = post("agents/token", json!({"agent_id": "ann@example.com"})).await;
    assert_eq!(status, 200, "{body}");
    let fresh = body["token"].as_str().unwrap().to_owned();
    assert_ne!(fresh, ann.token);
    assert_eq!(post("agents/token", json!({"agent_id": "nobody@example.com"})).await.0, 404);
    let data = json!({"region": "fra"});
    let (status, body) = post(
        "faults/disconnect_agent",
        json!({"agent_id": "ann@example.com", "reason": "misdirected_connection", "data": data}),
    )
    .await;
    assert_eq!((status, &body), (200, &json!({"connections": 1})));
    let push = a.push("agent_disconnected").await;
    assert_eq!((push["version"].as_str(), &push["payload"]["data"]), (Some("3.5"), &data), "{push}");
    assert!(a.next().await.is_none(), "closed");
    agent_login(&server.agent_rtm_url("3.6"), &format!("Bearer {fresh}")).await;
    assert_eq!(server.problems(), Vec::<String>::new());
}
