//! `lc demo`: a whole customer session against an embedded `lc-mock`, through `lc-rtm` and
//! `lc-web`, with a bot on the Agent Chat RTM API (an `lc-rtm` agent connection) answering; a
//! transcript as it goes, then a summary.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lc_mock::{Config, MockServer, NewAgent, TransferTo};
use lc_rtm::{Events, HistoryRequest, Next, Rating, RtmClient, RtmEvent};
use lc_types::{Api, ApiVersion, RtmAction, Unknowns};
use lc_web::{Upload, WebClient};
use serde_json::{json, Value};

use crate::Failure;

/// Play a whole customer session against an embedded mock: connect and log in, a greeting, a
/// chat with a bot on the Agent Chat RTM API (offered the chat, joining, typing, thinking,
/// answering, a rich message answered with a postback), a file upload, properties, a transfer
/// through the queue, the history (read by both sides), a rating, a server disconnect
/// survived, and the bot closing the chat.
#[derive(clap::Args)]
#[command(after_help = "\
The customer uses lc-rtm (and lc-web for the upload); the bot is an lc-rtm agent connection to
the Agent Chat RTM API as the mock's own agent (agent@mock.invalid, the one its control API
plays), logged in with a personal access token the mock issues for it: it is offered
the chat (incoming_chat), joins, types, thinks, answers, sends a rich message, transfers, reads
the chat and closes it. The mock's control API plays only what no agent action does: the
greeting, a group's status, the queue and the server disconnect.
Every step checks that what the docs say happens, happens, on both sides (each push arrives,
typed, at the customer and at the bot; every response decodes); the command exits 0 when every
step did, 1 naming the step otherwise.
Colour when stdout is a terminal (not with NO_COLOR).

Examples:
  lc demo
  lc demo --api-version 3.5        steps 3.5 lacks are skipped and say so
  lc demo --json | jq -c .         one JSON object per step, then the summary")]
pub(crate) struct DemoArgs {
    /// The API version to play the story in.
    #[arg(long, default_value_t = lc_types::endpoint::default_version(), value_parser = crate::parse_version, value_name = "X.Y")]
    api_version: ApiVersion,
    /// One JSON object per step (and one for the summary) instead of the transcript.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: DemoArgs) -> Result<(), Failure> {
    let api = crate::api_of(lc_types::ChatApi::Customer, args.api_version)?;
    crate::runtime()?.block_on(play(api, args.json))
}

/// How long any one expected push or response may take.
const WAIT: Duration = Duration::from_secs(5);

/// How long the bot's stream must stay quiet before a step ends (its pushes shown under it).
const QUIET: Duration = Duration::from_millis(40);

/// `$body` with `$m` the `lc_types` module of API version `$v` (3.5, 3.6, or 3.7 and later):
/// each arm builds the typed requests of its version.
macro_rules! per_version {
    ($v:expr, $m:ident => $body:expr) => {
        match $v {
            ApiVersion::V3_5 => {
                use lc_types::v3_5 as $m;
                $body
            }
            ApiVersion::V3_6 => {
                use lc_types::v3_6 as $m;
                $body
            }
            _ => {
                use lc_types::v3_7 as $m;
                $body
            }
        }
    };
}

/// One step's outcome, for the transcript and for `--json`.
struct Step {
    number: usize,
    name: &'static str,
    lines: Vec<String>,
    actions: Vec<String>,
    pushes: Vec<String>,
    /// Pushes the bot received.
    agent_pushes: Vec<String>,
    started: Instant,
}

struct Demo {
    api: &'static Api,
    json: bool,
    colour: bool,
    started: Instant,
    server: MockServer,
    customer_id: String,
    rtm: RtmClient,
    events: Events,
    web: WebClient,
    /// The bot's connection to the Agent Chat RTM API (an agent's personal access token).
    agent: RtmClient,
    agent_events: Events,
    agent_id: String,
    step: Option<Step>,
    steps: usize,
    skipped: Vec<&'static str>,
    rtm_calls: BTreeMap<String, usize>,
    web_calls: BTreeMap<String, usize>,
    agent_calls: BTreeMap<String, usize>,
    control_calls: BTreeMap<String, usize>,
    pushes: BTreeMap<String, usize>,
    agent_pushes: BTreeMap<String, usize>,
    unknowns: usize,
    reconnects: usize,
}

