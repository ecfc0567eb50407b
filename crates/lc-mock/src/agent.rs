//! The control API's agent side: the agent's changes to chats, customers and groups. What an
//! agent does to a chat is [`crate::agent_api::ops`], shared with the Agent Chat API.

use lc_types::v3_6::customer::DisconnectReason;
use lc_types::ApiVersion;
use serde_json::{json, Map, Value};

use crate::actions::{self, Target};
use crate::agent_api::ops;
use crate::ctx::Ctx;
use crate::engine::{self, Caller};
use crate::state::{File, Greeting, GreetingStatus, Refusal};
use crate::Shared;

/// Where [`AgentControl::transfer`] sends a chat.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransferTo {
    /// Target groups.
    pub group_ids: Vec<i64>,
    /// Target agents.
    pub agent_ids: Vec<String>,
}

/// The newest version: agent changes are not answered in a version, only their pushes are
/// (each in its connection's versions).
fn newest() -> ApiVersion {
    lc_types::apis()
        .iter()
        .filter(|a| a.api == lc_types::ChatApi::Customer)
        .map(|a| a.version)
        .max()
        .expect("a version is built")
}

/// The agent side of the organization, played by one agent (`agent@mock.invalid`).
///
/// Every method changes the state with the documented rules and sends the documented pushes;
/// a refused change leaves everything as it was.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
/// let customer = server.issue_customer();
/// // Without a chat, the agent has nowhere to write.
/// let refused = server.agent().send_message("NOSUCHCHAT", "Hi").unwrap_err();
/// assert_eq!(refused.kind(), &lc_types::ErrorType::NotFound);
/// // A greeting needs no chat.
/// let greeting = server.agent().greet(&customer.id, "Can I help?").unwrap();
/// assert_eq!(server.agent().greeting_status(&greeting), Some(lc_mock::GreetingStatus::Pending));
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct AgentControl<'a> {
    shared: &'a Shared,
}

impl<'a> AgentControl<'a> {
    pub(crate) fn new(shared: &'a Shared) -> Self {
        AgentControl { shared }
    }

    fn agent_id(&self) -> String {
        crate::state::DEFAULT_AGENT.to_owned()
    }

    fn change<T>(&self, f: impl FnOnce(&mut Ctx, &str) -> Result<T, Refusal>) -> Result<T, Refusal> {
        let agent = self.agent_id();
        let mut out = None;
        engine::transact(self.shared, newest(), "", None, &Caller::default(), |ctx| {
            out = Some(f(ctx, &agent)?);
            Ok(Value::Null)
        })?;
        Ok(out.expect("set on success"))
    }

    /// The agent's ID.
    pub fn id(&self) -> String {
        self.agent_id()
    }

    /// The chat IDs of a customer, oldest first.
    pub fn chats_of(&self, customer_id: &str) -> Vec<String> {
        let state = crate::lock(&self.shared.state);
        state.chats_of(customer_id).iter().map(|c| c.id.clone()).collect()
    }

    /// The customer's active chat and its thread, if any.
    pub fn active_chat(&self, customer_id: &str) -> Option<(String, String)> {
        let state = crate::lock(&self.shared.state);
        let chats = state.chats_of(customer_id);
        chats
            .iter()
            .find(|c| c.active())
            .map(|c| (c.id.clone(), c.last_thread().id.clone()))
    }

    /// The customer's last sneak peek in a chat.
    pub fn sneak_peek(&self, chat_id: &str) -> Option<String> {
        let state = crate::lock(&self.shared.state);
        state.chats.get(chat_id).and_then(|c| c.sneak_peek.clone())
    }

    /// The customer's fields as `get_customer` shows them (without statistics).
    pub fn customer(&self, customer_id: &str) -> Option<Value> {
        let state = crate::lock(&self.shared.state);
        state.customers.get(customer_id).map(|c| Value::Object(c.fields.clone()))
    }

    /// Joins a chat (`user_added_to_chat`, present).
    pub fn join(&self, chat_id: &str) -> Result<(), Refusal> {
        self.change(|ctx, agent| ops::add_agent(ctx, chat_id, agent, true, false, None))
    }

    /// Leaves a chat (`user_removed_from_chat`).
    pub fn leave(&self, chat_id: &str) -> Result<(), Refusal> {
        self.change(|ctx, agent| ops::remove_agent(ctx, chat_id, agent, None))
    }

    /// Sends any event (its `type` decides which) to an active chat; the agent is added, not
    /// present, when it has not joined. Answers the event ID.
    pub fn send_event(&self, chat_id: &str, event: Value) -> Result<String, Refusal> {
        self.change(|ctx, agent| {
            let event = ops::send_event(ctx, agent, chat_id, event)?;
            Ok(event["id"].as_str().unwrap_or_default().to_owned())
        })
    }

