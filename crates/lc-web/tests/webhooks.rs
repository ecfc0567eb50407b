//! The Configuration API's webhook actions through `lc-web` against `lc-mock`, in every
//! version, and the deliveries the mock makes for them: the same client, auth and retries as
//! the other APIs; every delivery verified and decoded with `lc_types::webhook`.

mod common;

use std::time::Duration;

use common::{answer, routed_server, Raw};
use lc_mock::MockServer;
use lc_types::webhook::WebhookSecret;
use lc_types::{ApiVersion, ErrorType, Unknowns as _, VersionedWebhook};
use lc_web::{RetryPolicy, WebClient};
use serde_json::json;

const OWNER: &str = "c0ffee00c0ffee00c0ffee00c0ffee00";

async fn mock() -> MockServer {
    MockServer::start(lc_mock::Config::default()).await.unwrap()
}

/// An agent's client of `server` with a personal access token.
fn agent_client(server: &MockServer) -> WebClient {
    let agent = server.issue_agent(lc_mock::NewAgent::new("hooks@example.com", "Hooks")).unwrap();
    WebClient::agent_builder()
        .base_url(server.base_url())
        .personal_access_token(&agent.account_id, &agent.pat)
        .retry(RetryPolicy::default().backoff(Duration::from_millis(10), Duration::from_millis(50)))
        .build()
        .unwrap()
}

/// Every webhook action of one version, typed, in order: register, list, the license state,
/// the names, unregister; and the refusals.
macro_rules! every_action {
    ($v:ident, $server:expr, $client:expr) => {{
        use lc_types::$v::configuration::*;
        let (server, client): (&MockServer, &WebClient) = ($server, $client);
        let url = "http://127.0.0.1:9/hooks";
        let mut register = RegisterWebhookRequest::new("incoming_event", OWNER, "s3cr3t", WebhookType::License, url);
        register.description = Some("our bot".into());
        register.additional_data = Some(vec![AdditionalDataKind::ChatProperties]);
        let mut filters = WebhookFilters::default();
        filters.author_type = Some(EventAuthorType::Customer);
        register.filters = Some(filters.clone());
        let id = client.call(&register).await.unwrap().id;
        let listed = client.call(&ListWebhooksRequest::new(OWNER)).await.unwrap();
        assert_eq!(listed.len(), 1);
        let w = &listed[0];
        assert_eq!(
            (w.id.as_str(), w.url.as_str(), w.action.as_str()),
            (id.as_str(), url, "incoming_event")
        );
        assert_eq!(
            (w.type_.clone(), w.filters.clone(), w.description.as_deref()),
            (WebhookType::License, Some(filters), Some("our bot"))
        );
        // Another Client ID sees none of them.
        assert!(client.call(&ListWebhooksRequest::new("0".repeat(32))).await.unwrap().is_empty());

        let state = |client: &WebClient| {
            let client = client.clone();
            async move {
                client
                    .call(&GetLicenseWebhooksStateRequest::new(OWNER))
                    .await
                    .unwrap()
                    .license_webhooks_enabled
            }
        };
        assert!(state(client).await);
        client.call(&DisableLicenseWebhooksRequest::new(OWNER)).await.unwrap();
        assert!(!state(client).await);
        client.call(&EnableLicenseWebhooksRequest::new(OWNER)).await.unwrap();
        assert!(state(client).await);

        // No credentials needed for the names: a client without any.
        let anonymous = WebClient::agent_builder().base_url(server.base_url()).build().unwrap();
        let names = anonymous.call(&ListWebhookNamesRequest::default()).await.unwrap();
        assert_eq!(names.len(), lc_types::$v::agent::WEBHOOKS.len());
        let incoming = names.iter().find(|n| n.action == "incoming_event").unwrap();
        assert!(incoming.filters.iter().any(|f| f == "author_type"), "{incoming:?}");

        client.call(&UnregisterWebhookRequest::new(id.clone(), OWNER)).await.unwrap();
        assert!(client.call(&ListWebhooksRequest::new(OWNER)).await.unwrap().is_empty());
        let e = client.call(&UnregisterWebhookRequest::new(id, OWNER)).await.unwrap_err();
        assert_eq!(e.api_error().map(|a| a.kind().clone()), Some(ErrorType::NotFound), "{e}");

        // Refused: an action the version has not, a URL the mock cannot deliver to, a fourth
        // webhook of one action, a request without credentials.
        let refused = |r: RegisterWebhookRequest| {
            let client = client.clone();
            async move { client.call(&r).await.unwrap_err().api_error().map(|a| a.kind().clone()) }
        };
        let bad = RegisterWebhookRequest::new("no_such_webhook", OWNER, "s", WebhookType::License, url);
        assert_eq!(refused(bad).await, Some(ErrorType::Validation));
        let bad = RegisterWebhookRequest::new("incoming_chat", OWNER, "s", WebhookType::License, "https://hooks.example.com/x");
        assert_eq!(refused(bad).await, Some(ErrorType::Validation));
        let bad = RegisterWebhookRequest::new("incoming_chat", OWNER, "", WebhookType::License, url);
        assert_eq!(refused(bad).await, Some(ErrorType::Validation), "an empty secret");
        // `author_type` is for incoming_event and event_updated only (reference §6.4).
        let mut bad = RegisterWebhookRequest::new("incoming_chat", OWNER, "s", WebhookType::License, url);
        let mut by_author = WebhookFilters::default();
        by_author.author_type = Some(EventAuthorType::Agent);
        bad.filters = Some(by_author);
        assert_eq!(
            refused(bad).await,
            Some(ErrorType::Validation),
            "a filter the action does not allow"
        );
        for _ in 0..lc_mock::MAX_WEBHOOKS_PER_ACTION {
            client
                .call(&RegisterWebhookRequest::new("incoming_chat", OWNER, "s", WebhookType::Bot, url))
                .await
                .unwrap();
        }
        let fourth = RegisterWebhookRequest::new("incoming_chat", OWNER, "s", WebhookType::Bot, url);
        assert_eq!(refused(fourth).await, Some(ErrorType::Validation));
        let e = anonymous.call(&ListWebhooksRequest::new(OWNER)).await.unwrap_err();
        assert_eq!(e.api_error().map(|a| a.kind().clone()), Some(ErrorType::Authentication), "{e}");
    }};
}