async fn play(api: &'static Api, json: bool) -> Result<(), Failure> {
    let version = api.version;
    let server = MockServer::start(Config::default())
        .await
        .map_err(|e| Failure::runtime(format!("cannot start the embedded mock: {e}")))?;
    let customer = server.issue_customer();
    let base = format!("http://{}", server.addr());
    let (rtm, events) = RtmClient::builder(server.organization_id())
        .token(&customer.token)
        .base_url(&base)
        .api_version(version)
        .customer(lc_rtm::CustomerProfile::default().name("Ada").session_field("plan", "pro"))
        .page("https://shop.example/orders/1042", Some("Order #1042"))
        .build()
        .map_err(|e| Failure::runtime(e.to_string()))?;
    let web = WebClient::builder(server.organization_id())
        .token(&customer.token)
        .base_url(&base)
        .api_version(version)
        .build()
        .map_err(|e| Failure::runtime(e.to_string()))?;
    // The agent the control API plays, with credentials: the Agent Chat API then acts as the
    // same agent that greets, and the chat's transfer to group 1 keeps it in sight.
    let agent = NewAgent::new(server.agent().id(), "Mock Agent").groups([0, 1]).role("owner");
    let agent = server
        .issue_agent(agent)
        .map_err(|r| Failure::runtime(format!("the embedded mock refused the agent: {r:?}")))?;
    let (agent_rtm, agent_events) = RtmClient::agent_builder()
        .personal_access_token(&agent.account_id, &agent.pat)
        .application("lc demo", env!("CARGO_PKG_VERSION"))
        .base_url(&base)
        .api_version(version)
        .build()
        .map_err(|e| Failure::runtime(e.to_string()))?;
    let mut demo = Demo {
        api,
        json,
        colour: !json && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        started: Instant::now(),
        server,
        customer_id: customer.id,
        rtm,
        events,
        web,
        agent: agent_rtm,
        agent_events,
        agent_id: agent.agent_id,
        step: None,
        steps: 0,
        skipped: Vec::new(),
        rtm_calls: BTreeMap::new(),
        web_calls: BTreeMap::new(),
        agent_calls: BTreeMap::new(),
        control_calls: BTreeMap::new(),
        pushes: BTreeMap::new(),
        agent_pushes: BTreeMap::new(),
        unknowns: 0,
        reconnects: 0,
    };
    if !json {
        out!("lc demo: a customer session on API v{version}, against an embedded lc-mock\n");
    }
    let result = demo.story().await;
    let problems = demo.server.problems();
    demo.rtm.destroy();
    demo.agent.destroy();
    let failed = match result {
        Ok(()) if problems.is_empty() => None,
        Ok(()) => Some(("the mock's own checks".to_owned(), problems.join("; "))),
        Err((step, why)) => Some((step, why)),
    };
    demo.summary(failed.as_ref());
    match failed {
        None => Ok(()),
        Some((step, why)) => Err(Failure::runtime(format!("step `{step}` failed: {why}"))),
    }
}

type StepResult = Result<(), (String, String)>;