    /// Sends a text message.
    pub fn send_message(&self, chat_id: &str, text: &str) -> Result<String, Refusal> {
        self.send_event(chat_id, json!({"type": "message", "text": text}))
    }

    /// Sends a rich message: `template_id` (`cards`, `quick_replies`, ...) and `elements`.
    pub fn send_rich_message(&self, chat_id: &str, template_id: &str, elements: Value) -> Result<String, Refusal> {
        self.send_event(
            chat_id,
            json!({"type": "rich_message", "template_id": template_id, "elements": elements}),
        )
    }

    /// Uploads a file and sends it as a file event.
    pub fn send_file(&self, chat_id: &str, name: &str, content_type: &str, bytes: &[u8]) -> Result<String, Refusal> {
        let origin = self.shared.origin();
        let max = self.shared.max_stored_file_bytes;
        let file = File::new(name, content_type, bytes)?;
        let url = self.change(|ctx, _| {
            let name = file.name.clone();
            let id = ctx.state.add_file(file, max)?;
            Ok(format!("{origin}/files/{id}/{name}"))
        })?;
        self.send_event(chat_id, json!({"type": "file", "url": url}))
    }

    /// Replaces the text of a message (`event_updated` with the whole event).
    pub fn edit_message(&self, chat_id: &str, event_id: &str, text: &str) -> Result<(), Refusal> {
        self.change(|ctx, _| {
            let mut chat = ctx.state.chat(chat_id)?.clone();
            let (t, e) = chat
                .threads
                .iter()
                .enumerate()
                .find_map(|(t, th)| th.event(event_id).map(|e| (t, e)))
                .ok_or_else(|| Refusal::not_found("Event"))?;
            let event = &mut chat.threads[t].events[e];
            if event["type"] != "message" {
                return Err(Refusal::validation("Only messages can be edited"));
            }
            event["text"] = json!(text);
            let event = event.clone();
            let push = json!({"chat_id": chat_id, "thread_id": chat.threads[t].id, "event": event});
            let customer = chat.customer_id.clone();
            ctx.state.chats.insert(chat_id.to_owned(), chat);
            ctx.push(&customer, "event_updated", push.clone());
            ctx.push_to_chat_agents(chat_id, None, "event_updated", push);
            Ok(())
        })
    }

    /// Updates properties (`namespace -> name -> value`) of a chat, thread or event.
    pub fn update_properties(&self, target: &Target, properties: Value) -> Result<(), Refusal> {
        self.properties(target, true, properties)
    }

    /// Deletes properties (`namespace -> [names]`) of a chat, thread or event.
    pub fn delete_properties(&self, target: &Target, names: Value) -> Result<(), Refusal> {
        self.properties(target, false, names)
    }

    fn properties(&self, target: &Target, update: bool, props: Value) -> Result<(), Refusal> {
        if !props.is_object() {
            return Err(Refusal::validation("`properties` is an object"));
        }
        self.change(|ctx, _| actions::change_properties(ctx, target, update, &props))
    }

    /// Transfers an active chat (`chat_transferred`, reason `manual`); with `queue` =
    /// `(position, wait_time_seconds)` the chat waits in the queue.
    pub fn transfer(&self, chat_id: &str, to: &TransferTo, queue: Option<(u64, u64)>) -> Result<(), Refusal> {
        self.change(|ctx, agent| ops::transfer(ctx, agent, chat_id, to, queue))
    }

    /// Moves a queued chat (`queue_position_updated`).
    pub fn update_queue(&self, chat_id: &str, position: u64, wait_time: u64) -> Result<(), Refusal> {
        self.change(|ctx, _| {
            let mut chat = ctx.state.chat(chat_id)?.clone();
            let thread = chat.last_thread_mut();
            let queued_at = thread
                .queue
                .as_ref()
                .map(|q| q["queued_at"].clone())
                .ok_or_else(|| Refusal::validation("The chat is not queued"))?;
            thread.queue = Some(json!({"position": position, "wait_time": wait_time, "queued_at": queued_at}));
            let push = json!({"chat_id": chat_id, "thread_id": thread.id, "queue": {"position": position, "wait_time": wait_time}});
            let customer = chat.customer_id.clone();
            ctx.state.chats.insert(chat_id.to_owned(), chat);
            ctx.push(&customer, "queue_position_updated", push.clone());
            ctx.push_to_chat_agents(chat_id, None, "queue_positions_updated", json!([push]));
            Ok(())
        })
    }