#[tokio::test]
async fn every_webhook_action_of_every_version_through_lc_web() {
    for v in ["3.5", "3.6", "3.7"] {
        let server = mock().await;
        let client = agent_client(&server);
        match v {
            "3.5" => every_action!(v3_5, &server, &client),
            "3.6" => every_action!(v3_6, &server, &client),
            _ => every_action!(v3_7, &server, &client),
        }
        server.shutdown().await;
    }
}

#[tokio::test]
async fn configuration_calls_take_a_bearer_token_and_are_retried_as_any_call() {
    use lc_types::v3_6::configuration::{ListWebhooksRequest, RegisterWebhookRequest, WebhookType};
    let server = mock().await;
    let agent = server.issue_agent(lc_mock::NewAgent::new("bearer@example.com", "B")).unwrap();
    let client = WebClient::agent_builder()
        .base_url(server.base_url())
        .token(agent.token.clone())
        .retry(RetryPolicy::default().backoff(Duration::from_millis(10), Duration::from_millis(50)))
        .build()
        .unwrap();
    // A read is retried past a retryable error; `register_webhook` (not idempotent) is not
    // sent twice after an error that may hide a registration.
    server.faults().fail_next(1, "service_unavailable");
    assert!(client.call(&ListWebhooksRequest::new(OWNER)).await.unwrap().is_empty());
    server.faults().fail_next(1, "request_timeout");
    let register = RegisterWebhookRequest::new("incoming_chat", OWNER, "s", WebhookType::License, "http://127.0.0.1:9/");
    let e = client.call(&register).await.unwrap_err();
    assert_eq!(e.api_error().map(|a| a.kind().clone()), Some(ErrorType::RequestTimeout), "{e}");
    assert!(
        client.call(&ListWebhooksRequest::new(OWNER)).await.unwrap().is_empty(),
        "sent once, refused once"
    );
    server.shutdown().await;
}