impl Demo {
    async fn story(&mut self) -> StepResult {
        let v = self.api.version;
        let thinking = self.api.push("incoming_thinking_indicator").is_some();
        let me = self.agent_id.clone();

        self.begin("connect and log in");
        let login = self.connected().await?;
        let has_chats = login.get("chats").and_then(Value::as_array).map_or(0, Vec::len);
        self.say("customer", &format!("connected over RTM, logged in ({has_chats} earlier chats)"));
        let bot = self.agent_connected().await?;
        self.check(
            bot["my_profile"]["id"] == me.as_str(),
            "the bot's login response names it in my_profile",
        )?;
        self.say("bot", &format!("connected over the Agent RTM API, logged in as {me}"));
        self.settle_bot().await?;
        self.end();

        self.begin("a greeting");
        let unique = self.control("greet", "no Agent API action greets", |a, c| {
            a.greet(c, "Need a hand with your order?")
        })?;
        let greeting = self.push("incoming_greeting").await?;
        let id = greeting["id"].clone();
        self.rtm_call("accept_greeting", json!({"greeting_id": id, "unique_id": unique}))
            .await?;
        let status = self.server.agent().greeting_status(&unique);
        self.check(status == Some(lc_mock::GreetingStatus::Accepted), "the greeting is accepted")?;
        self.settle_bot().await?;
        self.end();

        self.begin("start a chat");
        let started = self
            .rtm_call(
                "start_chat",
                json!({"chat": {"thread": {"events": [{"type": "message", "text": "Hi! Where is my order #1042?"}]}}}),
            )
            .await?;
        let chat = started["chat_id"].as_str().unwrap_or_default().to_owned();
        self.push("incoming_chat").await?;
        let offered = self.agent_push("incoming_chat").await?;
        self.check(offered["chat"]["id"] == chat.as_str(), "the bot is offered the customer's chat")?;
        let asked = offered["chat"]["thread"]["events"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["type"] == "message")
            .and_then(|e| e["text"].as_str())
            .unwrap_or_default()
            .to_owned();
        self.check(!asked.is_empty(), "incoming_chat carries the customer's first message")?;
        self.say("bot", &format!("the customer asks: {asked}"));
        self.settle_bot().await?;
        self.end();

        self.begin("the bot joins");
        // 3.7 calls the list `chats_info`, earlier versions `chats_summary`.
        let listed = per_version!(v, m => self
            .agent_call(&m::agent::ListChatsRequest::default())
            .await
            .map(|r| serde_json::to_value(&r).unwrap_or(Value::Null)))?;
        let list = listed.get("chats_info").or(listed.get("chats_summary"));
        let listed = list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|c| c["id"] == chat.as_str());
        self.check(listed, "the agent's list_chats holds the customer's chat")?;
        // Joining a chat one is not in yet: `ignore_requester_presence`.
        per_version!(v, m => {
            let mut r = m::agent::AddUserToChatRequest::new(&chat, &me, "agent", "all");
            r.ignore_requester_presence = Some(true);
            self.agent_call(&r).await.map(drop)
        })?;
        let added = self.push("user_added_to_chat").await?;
        self.check(
            added["requester_id"] == me.as_str() && added["user"]["id"] == me.as_str(),
            "user_added_to_chat names the agent as the user added and the requester",
        )?;
        let joined = self.agent_push("user_added_to_chat").await?;
        self.check(joined["user"]["id"] == me.as_str(), "the bot sees itself added")?;
        self.settle_bot().await?;
        self.end();

        self.begin("typing and thinking indicators");
        per_version!(v, m => self
            .agent_call(&m::agent::SendTypingIndicatorRequest::new(&chat, true))
            .await
            .map(drop))?;
        let typing = self.push("incoming_typing_indicator").await?;
        self.check(typing["typing_indicator"]["author_id"] == me.as_str(), "the agent is typing")?;
        let seen = self.agent_push("incoming_typing_indicator").await?;
        self.check(
            seen["typing_indicator"]["visibility"] == "all",
            "the bot sees its typing indicator, for all to see",
        )?;
        if thinking {
            let title = Some("Looking up your order".to_owned());
            match v {
                ApiVersion::V3_6 => {
                    let mut r = lc_types::v3_6::agent::SendThinkingIndicatorRequest::new(&chat);
                    r.title = title;
                    self.agent_call(&r).await?;
                }
                _ => {
                    let mut r = lc_types::v3_7::agent::SendThinkingIndicatorRequest::new(&chat);
                    r.title = title;
                    self.agent_call(&r).await?;
                }
            }
            let pushed = self.push("incoming_thinking_indicator").await?;
            self.check(pushed["title"] == "Looking up your order", "the thinking indicator's title")?;
            let seen = self.agent_push("incoming_thinking_indicator").await?;
            self.check(seen["title"] == "Looking up your order", "the bot sees its thinking indicator")?;
        } else {
            self.say("lc", &format!("no thinking indicator in v{v}: skipped"));
            self.skipped.push("thinking indicator");
        }
        self.settle_bot().await?;
        self.end();

        self.begin("the bot answers");
        let text = "It left our warehouse this morning.";
        let sent = per_version!(v, m => {
            let event = m::agent::EventInput::from(m::agent::MessageEventInput::new(text));
            self.agent_call(&m::agent::SendEventRequest::new(&chat, event)).await.map(|r| r.event_id)
        })?;
        let pushed = self.push("incoming_event").await?;
        self.check(
            pushed["event"]["id"] == sent.as_str() && pushed["event"]["author_id"] == me.as_str(),
            "the customer gets the event the agent's send_event answered",
        )?;
        self.say("customer", &format!("reads: {}", pushed["event"]["text"]));
        let own = self.agent_push("incoming_event").await?;
        self.check(own["event"]["id"] == sent.as_str(), "the bot's connection gets its own message too")?;
        self.settle_bot().await?;
        self.end();