    /// Greets a customer (`incoming_greeting`); a pending greeting is canceled first
    /// (`greeting_canceled`). Answers the greeting's `unique_id`.
    pub fn greet(&self, customer_id: &str, text: &str) -> Result<String, Refusal> {
        self.change(|ctx, agent| {
            let profile = ctx.state.agents.get(agent).map(|a| a.profile()).unwrap_or_default();
            let customer = ctx.state.customers.get_mut(customer_id).ok_or_else(|| Refusal::not_found("Customer"))?;
            customer.greetings_shown += 1;
            let pending: Vec<String> = ctx
                .state
                .greetings
                .iter()
                .filter(|(_, g)| g.customer_id == customer_id && g.status == GreetingStatus::Pending)
                .map(|(id, _)| id.clone())
                .collect();
            for id in pending {
                if let Some(g) = ctx.state.greetings.get_mut(&id) {
                    g.status = GreetingStatus::Canceled;
                }
                ctx.push(customer_id, "greeting_canceled", json!({ "unique_id": id }));
            }
            let n = ctx.state.next_number();
            let unique_id = format!("greeting-{n}");
            let greeting = json!({
                "id": n, "unique_id": unique_id, "displayed_first_time": true, "accepted": false,
                "addon": "greetings", "subtype": "announcement", "is_exit_intent": false,
                "event": {"id": format!("{unique_id}_1"), "type": "message", "text": text, "created_at": crate::state::now(), "author_id": agent, "visibility": "all"},
                "agent": profile,
            });
            ctx.state.greetings.insert(
                unique_id.clone(),
                Greeting {
                    greeting: greeting.clone(),
                    customer_id: customer_id.to_owned(),
                    status: GreetingStatus::Pending,
                },
            );
            ctx.push(customer_id, "incoming_greeting", greeting);
            Ok(unique_id)
        })
    }

    /// What became of a greeting: pending, accepted or canceled.
    pub fn greeting_status(&self, unique_id: &str) -> Option<GreetingStatus> {
        let state = crate::lock(&self.shared.state);
        state.greetings.get(unique_id).map(|g| g.status)
    }

    /// Starts or stops typing in the chat's active thread (`incoming_typing_indicator`).
    pub fn typing(&self, chat_id: &str, is_typing: bool) -> Result<(), Refusal> {
        self.change(|ctx, agent| ops::typing(ctx, agent, chat_id, is_typing, false))
    }

    /// Shows that the agent prepares an answer (`incoming_thinking_indicator`, 3.6+).
    pub fn thinking(&self, chat_id: &str, title: Option<&str>) -> Result<(), Refusal> {
        let mut fields = Map::new();
        if let Some(title) = title {
            fields.insert("title".into(), json!(title));
        }
        self.change(|ctx, agent| ops::thinking(ctx, agent, chat_id, fields, false))
    }

    /// Previews a message being written (`incoming_event_preview`, 3.6+; the event has no ID).
    pub fn event_preview(&self, chat_id: &str, text: &str) -> Result<(), Refusal> {
        self.change(|ctx, agent| ops::event_preview(ctx, agent, chat_id, text))
    }

    /// Sends `content` (any JSON) to the given customers, or to every connected customer when
    /// `customer_ids` is empty (`incoming_multicast`).
    pub fn multicast(&self, customer_ids: &[&str], content: Value) -> Result<(), Refusal> {
        let targets: Vec<String> = if customer_ids.is_empty() {
            self.shared.hub.customers()
        } else {
            customer_ids.iter().map(|c| (*c).to_owned()).collect()
        };
        self.change(|ctx, agent| {
            for c in &targets {
                ctx.push(c, "incoming_multicast", json!({"author_id": agent, "content": content}));
            }
            Ok(())
        })
    }

    /// Sets a group's status (`online`, `online_for_queue`, `offline`), creating the group if
    /// needed; every connected customer gets `groups_status_updated` (3.5+).
    pub fn set_group_status(&self, group_id: i64, status: &str) -> Result<(), Refusal> {
        if !["online", "online_for_queue", "offline"].contains(&status) {
            return Err(Refusal::validation("status is `online`, `online_for_queue` or `offline`"));
        }
        let customers = self.shared.hub.customers();
        self.change(|ctx, _| {
            ctx.state.groups.insert(group_id, status.to_owned());
            for c in &customers {
                ctx.push(c, "groups_status_updated", json!({"groups": [{"id": group_id, "status": status}]}));
            }
            // Agents name the statuses as routing does (reference §3.4).
            let routing = match status {
                "online" => "accepting_chats",
                "online_for_queue" => "not_accepting_chats",
                _ => "offline",
            };
            ctx.push_to_all_agents("groups_status_updated", json!({"groups": [{"id": group_id, "status": routing}]}));
            Ok(())
        })
    }

    /// Sets the form `get_form` answers for a group and type (`prechat`, `postchat`, `ticket`);
    /// `None` disables it. The form is `{"id"?, "fields": [...]}`.
    pub fn set_form(&self, group_id: i64, form_type: &str, form: Option<Value>) -> Result<(), Refusal> {
        self.change(|ctx, _| {
            let key = (group_id, form_type.to_owned());
            match form {
                Some(f) => ctx.state.forms.insert(key, f),
                None => ctx.state.forms.remove(&key),
            };
            Ok(())
        })
    }

