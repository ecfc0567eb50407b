//! A webhook service: it registers an `incoming_event` webhook, receives the deliveries over
//! HTTP (axum), verifies each one, and answers every customer message through the Agent Chat
//! Web API, passing the delivered fields (the chat ID, the message) straight into its request.
//!
//! ```sh
//! # Against LiveChat: an agent's PAT and ID (its e-mail), your application's Client ID, a secret
//! # of yours, and the public URL that reaches this service's port. Each start registers a
//! # webhook (3 at most per action): remove old ones with `lc webhooks unregister`.
//! LC_PAT=ACCOUNT_ID:PAT LC_AGENT_ID=bot@example.com LC_CLIENT_ID=… LC_WEBHOOK_SECRET=… \
//!     LC_WEBHOOK_URL=https://… PORT=8080 cargo run -p lc-web --example webhook_bot
//! # Without LC_PAT: against an embedded lc-mock, with a customer who writes three messages.
//! cargo run -p lc-web --example webhook_bot
//! ```

use std::sync::Arc;

use axum::{body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post, Router};
use lc_types::v3_6::agent::{AddUserToChatRequest, AnyWebhook, Event, EventInput, MessageEventInput, SendEventRequest, UserType, Webhook};
use lc_types::v3_6::configuration::{EventAuthorType, RegisterWebhookRequest, WebhookFilters, WebhookType};
use lc_types::v3_6::Visibility;
use lc_types::webhook::WebhookSecret;
use lc_web::WebClient;

type Failed = Box<dyn std::error::Error + Send + Sync>;

/// What every delivery needs: the agent's client and ID (to join chats), the secret, and the
/// webhook it registered (deliveries of older registrations are not answered twice).
struct Bot {
    agent: WebClient,
    agent_id: String,
    secret: WebhookSecret,
    webhook_id: String,
}

/// One delivery: verified and acknowledged at once; a customer message is answered afterwards.
async fn delivery(State(bot): State<Arc<Bot>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let headers = headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes()));
    let delivery = match Webhook::from_http(headers, &body, &bot.secret) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("refused a delivery: {e}");
            return StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
        }
    };
    if let (true, AnyWebhook::IncomingEvent(push)) = (delivery.webhook_id == bot.webhook_id, delivery.payload) {
        if let Event::Message(message) = push.event {
            tokio::spawn(answer(bot, push.chat_id, message.text.unwrap_or_default()));
        }
    }
    StatusCode::OK
}

/// Joins the chat (refused when the bot is in it already) and answers `text` there.
async fn answer(bot: Arc<Bot>, chat_id: String, text: String) {
    let mut join = AddUserToChatRequest::new(chat_id.clone(), bot.agent_id.clone(), UserType::Agent, Visibility::All);
    join.ignore_requester_presence = Some(true);
    let _ = bot.agent.call(&join).await;
    let reply = SendEventRequest::new(chat_id, EventInput::Message(MessageEventInput::new(format!("You wrote: {text}"))));
    if let Err(e) = bot.agent.call(&reply).await {
        eprintln!("could not answer: {e}");
    }
}

/// Registers the webhook for `url` (owned by `client_id`), then serves its deliveries on
/// `listener` until the task is dropped.
async fn start(
    agent: WebClient,
    agent_id: String,
    secret: WebhookSecret,
    listener: tokio::net::TcpListener,
    url: String,
    client_id: &str,
) -> Result<(), Failed> {
    let mut register = RegisterWebhookRequest::new("incoming_event", client_id, secret.expose(), WebhookType::License, url);
    let mut customers_only = WebhookFilters::default();
    customers_only.author_type = Some(EventAuthorType::Customer);
    register.filters = Some(customers_only);
    let webhook_id = agent.call(&register).await?.id;
    println!("webhook {webhook_id} registered");
    let bot = Bot {
        agent,
        agent_id,
        secret,
        webhook_id,
    };
    let app = Router::new().route("/", post(delivery)).with_state(Arc::new(bot));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Failed> {
    let Ok(pat) = std::env::var("LC_PAT") else { return demo().await };
    let (account, token) = pat.split_once(':').ok_or("LC_PAT is ACCOUNT_ID:PAT")?;
    let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    let listener = tokio::net::TcpListener::bind(format!("0.0.0.0:{port}")).await?;
    let agent = WebClient::agent_builder().personal_access_token(account, token).build()?;
    let (secret, agent_id) = (WebhookSecret::new(var("LC_WEBHOOK_SECRET")?), var("LC_AGENT_ID")?);
    start(agent, agent_id, secret, listener, var("LC_WEBHOOK_URL")?, &var("LC_CLIENT_ID")?).await?;
    // Serves until the process is stopped.
    std::future::pending().await
}

/// The bot against an embedded lc-mock: a customer writes three messages and reads the
/// answers back; fails unless each got one.
async fn demo() -> Result<(), Failed> {
    use lc_types::v3_6::customer as c;
    let mock = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    let creds = mock.issue_agent(lc_mock::NewAgent::new("webhook.bot@example.com", "Webhook bot"))?;
    let agent = WebClient::agent_builder().base_url(mock.base_url());
    let agent = agent.personal_access_token(&creds.account_id, &creds.pat).build()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let (url, secret) = (format!("http://{}/", listener.local_addr()?), WebhookSecret::new("ours"));
    start(agent, creds.agent_id, secret, listener, url, "c0ffee00c0ffee00c0ffee00c0ffee00").await?;

    let customer = mock.issue_customer();
    let web = WebClient::builder(mock.organization_id())
        .base_url(mock.base_url())
        .token(customer.token)
        .build()?;
    let chat = web.call(&c::StartChatRequest::default()).await?.chat_id;
    let asked = ["Do you ship to Norway?", "How long does it take?", "Thanks!"];
    for text in asked {
        web.call(&c::SendEventRequest::new(chat.clone(), c::MessageEventInput::new(text)))
            .await?;
    }
    for _ in 0..100 {
        let threads = web.call(&c::ListThreadsRequest::new(chat.clone())).await?.threads;
        let texts: Vec<String> = threads
            .iter()
            .flat_map(|t| t.events.iter().flatten())
            .filter_map(|e| match e {
                c::Event::Message(m) => m.text.clone(),
                _ => None,
            })
            .collect();
        if asked
            .iter()
            .all(|a| texts.iter().filter(|t| **t == format!("You wrote: {a}")).count() == 1)
        {
            texts.iter().for_each(|t| println!("{t}"));
            println!("every message answered once, through a verified webhook delivery");
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Err(format!("not every message was answered once: {:?}", mock.webhook_deliveries()).into())
}