        self.begin("a rich message answered with a postback");
        let buttons = json!([{
            "title": "Did that answer your question?",
            "buttons": [
                {"text": "Yes", "type": "message", "value": "Yes", "postback_id": "yes", "user_ids": []},
                {"text": "No", "type": "message", "value": "No", "postback_id": "no", "user_ids": []}
            ]
        }]);
        let sent = per_version!(v, m => {
            let elements = serde_json::from_value(buttons.clone());
            let elements = elements.map_err(|e| self.failed(format!("the rich message's elements: {e}")))?;
            let mut rich = m::agent::RichMessageEventInput::new("quick_replies");
            rich.elements = Some(elements);
            let event = m::agent::EventInput::from(rich);
            self.agent_call(&m::agent::SendEventRequest::new(&chat, event)).await.map(|r| r.event_id)
        })?;
        let rich = self.push("incoming_event").await?;
        self.check(
            rich["event"]["id"] == sent.as_str() && rich["event"]["type"] == "rich_message",
            "the customer gets the rich message the agent sent",
        )?;
        let (thread, event) = (rich["thread_id"].clone(), rich["event"]["id"].clone());
        self.rtm_call(
            "send_rich_message_postback",
            json!({"chat_id": chat, "thread_id": thread, "event_id": event, "postback": {"id": "yes", "toggled": true}}),
        )
        .await?;
        self.push("incoming_rich_message_postback").await?;
        let clicked = self.agent_push("incoming_rich_message_postback").await?;
        self.check(
            clicked["postback"]["id"] == "yes" && clicked["user_id"] == self.customer_id.as_str(),
            "the bot gets the customer's click",
        )?;
        self.say("bot", "the customer answered: yes");
        self.settle_bot().await?;
        self.end();

        self.begin("upload a file and send it");
        let url = self.upload().await?;
        self.rtm_call("send_event", json!({"chat_id": chat, "event": {"type": "file", "url": url}}))
            .await?;
        self.push("incoming_event").await?;
        let file = self.agent_push_where("incoming_event", |p| p["event"]["type"] == "file").await?;
        self.check(
            file["event"]["author_id"] == self.customer_id.as_str(),
            "the bot gets the customer's file",
        )?;
        self.settle_bot().await?;
        self.end();

        self.begin("set chat properties");
        self.rtm_call(
            "update_chat_properties",
            json!({"id": chat, "properties": {"demo": {"topic": "order 1042"}}}),
        )
        .await?;
        self.push("chat_properties_updated").await?;
        self.agent_push("chat_properties_updated").await?;
        self.settle_bot().await?;
        self.end();

        self.begin("a transfer through the queue");
        self.control("set_group_status", "group 1 online (no agent action sets it)", |a, _| {
            a.set_group_status(1, "online")
        })?;
        per_version!(v, m => {
            let mut r = m::agent::TransferChatRequest::new(&chat);
            r.target = Some(m::agent::ChatTransferTarget::from(m::agent::GroupTransferTarget::new(vec![1])));
            self.agent_call(&r).await.map(drop)
        })?;
        let transferred = self.push("chat_transferred").await?;
        self.check(
            transferred["transferred_to"]["group_ids"] == json!([1]) && transferred["requester_id"] == me.as_str(),
            "chat_transferred names group 1 and the agent",
        )?;
        let seen = self.agent_push("chat_transferred").await?;
        self.check(
            seen["transferred_to"]["group_ids"] == json!([1]),
            "the bot sees the transfer to group 1",
        )?;
        let to = TransferTo {
            group_ids: vec![1],
            ..Default::default()
        };
        self.control(
            "transfer",
            "it waits in group 1's queue (the mock queues chats only here)",
            |a, _| a.transfer(&chat, &to, Some((3, 90))),
        )?;
        let queued = self.push("chat_transferred").await?;
        self.say("customer", &format!("queued at position {}", queued["queue"]["position"]));
        self.control("update_queue", "the queue moves (no agent action does)", |a, _| {
            a.update_queue(&chat, 1, 20)
        })?;
        let queue = self.push("queue_position_updated").await?;
        self.say("customer", &format!("now at position {}", queue["queue"]["position"]));
        self.settle_bot().await?;
        self.end();