    /// Sets the license (organization) properties `list_license_properties` answers.
    pub fn set_license_properties(&self, properties: Value) -> Result<(), Refusal> {
        let props = properties
            .as_object()
            .cloned()
            .ok_or_else(|| Refusal::validation("properties is an object"))?;
        self.change(|ctx, _| {
            ctx.state.license_properties = props;
            Ok(())
        })
    }

    /// Sets a group's properties (`list_group_properties`).
    pub fn set_group_properties(&self, group_id: i64, properties: Value) -> Result<(), Refusal> {
        let props = properties
            .as_object()
            .cloned()
            .ok_or_else(|| Refusal::validation("properties is an object"))?;
        self.change(|ctx, _| {
            ctx.state.group_properties.insert(group_id, props);
            Ok(())
        })
    }

    /// Gives the customer data to keep client-side (`customer_side_storage_updated`); a
    /// customer's `login.customer_side_storage` replaces it. Answers what is stored.
    pub fn update_side_storage(&self, customer_id: &str, storage: Value) -> Result<Value, Refusal> {
        let entries = storage
            .as_object()
            .cloned()
            .ok_or_else(|| Refusal::validation("storage is an object"))?;
        if entries.values().any(|v| !v.is_string()) {
            return Err(Refusal::validation("storage values are strings"));
        }
        self.change(|ctx, _| {
            let customer = ctx
                .state
                .customers
                .get_mut(customer_id)
                .ok_or_else(|| Refusal::not_found("Customer"))?;
            customer.side_storage.extend(entries);
            let stored = Value::Object(customer.side_storage.clone());
            ctx.push(
                customer_id,
                "customer_side_storage_updated",
                json!({ "customer_side_storage": stored }),
            );
            Ok(stored)
        })
    }

    /// Verifies the customer's email (`email_verified: true`) and answers the callback URIs of
    /// its `request_email_verification` requests (the 10 most recent), which the API would
    /// call; the mock does not call them, as the docs do not give the callback's body.
    pub fn verify_email(&self, customer_id: &str) -> Result<Vec<String>, Refusal> {
        self.change(|ctx, _| {
            let customer = ctx
                .state
                .customers
                .get_mut(customer_id)
                .ok_or_else(|| Refusal::not_found("Customer"))?;
            customer.fields.insert("email_verified".into(), json!(true));
            Ok(std::mem::take(&mut customer.email_callbacks))
        })
    }

    /// Starts a new chat with the customer, the agent in it (`incoming_chat` to the customer),
    /// as the Agent Chat API's `start_chat` does: the one-chat limit binds the customer's own
    /// `start_chat` only, so this is how a customer gets a second chat (for `list_chats`
    /// paging, say). Answers the chat and thread IDs; refused with `chat_limit_reached` while
    /// the customer has an active chat (one active chat per customer).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// let customer = server.issue_customer();
    /// let (chat, thread) = server.agent().start_chat(&customer.id).unwrap();
    /// assert_eq!(server.agent().active_chat(&customer.id), Some((chat, thread)));
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn start_chat(&self, customer_id: &str) -> Result<(String, String), Refusal> {
        self.change(|ctx, agent| {
            let r = ops::start_chat(ctx, agent, customer_id, &Default::default())?;
            let id = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            Ok((id("chat_id"), id("thread_id")))
        })
    }

    /// Closes the chat's active thread (`incoming_event` with a system message, then
    /// `chat_deactivated` naming the agent).
    pub fn deactivate_chat(&self, chat_id: &str) -> Result<(), Refusal> {
        self.change(|ctx, agent| ops::deactivate_chat(ctx, agent, chat_id))
    }

    /// Disconnects every RTM connection of a customer with `customer_disconnected`: any
    /// reason (a [`DisconnectReason`], or its wire text; an undocumented one such as
    /// `"moon_phase_changed"` too), with `data` where it has one (`{"region": "fra"}` for
    /// `misdirected_connection`). Answers how many connections were closed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use lc_types::v3_6::customer::DisconnectReason;
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// let customer = server.issue_customer();
    /// // Not connected: nothing to close.
    /// assert_eq!(server.agent().disconnect(&customer.id, DisconnectReason::ConnectionEvicted, None), 0);
    /// assert_eq!(server.agent().disconnect(&customer.id, "access_token_expired", None), 0);
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn disconnect(&self, customer_id: &str, reason: impl Into<DisconnectReason>, data: Option<Value>) -> usize {
        let reason = reason.into();
        crate::rtm::disconnect(self.shared, lc_types::ChatApi::Customer, customer_id, reason.as_str(), data)
    }
}
