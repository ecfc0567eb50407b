//! What a change of state sees and does ([`Ctx`]): shared by the actions, which make changes,
//! and the engine, which runs them, so neither imports the other for it.

use lc_types::ApiVersion;
use serde_json::Value;

use crate::state::State;

/// A push one change sends to one customer's RTM connections.
#[derive(Clone, Debug)]
pub(crate) struct PushOut {
    pub customer: String,
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
}

impl Ctx<'_> {
    /// Sends `name` to every RTM connection of `customer` once the change is kept.
    pub(crate) fn push(&mut self, customer: &str, name: &'static str, payload: Value) {
        self.pushes.push(PushOut {
            customer: customer.to_owned(),
            name,
            payload,
        });
    }

    /// Whether the version answered in is at least `major.minor`.
    pub(crate) fn at_least(&self, major: u16, minor: u16) -> bool {
        self.version >= ApiVersion::new(major, minor)
    }
}