        self.begin("read the history back");
        let (threads, events) = match v {
            ApiVersion::V3_5 => self.history::<lc_types::v3_5::customer::ListThreadsRequest>(&chat).await?,
            ApiVersion::V3_6 => self.history::<lc_types::v3_6::customer::ListThreadsRequest>(&chat).await?,
            _ => self.history::<lc_types::v3_7::customer::ListThreadsRequest>(&chat).await?,
        };
        self.check(
            threads >= 1 && events >= 4,
            &format!("the history holds the 4 messages sent so far (got {threads} thread(s), {events} events)"),
        )?;
        self.say("customer", &format!("history: {threads} thread(s), {events} events, newest first"));
        let seen = per_version!(v, m => self
            .agent_call(&m::agent::GetChatRequest::new(&chat))
            .await
            .map(|r| serde_json::to_value(&r.thread).unwrap_or(Value::Null)))?;
        let customers: Vec<&str> = seen["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["author_id"] == self.customer_id.as_str())
            .filter_map(|e| e["type"].as_str())
            .collect();
        self.check(
            customers.contains(&"message") && customers.contains(&"file"),
            &format!("the agent's get_chat holds the customer's message and file (got {customers:?})"),
        )?;
        self.say("bot", &format!("sees the customer's {}", customers.join(", ")));
        self.settle_bot().await?;
        self.end();

        self.begin("rate the chat");
        self.rtm
            .rate_chat(&chat, Some(Rating::Good), Some("Quick and kind, thanks!"))
            .await
            .map_err(|e| self.failed(e.to_string()))?;
        self.count_rtm("get_chat");
        self.count_rtm("update_thread_properties");
        self.say("customer", "→ rate_chat (get_chat, update_thread_properties)");
        self.push("thread_properties_updated").await?;
        self.settle_bot().await?;
        self.end();

        self.begin("a server disconnect, survived");
        let closed = self.control("disconnect", "the server ends the connection", |a, c| {
            Ok(a.disconnect(c, "service_temporarily_unavailable", None))
        })?;
        self.check(closed == 1, "the server closes the customer's connection")?;
        self.push("customer_disconnected").await?;
        self.connected().await?;
        self.rtm_call("get_customer", json!({})).await?;
        self.settle_bot().await?;
        self.end();

        self.begin("the bot closes the chat");
        per_version!(v, m => self
            .agent_call(&m::agent::DeactivateChatRequest::new(&chat))
            .await
            .map(drop))?;
        self.push("chat_deactivated").await?;
        let closed = self.agent_push("chat_deactivated").await?;
        self.check(closed["chat_id"] == chat.as_str(), "the bot sees the chat closed")?;
        self.settle_bot().await?;
        self.end();
        Ok(())
    }

    // ---- steps ----

    fn begin(&mut self, name: &'static str) {
        self.steps += 1;
        if !self.json {
            let title = format!("{:>2}. {name}", self.steps);
            out!("{}", self.paint(&title, "1"));
        }
        self.step = Some(Step {
            number: self.steps,
            name,
            lines: Vec::new(),
            actions: Vec::new(),
            pushes: Vec::new(),
            agent_pushes: Vec::new(),
            started: Instant::now(),
        });
    }

    fn end(&mut self) {
        let Some(step) = self.step.take() else { return };
        if self.json {
            // Which calls the agent's side made, by API: the bot's Agent Chat RTM API, and
            // the mock's control API (for what no agent action does).
            let side = |prefix: &str| -> Vec<&str> { step.actions.iter().filter_map(|a| a.strip_prefix(prefix)).collect() };
            out!(
                "{}",
                json!({
                    "step": step.number, "name": step.name, "status": "ok",
                    "ms": step.started.elapsed().as_secs_f64() * 1000.0,
                    "actions": step.actions, "agent_rtm": side("agent_rtm:"), "control": side("control:"),
                    "pushes": step.pushes, "agent_pushes": step.agent_pushes, "transcript": step.lines,
                })
            );
        }
    }

    /// A line of the transcript: `who` did or saw `what`.
    fn say(&mut self, who: &str, what: &str) {
        let line = format!("{who}: {what}");
        if !self.json {
            let colour = match who {
                "customer" => "32",
                "agent" | "bot" => "35",
                "control" => "33",
                "push" => "36",
                _ => "2",
            };
            out!("    {} {what}", self.paint(&format!("{who:>8}"), colour));
        }
        if let Some(step) = &mut self.step {
            step.lines.push(line);
        }
    }

