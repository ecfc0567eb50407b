//! What a change of state sees and does ([`Ctx`]): shared by the actions, which make changes,
//! and the engine, which runs them, so neither imports the other for it.

use lc_types::ApiVersion;
use serde_json::Value;

use crate::state::State;

/// Who a push goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum To {
    /// Every RTM connection of one customer, as the Customer Chat API's push.
    Customer(String),
    /// Every RTM connection of these agents, as the Agent Chat API's push.
    Agents(Vec<String>),
    /// No connection: a webhook that is no push (`customer_session_fields_updated`), for the
    /// webhook registrations alone.
    Webhooks,
}

/// A push one change sends.
#[derive(Clone, Debug)]
pub(crate) struct PushOut {
    pub to: To,
    pub name: &'static str,
    pub payload: Value,
}

/// What a change sees: the state copy, the API version it is answered in, the requesting
/// customer (empty for the agent side) and the pushes it sends.
pub(crate) struct Ctx<'a> {
    pub state: &'a mut State,
    pub version: ApiVersion,
    pub customer: String,
    pub pushes: Vec<PushOut>,
    /// The Client ID of the caller's token (see `Caller::client_id`).
    pub client_id: Option<String>,
}

impl Ctx<'_> {
    /// Sends `name` to every RTM connection of `customer` once the change is kept.
    pub(crate) fn push(&mut self, customer: &str, name: &'static str, payload: Value) {
        self.pushes.push(PushOut {
            to: To::Customer(customer.to_owned()),
            name,
            payload,
        });
    }

    /// Sends agent push `name` to every RTM connection of `agents` once the change is kept
    /// (nothing when the list is empty).
    pub(crate) fn push_to_agents(&mut self, agents: Vec<String>, name: &'static str, payload: Value) {
        // Kept when no agent gets it: the webhooks registered for it still do.
        self.pushes.push(PushOut {
            to: To::Agents(agents),
            name,
            payload,
        });
    }

    /// Sends agent push `name` about chat `chat_id` to the agents who see the chat (see
    /// [`State::chat_audience`]), and to `also` (an agent who just left it).
    pub(crate) fn push_to_chat_agents(&mut self, chat_id: &str, also: Option<&str>, name: &'static str, payload: Value) {
        let mut agents = self.state.chat_audience(chat_id);
        if let Some(also) = also.filter(|a| !agents.iter().any(|x| x == a)) {
            agents.push(also.to_owned());
        }
        self.push_to_agents(agents, name, payload);
    }

    /// Sends agent push `name` to every agent of the organization.
    pub(crate) fn push_to_all_agents(&mut self, name: &'static str, payload: Value) {
        let agents = self.state.agents.keys().cloned().collect();
        self.push_to_agents(agents, name, payload);
    }

    /// Whether the version answered in is at least `major.minor`.
    pub(crate) fn at_least(&self, major: u16, minor: u16) -> bool {
        self.version >= ApiVersion::new(major, minor)
    }
}