/// A receiver answering every delivery with `status` (its `n`th with `status(n)`).
async fn receiver(status: impl Fn(usize) -> &'static str + Send + Sync + 'static) -> Raw {
    routed_server(move |n, _| answer(status(n), "", "")).await
}

/// The body of each request `raw` received, in order.
fn bodies(raw: &Raw) -> Vec<String> {
    raw.requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default())
        .collect()
}

/// Waits until `n` deliveries have an outcome.
async fn outcomes(server: &MockServer, n: usize) -> Vec<lc_mock::WebhookDelivery> {
    for _ in 0..200 {
        let d = server.webhook_deliveries();
        if d.len() >= n {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "{} deliveries, expected {n}: {:?}",
        server.webhook_deliveries().len(),
        server.webhook_deliveries()
    );
}

/// A customer of `server` who starts a chat and writes `text` there, over the Web API.
async fn customer_writes(server: &MockServer, text: &str) -> (String, String) {
    use lc_types::v3_6::customer::{MessageEventInput, SendEventRequest, StartChatRequest};
    let customer = server.issue_customer();
    let client = WebClient::builder(server.organization_id())
        .base_url(server.base_url())
        .token(customer.token.clone())
        .build()
        .unwrap();
    let chat = client.call(&StartChatRequest::default()).await.unwrap();
    client
        .call(&SendEventRequest::new(chat.chat_id.clone(), MessageEventInput::new(text)))
        .await
        .unwrap();
    (customer.id, chat.chat_id)
}

#[tokio::test]
async fn the_mock_delivers_what_happens_with_the_secret_filters_and_additional_data() {
    use lc_types::v3_6::configuration::{AdditionalDataKind, EventAuthorType, RegisterWebhookRequest, WebhookFilters, WebhookType};
    let server = mock().await;
    let client = agent_client(&server);
    let hooks = receiver(|_| "200 OK").await;
    let url = format!("{}/incoming", hooks.url);
    // incoming_event from customers only, with both additional data; incoming_chat in 3.5.
    let mut events = RegisterWebhookRequest::new("incoming_event", OWNER, "event-secret", WebhookType::License, url.clone());
    events.additional_data = Some(vec![AdditionalDataKind::ChatProperties, AdditionalDataKind::ChatPresenceUserIds]);
    let mut customers_only = WebhookFilters::default();
    customers_only.author_type = Some(EventAuthorType::Customer);
    events.filters = Some(customers_only);
    let events_id = client.call(&events).await.unwrap().id;
    let chats = lc_types::v3_5::configuration::RegisterWebhookRequest::new(
        "incoming_chat",
        OWNER,
        "chat-secret",
        lc_types::v3_5::configuration::WebhookType::License,
        url.clone(),
    );
    let chats_id = client.call(&chats).await.unwrap().id;

    let (customer, chat) = customer_writes(&server, "Where is my parcel?").await;
    server.agent().join(&chat).unwrap();
    server.agent().send_message(&chat, "Let me look.").unwrap();
    // incoming_chat, then the customer's message; the agent's is filtered out (the join's
    // system message too: its author is no customer).
    let done = outcomes(&server, 2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let done_now = server.webhook_deliveries();
    assert_eq!(done_now.len(), 2, "{done_now:?}");
    assert!(
        done.iter().all(|d| d.delivered && d.attempts == 1 && d.status == Some(200)),
        "{done:?}"
    );

    let bodies = bodies(&hooks);
    assert_eq!(bodies.len(), 2);
    let chat_delivery = lc_types::v3_5::agent::Webhook::verify(bodies[0].as_bytes(), &WebhookSecret::new("chat-secret")).unwrap();
    assert_eq!(chat_delivery.webhook_id, chats_id);
    assert_eq!(chat_delivery.organization_id, server.organization_id());
    let lc_types::v3_5::agent::AnyWebhook::IncomingChat(incoming) = &chat_delivery.payload else {
        panic!("{chat_delivery:?}")
    };
    assert_eq!(incoming.chat.id, chat);
    // The secret of another registration does not verify it.
    assert!(lc_types::v3_5::agent::Webhook::verify(bodies[0].as_bytes(), &WebhookSecret::new("event-secret")).is_err());

    let event = lc_types::v3_6::agent::Webhook::verify(bodies[1].as_bytes(), &WebhookSecret::new("event-secret")).unwrap();
    assert_eq!(event.webhook_id, events_id);
    let lc_types::v3_6::agent::AnyWebhook::IncomingEvent(push) = &event.payload else {
        panic!("{event:?}")
    };
    let lc_types::v3_6::agent::Event::Message(message) = &push.event else {
        panic!("{push:?}")
    };
    assert_eq!(
        (push.chat_id.as_str(), message.text.as_deref()),
        (chat.as_str(), Some("Where is my parcel?"))
    );
    let extra = event.additional_data.as_ref().unwrap();
    assert_eq!(extra.chat_presence_user_ids.as_deref(), Some(&[customer][..]));
    assert!(extra.chat_properties.is_some(), "{extra:?}");
    assert!(event.unknowns().is_empty(), "{:?}", lc_types::Unknowns::unknowns(&event));

    // Disabled license webhooks deliver nothing; enabled again, they do.
    client
        .call(&lc_types::v3_6::configuration::DisableLicenseWebhooksRequest::new(OWNER))
        .await
        .unwrap();
    customer_writes(&server, "Hello again").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.webhook_deliveries().len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn a_failed_delivery_is_retried_a_bounded_number_of_times_and_shown() {
    use lc_types::v3_6::configuration::{RegisterWebhookRequest, WebhookType};
    let server = mock().await;
    let client = agent_client(&server);
    // The first delivery fails twice, then lands; the second never does.
    let hooks = receiver(|n| {
        if n == 0 || n == 1 || n >= 3 {
            "500 Internal Server Error"
        } else {
            "204 No Content"
        }
    })
    .await;
    let register = RegisterWebhookRequest::new("incoming_chat", OWNER, "s", WebhookType::License, format!("{}/hook", hooks.url));
    client.call(&register).await.unwrap();
    customer_writes(&server, "one").await;
    customer_writes(&server, "two").await;
    let done = outcomes(&server, 2).await;
    let seen = hooks.requests.lock().unwrap().len();
    assert_eq!(
        (done[0].attempts, done[0].delivered, done[0].status),
        (3, true, Some(204)),
        "{done:?}"
    );
    assert_eq!(
        (done[1].attempts, done[1].delivered),
        (lc_mock::MAX_WEBHOOK_ATTEMPTS, false),
        "{done:?}"
    );
    assert_eq!(done[1].error.as_deref(), Some("HTTP 500"));
    assert_eq!(
        seen,
        3 + lc_mock::MAX_WEBHOOK_ATTEMPTS as usize,
        "every attempt reached the receiver"
    );

    // A receiver that is not there: refused connections, recorded, nothing hangs.
    let gone = RegisterWebhookRequest::new("incoming_chat", OWNER, "s", WebhookType::License, "http://127.0.0.1:9/none");
    client.call(&gone).await.unwrap();
    customer_writes(&server, "three").await;
    let done = outcomes(&server, 4).await;
    assert!(
        done.iter().any(|d| d.url.ends_with("/none") && !d.delivered && d.error.is_some()),
        "{done:?}"
    );

    // Unregistered, what is still queued is not sent.
    let listed = client
        .call(&lc_types::v3_6::configuration::ListWebhooksRequest::new(OWNER))
        .await
        .unwrap();
    let gone_id = listed.iter().find(|w| w.url.ends_with("/none")).unwrap().id.clone();
    for text in ["four", "five", "six"] {
        customer_writes(&server, text).await;
    }
    client
        .call(&lc_types::v3_6::configuration::UnregisterWebhookRequest::new(
            gone_id.clone(),
            OWNER,
        ))
        .await
        .unwrap();
    let done = outcomes(&server, 4 + 6).await;
    let gone: Vec<_> = done.iter().filter(|d| d.webhook_id == gone_id).collect();
    assert!(gone.iter().any(|d| d.error.as_deref() == Some("unregistered")), "{gone:?}");
    let attempts: u32 = gone.iter().map(|d| d.attempts).sum();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let later: u32 = server
        .webhook_deliveries()
        .iter()
        .filter(|d| d.webhook_id == gone_id)
        .map(|d| d.attempts)
        .sum();
    assert_eq!(later, attempts, "nothing is tried once unregistered");

    // The control API shows the registrations without their secrets, and the outcomes.
    let overview: serde_json::Value = http_get(&format!("{}/_lc/webhooks", server.base_url())).await;
    assert_eq!(overview["registrations"].as_array().unwrap().len(), 1);
    assert!(!overview.to_string().contains("\"s\""), "{overview}");
    assert!(overview["deliveries"].as_array().unwrap().len() >= 4);
    server.shutdown().await;
}

/// `GET url` as JSON (a plain client: the control API is not a LiveChat API).
async fn http_get(url: &str) -> serde_json::Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let mut socket = tokio::net::TcpStream::connect(authority).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut text = String::new();
    socket.read_to_string(&mut text).await.unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1;
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// The URL of a receiver that accepts connections, holds them and never answers.
async fn stalled_receiver() -> String {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    url
}

/// A receiver that accepts connections and never answers: each delivery waits its full
/// timeout, so the registration's queue fills; what does not fit fails at once (`queue full`)
/// and the log keeps only the last [`lc_mock::MAX_WEBHOOK_LOG`] outcomes.
#[tokio::test]
async fn a_stalled_receiver_fills_only_its_own_bounded_queue() {
    use lc_types::v3_6::configuration::{RegisterWebhookRequest, WebhookType};
    let server = mock().await;
    let client = agent_client(&server);
    let url = stalled_receiver().await;
    let register = RegisterWebhookRequest::new("incoming_event", OWNER, "s", WebhookType::License, url);
    client.call(&register).await.unwrap();
    let customer = server.issue_customer();
    let (chat, _) = server.agent().start_chat(&customer.id).unwrap();
    // One delivery in flight, MAX_WEBHOOK_QUEUE waiting, the rest refused at once: more
    // refusals than the log keeps.
    let sent = 1 + lc_mock::MAX_WEBHOOK_QUEUE + lc_mock::MAX_WEBHOOK_LOG + 10;
    for i in 0..sent {
        server.agent().send_message(&chat, &format!("m{i}")).unwrap();
    }
    let log = server.webhook_deliveries();
    assert_eq!(log.len(), lc_mock::MAX_WEBHOOK_LOG, "the log is bounded");
    assert!(
        log.iter().all(|d| d.error.as_deref() == Some("queue full") && d.attempts == 0),
        "{:?}",
        &log[..3]
    );
    server.shutdown().await;
}

/// The mock holds at most [`lc_mock::MAX_WEBHOOKS`] webhooks whatever their Client IDs, and at
/// most [`lc_mock::MAX_WEBHOOK_QUEUED_BYTES`] of deliveries waiting in all their queues: with
/// every receiver stalled, large messages are refused (`queue full`) long before any queue
/// holds [`lc_mock::MAX_WEBHOOK_QUEUE`] of them.
#[tokio::test]
async fn the_mock_bounds_its_webhooks_and_the_bytes_they_wait_with() {
    use lc_types::v3_6::configuration::{RegisterWebhookRequest, WebhookType};
    let server = mock().await;
    let client = agent_client(&server);
    let url = stalled_receiver().await;
    let register = |i: usize| RegisterWebhookRequest::new("incoming_event", format!("{i:032x}"), "s", WebhookType::License, url.clone());
    for i in 0..lc_mock::MAX_WEBHOOKS {
        client.call(&register(i)).await.unwrap();
    }
    let over = client.call(&register(lc_mock::MAX_WEBHOOKS)).await.unwrap_err();
    assert_eq!(over.api_kind(), Some(&ErrorType::Validation), "{over}");

    let customer = server.issue_customer();
    let (chat, _) = server.agent().start_chat(&customer.id).unwrap();
    let text = "x".repeat(lc_types::limits::MAX_MESSAGE_TEXT_LENGTH);
    let messages = 10;
    for _ in 0..messages {
        server.agent().send_message(&chat, &text).unwrap();
    }
    // Each message is a delivery of more than 16 KiB to each webhook: the first of each is in
    // flight, about 8 MiB of the rest wait, and the others are refused at once.
    let refused = server
        .webhook_deliveries()
        .iter()
        .filter(|d| d.error.as_deref() == Some("queue full"))
        .count();
    let fit = lc_mock::MAX_WEBHOOK_QUEUED_BYTES / text.len();
    assert!(messages < lc_mock::MAX_WEBHOOK_QUEUE);
    assert!(
        refused >= lc_mock::MAX_WEBHOOKS * (messages - 1) - fit,
        "{refused} refused, at most {fit} may wait"
    );
    server.shutdown().await;
}

/// `filters.source_type`: the Client ID of the token that made the change against the webhook's
/// owner (`my_client`, `other_clients`), or none (`system`: the mock's control API);
/// `only_my_chats`: chats started with the owner's Client ID; `author_type: customer`:
/// customers' events only (not an agent's, not a system message without an author). Each
/// registration gets exactly its events.
#[tokio::test]
async fn source_type_only_my_chats_and_author_type_select_by_origin() {
    use lc_types::v3_6::configuration::{EventAuthorType, RegisterWebhookRequest, WebhookFilters, WebhookType};
    use lc_types::v3_6::customer::{MessageEventInput, SendEventRequest, StartChatRequest};
    let server = mock().await;
    let client = agent_client(&server);
    let hooks = receiver(|_| "200 OK").await;
    for name in ["my_client", "other_clients", "system", "only_my_chats", "customers"] {
        let mut filters = WebhookFilters::default();
        match name {
            "only_my_chats" => filters.only_my_chats = Some(true),
            "customers" => filters.author_type = Some(EventAuthorType::Customer),
            source => filters.source_type = Some(vec![source.into()]),
        }
        // At most 3 webhooks of an action per Client ID: the last two (whose owner does not
        // matter) belong to another application.
        let owner = if matches!(name, "system" | "customers") {
            "5ec0d5ec0d5ec0d5ec0d5ec0d5ec0d00"
        } else {
            OWNER
        };
        let mut r = RegisterWebhookRequest::new("incoming_event", owner, name, WebhookType::License, hooks.url.clone());
        r.filters = Some(filters);
        client.call(&r).await.unwrap();
    }
    // A customer of an application: its token from the accounts service, for `client_id`.
    let customer_of = |client_id: &'static str| {
        let tokens = lc_web::AccountsTokenProvider::cookie_grant(client_id, server.organization_id()).accounts_url(server.accounts_url());
        WebClient::builder(server.organization_id())
            .base_url(server.base_url())
            .token_provider(tokens)
            .build()
            .unwrap()
    };
    let write = |customer: WebClient, text: &'static str| async move {
        let chat = customer.call(&StartChatRequest::default()).await.unwrap().chat_id;
        customer
            .call(&SendEventRequest::new(chat.clone(), MessageEventInput::new(text)))
            .await
            .unwrap();
        chat
    };
    let chat = write(customer_of(OWNER), "mine").await;
    write(customer_of("0ther0ther0ther0ther0ther0ther00"), "theirs").await;
    server.agent().join(&chat).unwrap();
    server.agent().send_message(&chat, "the agent's").unwrap();
    // A system message, without an author, from no client.
    server.agent().deactivate_chat(&chat).unwrap();

    let expected = 9;
    let done = outcomes(&server, expected).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.webhook_deliveries().len(), expected, "{done:?}");
    let mut got: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for body in bodies(&hooks) {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let event = &v["payload"]["event"];
        let text = match event["type"].as_str() {
            Some("message") => event["text"].as_str().unwrap_or_default().to_owned(),
            other => format!("({})", other.unwrap_or_default()),
        };
        got.entry(v["secret_key"].as_str().unwrap().to_owned()).or_default().push(text);
    }
    let got: Vec<(&str, Vec<&str>)> = got
        .iter()
        .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        got,
        [
            ("customers", vec!["mine", "theirs"]),
            ("my_client", vec!["mine"]),
            ("only_my_chats", vec!["mine", "the agent's", "(system_message)"]),
            ("other_clients", vec!["theirs"]),
            ("system", vec!["the agent's", "(system_message)"]),
        ]
    );
    server.shutdown().await;
}