    fn paint(&self, text: &str, code: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// The failure of the current step.
    fn failed(&self, why: String) -> (String, String) {
        let name = self.step.as_ref().map_or("?", |s| s.name);
        (name.to_owned(), why)
    }

    fn check(&self, ok: bool, what: &str) -> StepResult {
        if ok {
            Ok(())
        } else {
            Err(self.failed(format!("expected: {what}")))
        }
    }

    // ---- the parties ----

    /// The mock's control API, for what no agent action does: `name` and `why` go in the
    /// transcript, `f` acts (given the customer's ID).
    fn control<T>(
        &mut self,
        name: &str,
        why: &str,
        f: impl FnOnce(&lc_mock::AgentControl<'_>, &str) -> Result<T, lc_mock::Refusal>,
    ) -> Result<T, (String, String)> {
        let result = f(&self.server.agent(), &self.customer_id);
        let result = result.map_err(|r| self.failed(format!("the control API refused `{name}`: {r:?}")))?;
        *self.control_calls.entry(name.to_owned()).or_default() += 1;
        self.say("control", &format!("{name}: {why}"));
        if let Some(step) = &mut self.step {
            step.actions.push(format!("control:{name}"));
        }
        Ok(result)
    }

    /// A bot action over its Agent Chat RTM connection, typed; its response decoded as its
    /// type (unknown fields counted).
    async fn agent_call<R: RtmAction + Sync>(&mut self, request: &R) -> Result<R::Response, (String, String)> {
        let response = self.agent.call(request).await;
        let response = response.map_err(|e| self.failed(format!("`{}` over the Agent RTM API: {e}", R::NAME)))?;
        self.unknowns += response.unknowns().len();
        *self.agent_calls.entry(R::NAME.to_owned()).or_default() += 1;
        self.say("bot", &format!("→ {} (Agent RTM API)", R::NAME));
        if let Some(step) = &mut self.step {
            step.actions.push(format!("agent_rtm:{}", R::NAME));
        }
        Ok(response)
    }

    /// Waits for the bot's login; gives its response.
    async fn agent_connected(&mut self) -> Result<Value, (String, String)> {
        loop {
            match self.next_agent_event().await? {
                RtmEvent::Connected(c) => {
                    return c
                        .login
                        .decode::<Value>()
                        .map_err(|e| self.failed(format!("the bot's login response: {e}")))
                }
                RtmEvent::Disconnected(d) => return Err(self.failed(format!("the bot: {}", d.cause.describe()))),
                _ => {}
            }
        }
    }

    /// Waits for push `name` at the bot; gives its payload.
    async fn agent_push(&mut self, name: &str) -> Result<Value, (String, String)> {
        self.agent_push_where(name, |_| true).await
    }

    /// Waits for a push `name` at the bot whose payload passes `wanted`; gives its payload.
    /// Other pushes on the way are counted too.
    async fn agent_push_where(&mut self, name: &str, wanted: impl Fn(&Value) -> bool) -> Result<Value, (String, String)> {
        loop {
            match self.next_agent_event().await? {
                RtmEvent::Push(p) if p.push.name() == name => {
                    let payload = serde_json::to_value(&p.push).unwrap_or(Value::Null);
                    if wanted(&payload) {
                        return Ok(payload);
                    }
                }
                RtmEvent::Disconnected(d) => return Err(self.failed(format!("the bot: {}", d.cause.describe()))),
                _ => {}
            }
        }
    }

    /// The bot's next event (pushes counted and shown), within [`WAIT`].
    async fn next_agent_event(&mut self) -> Result<RtmEvent, (String, String)> {
        let event = tokio::time::timeout(WAIT, self.agent_events.next()).await;
        let event = event.map_err(|_| self.failed(format!("nothing arrived at the bot within {WAIT:?}")))?;
        let event = event.ok_or_else(|| self.failed("the bot's connection task ended".into()))?;
        self.note_agent_event(event)
    }

    /// The bot's pushes the step caused and nothing waited for, read until the bot's stream is
    /// quiet for [`QUIET`] (at most [`WAIT`]), so each shows under the step that caused it.
    async fn settle_bot(&mut self) -> Result<(), (String, String)> {
        let until = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < until {
            match tokio::time::timeout(QUIET, self.agent_events.next()).await {
                Err(_) => return Ok(()),
                Ok(None) => return Err(self.failed("the bot's connection task ended".into())),
                Ok(Some(event)) => drop(self.note_agent_event(event)?),
            }
        }
        Ok(())
    }

    /// Counts and shows a push of the bot; an undecoded one fails the demo.
    fn note_agent_event(&mut self, event: RtmEvent) -> Result<RtmEvent, (String, String)> {
        match &event {
            RtmEvent::Push(p) => {
                let name = p.push.name().to_owned();
                self.unknowns += p.push.unknowns().len();
                *self.agent_pushes.entry(name.clone()).or_default() += 1;
                self.say("push", &format!("⇠ {name} (bot)"));
                if let Some(step) = &mut self.step {
                    step.agent_pushes.push(name);
                }
            }
            RtmEvent::UndecodedPush { frame, error } => {
                return Err(self.failed(format!("the bot's push `{}` did not decode: {error}", frame.action)));
            }
            _ => {}
        }
        Ok(event)
    }

    /// A customer action over RTM; its response decoded as its type.
    async fn rtm_call(&mut self, action: &str, payload: Value) -> Result<Value, (String, String)> {
        let response = self.rtm.call_value(self.api.version, action, &payload).await;
        let response = response.map_err(|e| self.failed(format!("`{action}` over RTM: {e}")))?;
        let typed = (self.api.decode_response)(action, &response.to_string());
        let typed = typed.map_err(|e| self.failed(format!("the response of `{action}` does not decode: {e}")))?;
        self.unknowns += typed.unknowns().len();
        self.count_rtm(action);
        self.say("customer", &format!("→ {action} (RTM)"));
        Ok(response)
    }

    /// Counts an RTM action, in the summary and in the current step.
    fn count_rtm(&mut self, action: &str) {
        *self.rtm_calls.entry(action.to_owned()).or_default() += 1;
        if let Some(step) = &mut self.step {
            step.actions.push(format!("rtm:{action}"));
        }
    }

    /// Waits for the login (after the first connect or a reconnect); gives its response.
    async fn connected(&mut self) -> Result<Value, (String, String)> {
        loop {
            match self.next_event().await? {
                RtmEvent::Connected(c) => {
                    if c.reconnect {
                        self.reconnects += 1;
                        self.say("customer", "reconnected and logged in again by itself");
                    }
                    return c
                        .login
                        .decode::<Value>()
                        .map_err(|e| self.failed(format!("the login response: {e}")));
                }
                RtmEvent::Disconnected(d) => {
                    let next = match d.next {
                        Next::Reconnect { delay, .. } => format!("reconnecting in {} ms", delay.as_millis()),
                        other => return Err(self.failed(format!("{}, then {other:?}", d.cause.describe()))),
                    };
                    self.say("customer", &format!("{} → {next}", d.cause.describe()));
                }
                _ => {}
            }
        }
    }

    /// Waits for push `name`; gives its payload. Other pushes on the way are counted too.
    async fn push(&mut self, name: &str) -> Result<Value, (String, String)> {
        loop {
            if let RtmEvent::Push(p) = self.next_event().await? {
                if p.push.name() == name {
                    return Ok(serde_json::to_value(&p.push).unwrap_or(Value::Null));
                }
            }
        }
    }

    /// The next event (pushes counted and shown), within [`WAIT`].
    async fn next_event(&mut self) -> Result<RtmEvent, (String, String)> {
        let event = tokio::time::timeout(WAIT, self.events.next()).await;
        let event = event.map_err(|_| self.failed(format!("nothing arrived within {WAIT:?}")))?;
        let event = event.ok_or_else(|| self.failed("the connection task ended".into()))?;
        match &event {
            RtmEvent::Push(p) => {
                let name = p.push.name().to_owned();
                self.unknowns += p.push.unknowns().len();
                *self.pushes.entry(name.clone()).or_default() += 1;
                self.say("push", &format!("← {name}"));
                if let Some(step) = &mut self.step {
                    step.pushes.push(name);
                }
            }
            RtmEvent::UndecodedPush { frame, error } => {
                return Err(self.failed(format!("push `{}` did not decode: {error}", frame.action)));
            }
            _ => {}
        }
        Ok(event)
    }

    /// Uploads a receipt through lc-web with a progress bar; gives its URL.
    async fn upload(&mut self) -> Result<String, (String, String)> {
        let receipt: Vec<u8> = b"Order #1042 receipt\n".iter().copied().cycle().take(256 * 1024).collect();
        let len = receipt.len() as u64;
        let bar = if self.json || !std::io::stdout().is_terminal() {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new(len)
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("           {bar:30} {bytes}/{total_bytes}")
                .expect("a valid template")
                .progress_chars("█▉▊▋▌▍▎▏ "),
        );
        let shown = bar.clone();
        let upload = Upload::from_bytes("receipt-1042.txt", "text/plain", receipt).progress(move |share| {
            shown.set_position((share * len as f64) as u64);
        });
        let response = self.web.upload_file(upload).await;
        bar.finish_and_clear();
        let response = response.map_err(|e| self.failed(format!("upload_file over the Web API: {e}")))?;
        self.unknowns += response.unknowns().len();
        *self.web_calls.entry("upload_file".into()).or_default() += 1;
        self.say("customer", &format!("→ upload_file (Web, {} KiB)", len / 1024));
        if let Some(step) = &mut self.step {
            step.actions.push("web:upload_file".into());
        }
        Ok(response.url)
    }

    /// Reads the whole history of `chat`: threads and events.
    async fn history<R: HistoryRequest>(&mut self, chat: &str) -> Result<(usize, usize), (String, String)>
    where
        R::Thread: serde::Serialize,
    {
        let pages: Vec<_> = self.rtm.history::<R>(chat).collect().await;
        let mut threads = 0;
        let mut events = 0;
        for thread in pages {
            let thread = thread.map_err(|e| self.failed(format!("list_threads: {e}")))?;
            let value = serde_json::to_value(&thread).unwrap_or(Value::Null);
            threads += 1;
            events += value["events"].as_array().map_or(0, Vec::len);
        }
        self.count_rtm("list_threads");
        self.say("customer", "→ list_threads (RTM, the history stream)");
        Ok((threads, events))
    }

    fn summary(&self, failed: Option<&(String, String)>) {
        let total = |m: &BTreeMap<String, usize>| m.values().sum::<usize>();
        let elapsed = self.started.elapsed();
        if self.json {
            out!(
                "{}",
                json!({"summary": {
                    "api_version": self.api.version.to_string(),
                    "ok": failed.is_none(),
                    "failed_step": failed.map(|f| &f.0),
                    "steps": self.steps,
                    "skipped": self.skipped,
                    "rtm_actions": self.rtm_calls, "web_actions": self.web_calls,
                    "agent_rtm_actions": self.agent_calls, "control_actions": self.control_calls,
                    "pushes": self.pushes, "agent_pushes": self.agent_pushes, "unknown_fields": self.unknowns,
                    "reconnects": self.reconnects, "ms": elapsed.as_secs_f64() * 1000.0,
                }})
            );
            return;
        }
        let list = |m: &BTreeMap<String, usize>| m.iter().map(|(k, v)| format!("{k} ×{v}")).collect::<Vec<_>>().join(", ");
        out!("\n{}", self.paint("summary", "1"));
        out!("  actions over RTM  {} ({})", total(&self.rtm_calls), list(&self.rtm_calls));
        out!("  actions over Web  {} ({})", total(&self.web_calls), list(&self.web_calls));
        out!(
            "  bot actions       {} (Agent RTM API: {})",
            total(&self.agent_calls),
            list(&self.agent_calls)
        );
        out!("  control API       {} ({})", total(&self.control_calls), list(&self.control_calls));
        out!("  pushes received   {} ({})", total(&self.pushes), list(&self.pushes));
        out!("  bot's pushes      {} ({})", total(&self.agent_pushes), list(&self.agent_pushes));
        out!("  unknown fields    {}", self.unknowns);
        out!("  reconnects        {}", self.reconnects);
        out!("  time              {:.2} s", elapsed.as_secs_f64());
        match failed {
            None => {
                let skipped = match self.skipped.len() {
                    0 => String::new(),
                    n => format!(", {n} part(s) skipped: {}", self.skipped.join(", ")),
                };
                let text = format!("every step behaved as documented ({} steps{skipped})", self.steps);
                out!("  result            {}", self.paint(&text, "32"))
            }
            Some((step, why)) => out!("  result            {}", self.paint(&format!("step `{step}` failed: {why}"), "31")),
        }
    }
}
