//! A webhook service: it registers an `incoming_event` webhook, receives the deliveries over
//! HTTP (axum), verifies each one, and answers every customer message through the Agent Chat
//! Web API, passing the delivered fields (the chat ID, the message) straight into its request.
//!
//! ```sh
//! # Against LiveChat: an agent's PAT, your application's Client ID, a secret of yours, and the
//! # public URL that reaches this service's port.
//! LC_PAT=ACCOUNT_ID:PAT LC_CLIENT_ID=… LC_WEBHOOK_SECRET=… LC_WEBHOOK_URL=https://… PORT=8080 \
//!     cargo run -p lc-web --example webhook_bot
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

/// What every delivery needs: the agent's client (its ID, to join chats) and the secret.
struct Bot {
    agent: WebClient,
    agent_id: String,
    secret: WebhookSecret,
}

/// One delivery: verified, then each customer message answered in its chat.
async fn delivery(State(bot): State<Arc<Bot>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let headers = headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes()));
    let delivery = match Webhook::from_http(headers, &body, &bot.secret) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("refused a delivery: {e}");
            return StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
        }
    };
    let AnyWebhook::IncomingEvent(push) = delivery.payload else {
        return StatusCode::OK;
    };
    let Event::Message(message) = push.event else {
        return StatusCode::OK;
    };
    let mut join = AddUserToChatRequest::new(push.chat_id.clone(), bot.agent_id.clone(), UserType::Agent, Visibility::All);
    join.ignore_requester_presence = Some(true);
    // Already in the chat: refused, and nothing to do.
    let _ = bot.agent.call(&join).await;
    let text = format!("You wrote: {}", message.text.unwrap_or_default());
    let reply = SendEventRequest::new(push.chat_id, EventInput::Message(MessageEventInput::new(text)));
    match bot.agent.call(&reply).await {
        Ok(_) => StatusCode::OK,
        // Not answered: LiveChat may deliver it again.
        Err(e) => {
            eprintln!("could not answer: {e}");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// Serves the deliveries on `listener` and registers the webhook for `url` (owned by
/// `client_id`); runs until the task is dropped.
async fn start(bot: Bot, listener: tokio::net::TcpListener, url: String, client_id: &str) -> Result<(), Failed> {
    let mut register = RegisterWebhookRequest::new("incoming_event", client_id, bot.secret.expose(), WebhookType::License, url);
    let mut customers_only = WebhookFilters::default();
    customers_only.author_type = Some(EventAuthorType::Customer);
    register.filters = Some(customers_only);
    let config = bot.agent.clone();
    let app = Router::new().route("/", post(delivery)).with_state(Arc::new(bot));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let id = config.call(&register).await?.id;
    println!("webhook {id} registered");
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
    let bot = Bot {
        agent,
        agent_id: account.to_owned(),
        secret: WebhookSecret::new(var("LC_WEBHOOK_SECRET")?),
    };
    start(bot, listener, var("LC_WEBHOOK_URL")?, &var("LC_CLIENT_ID")?).await?;
    // Serves until the process is stopped.
    std::future::pending().await
}

/// The bot against an embedded lc-mock: a customer writes three messages and reads the
/// answers back; fails unless each got one.
async fn demo() -> Result<(), Failed> {
    use lc_types::v3_6::customer as c;
    let mock = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    let creds = mock.issue_agent(lc_mock::NewAgent::new("webhook.bot@example.com", "Webhook bot"))?;
    let agent = WebClient::agent_builder()
        .base_url(mock.base_url())
        .personal_access_token(&creds.account_id, &creds.pat);
    let agent = agent.build()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/", listener.local_addr()?);
    let bot = Bot {
        agent,
        agent_id: creds.agent_id,
        secret: WebhookSecret::new("a secret of ours"),
    };
    start(bot, listener, url, "c0ffee00c0ffee00c0ffee00c0ffee00").await?;

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