/// `customer_session_fields_updated`, a webhook with no push twin (its own payload type): one
/// delivery per active chat of the customer, none for a customer without one; typed in the
/// version of each registration.
#[tokio::test]
async fn session_fields_reach_their_webhook_once_per_active_chat() {
    let server = mock().await;
    let client = agent_client(&server);
    let hooks = receiver(|_| "200 OK").await;
    let customer = server.issue_customer();
    // Shared by 3.5 and 3.6: one registration in each, for chats the customer is in.
    use lc_types::v3_6::configuration::{ChatPresenceFilter, RegisterWebhookRequest, UserIdsFilter, WebhookFilters, WebhookType};
    let mut in_chat = UserIdsFilter::default();
    in_chat.values = Some(vec![customer.id.clone()]);
    let mut presence = ChatPresenceFilter::default();
    presence.user_ids = Some(in_chat);
    let mut filters = WebhookFilters::default();
    filters.chat_presence = Some(presence);
    let action = "customer_session_fields_updated";
    let mut r = RegisterWebhookRequest::new(action, OWNER, "fields-3.6", WebhookType::License, hooks.url.clone());
    r.filters = Some(filters.clone());
    client.call(&r).await.unwrap();
    let mut r =
        lc_types::v3_5::configuration::RegisterWebhookRequest::new(action, OWNER, "fields-3.5", WebhookType::License, hooks.url.clone());
    r.filters = Some(filters);
    client.call(&r).await.unwrap();
    let web = WebClient::builder(server.organization_id())
        .base_url(server.base_url())
        .token(customer.token.clone())
        .build()
        .unwrap();
    let set = |plan: &'static str| {
        let web = web.clone();
        async move {
            web.call_value(
                ApiVersion::V3_6,
                "set_customer_session_fields",
                &json!({"session_fields": [{"plan": plan}]}),
            )
            .await
            .unwrap();
        }
    };
    // No active chat: no delivery.
    set("silver").await;
    let chat = web
        .call(&lc_types::v3_6::customer::StartChatRequest::default())
        .await
        .unwrap()
        .chat_id;
    set("gold").await;
    let done = outcomes(&server, 2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.webhook_deliveries().len(), 2, "{done:?}");
    for body in bodies(&hooks) {
        let delivery = VersionedWebhook::verify(
            if body.contains("fields-3.5") {
                ApiVersion::V3_5
            } else {
                ApiVersion::V3_6
            },
            body.as_bytes(),
            &WebhookSecret::new(
                serde_json::from_str::<serde_json::Value>(&body).unwrap()["secret_key"]
                    .as_str()
                    .unwrap(),
            ),
        )
        .unwrap();
        let payload = match &delivery {
            VersionedWebhook::V3_5(w) => match &w.payload {
                lc_types::v3_5::agent::AnyWebhook::CustomerSessionFieldsUpdated(p) => p,
                other => panic!("{other:?}"),
            },
            VersionedWebhook::V3_6(w) => match &w.payload {
                lc_types::v3_6::agent::AnyWebhook::CustomerSessionFieldsUpdated(p) => p,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        };
        assert_eq!(
            (payload.id.as_str(), payload.active_chat.chat_id.as_str()),
            (customer.id.as_str(), chat.as_str())
        );
        assert_eq!(
            payload.session_fields.last().and_then(|f| f.get("plan")).map(String::as_str),
            Some("gold")
        );
        assert!(delivery.unknowns().is_empty(), "{:?}", delivery.unknowns());
    }
    server.shutdown().await;
}
