//! Chat, thread, event, license and group properties.

use serde_json::{json, Map, Value};

use super::{api, chat_ref, to_json};
use crate::ctx::Ctx;
use crate::error::Refusal;

/// Merges `namespace -> name -> value` into `into`.
pub(crate) fn merge_properties(into: &mut Map<String, Value>, props: &Map<String, Value>) {
    for (ns, values) in props {
        let slot = into.entry(ns.clone()).or_insert_with(|| json!({}));
        if let (Some(slot), Some(values)) = (slot.as_object_mut(), values.as_object()) {
            for (k, v) in values {
                slot.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Removes `namespace -> [names]` from `from`; a namespace left empty goes too.
pub(crate) fn delete_properties(from: &mut Map<String, Value>, names: &Map<String, Value>) {
    for (ns, list) in names {
        if let Some(slot) = from.get_mut(ns).and_then(Value::as_object_mut) {
            for name in list.as_array().into_iter().flatten().filter_map(Value::as_str) {
                slot.remove(name);
            }
            if slot.is_empty() {
                from.remove(ns);
            }
        }
    }
}

/// Applies an update (`properties` = Properties) or delete (`properties` = names) to `target`.
fn apply_properties(target: &mut Map<String, Value>, update: bool, props: &Value) {
    let props = props.as_object().cloned().unwrap_or_default();
    if update {
        merge_properties(target, &props);
    } else {
        delete_properties(target, &props);
    }
}

/// `update_chat_properties`.
pub(super) fn update_chat_properties(ctx: &mut Ctx, r: &api::UpdateChatPropertiesRequest) -> Result<Value, Refusal> {
    customer_properties(ctx, Target::Chat(r.id.clone()), true, &r.properties)
}

/// `delete_chat_properties`.
pub(super) fn delete_chat_properties(ctx: &mut Ctx, r: &api::DeleteChatPropertiesRequest) -> Result<Value, Refusal> {
    customer_properties(ctx, Target::Chat(r.id.clone()), false, &r.properties)
}

/// `update_thread_properties`.
pub(super) fn update_thread_properties(ctx: &mut Ctx, r: &api::UpdateThreadPropertiesRequest) -> Result<Value, Refusal> {
    let target = Target::Thread(r.chat_id.clone(), r.thread_id.clone());
    customer_properties(ctx, target, true, &r.properties)
}

/// `delete_thread_properties`.
pub(super) fn delete_thread_properties(ctx: &mut Ctx, r: &api::DeleteThreadPropertiesRequest) -> Result<Value, Refusal> {
    let target = Target::Thread(r.chat_id.clone(), r.thread_id.clone());
    customer_properties(ctx, target, false, &r.properties)
}

/// `update_event_properties`.
pub(super) fn update_event_properties(ctx: &mut Ctx, r: &api::UpdateEventPropertiesRequest) -> Result<Value, Refusal> {
    let target = Target::Event(r.chat_id.clone(), r.thread_id.clone(), r.event_id.clone());
    customer_properties(ctx, target, true, &r.properties)
}

/// `delete_event_properties`.
pub(super) fn delete_event_properties(ctx: &mut Ctx, r: &api::DeleteEventPropertiesRequest) -> Result<Value, Refusal> {
    let target = Target::Event(r.chat_id.clone(), r.thread_id.clone(), r.event_id.clone());
    customer_properties(ctx, target, false, &r.properties)
}

/// The six customer property actions: the chat must be the customer's own; `props` are the
/// properties (update) or their names (delete).
fn customer_properties(ctx: &mut Ctx, target: Target, update: bool, props: &impl serde::Serialize) -> Result<Value, Refusal> {
    chat_ref(ctx, target.chat_id())?;
    change_properties(ctx, &target, update, &to_json(props))?;
    Ok(json!({}))
}

/// What a property change targets: a chat, a thread, or an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A chat, by ID.
    Chat(String),
    /// A thread: chat ID, thread ID.
    Thread(String, String),
    /// An event: chat ID, thread ID, event ID.
    Event(String, String, String),
}

impl Target {
    /// The chat the target is in.
    pub fn chat_id(&self) -> &str {
        match self {
            Target::Chat(c) | Target::Thread(c, _) | Target::Event(c, _, _) => c,
        }
    }
}

/// Updates (`namespace -> name -> value`) or deletes (`namespace -> [names]`) properties of a
/// chat, thread or event, and pushes `{chat,thread,event}_properties_{updated,deleted}` with
/// the IDs and the properties as given.
pub(crate) fn change_properties(ctx: &mut Ctx, target: &Target, update: bool, props: &Value) -> Result<(), Refusal> {
    let chat_id = target.chat_id();
    let mut chat = ctx.state.chat(chat_id)?.clone();
    let mut push = json!({"chat_id": chat_id, "properties": props});
    let name = match target {
        Target::Chat(_) => {
            apply_properties(&mut chat.properties, update, props);
            if update {
                "chat_properties_updated"
            } else {
                "chat_properties_deleted"
            }
        }
        Target::Thread(_, t) | Target::Event(_, t, _) => {
            let ti = chat.thread(t).ok_or_else(|| Refusal::not_found("Thread"))?;
            push["thread_id"] = json!(t);
            match target {
                Target::Event(_, _, e) => {
                    let ei = chat.threads[ti].event(e).ok_or_else(|| Refusal::not_found("Event"))?;
                    let event = &mut chat.threads[ti].events[ei];
                    let mut current = event["properties"].as_object().cloned().unwrap_or_default();
                    apply_properties(&mut current, update, props);
                    event["properties"] = Value::Object(current);
                    push["event_id"] = json!(e);
                    if update {
                        "event_properties_updated"
                    } else {
                        "event_properties_deleted"
                    }
                }
                _ => {
                    apply_properties(&mut chat.threads[ti].properties, update, props);
                    if update {
                        "thread_properties_updated"
                    } else {
                        "thread_properties_deleted"
                    }
                }
            }
        }
    };
    let customer = chat.customer_id.clone();
    ctx.state.chats.insert(chat_id.to_owned(), chat);
    ctx.push(&customer, name, push.clone());
    ctx.push_to_chat_agents(chat_id, None, name, push);
    Ok(())
}

/// Properties filtered by the optional `namespace` and `name` query parameters.
fn filter_properties(all: &Map<String, Value>, namespace: Option<&str>, name: Option<&str>) -> Value {
    let mut out = Map::new();
    for (ns, values) in all {
        if namespace.is_some_and(|want| want != ns) {
            continue;
        }
        let values: Map<String, Value> = values
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| name.is_none_or(|want| want == *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !values.is_empty() {
            out.insert(ns.clone(), Value::Object(values));
        }
    }
    Value::Object(out)
}

pub(super) fn list_license_properties(ctx: &mut Ctx, r: &api::ListLicensePropertiesRequest) -> Result<Value, Refusal> {
    let (namespace, name) = (r.namespace.as_deref(), r.name.as_deref());
    Ok(filter_properties(&ctx.state.license_properties, namespace, name))
}

pub(super) fn list_group_properties(ctx: &mut Ctx, r: &api::ListGroupPropertiesRequest) -> Result<Value, Refusal> {
    if !ctx.state.groups.contains_key(&r.id) {
        return Err(Refusal::group_not_found());
    }
    let props = ctx.state.group_properties.get(&r.id).cloned().unwrap_or_default();
    Ok(filter_properties(&props, r.namespace.as_deref(), r.name.as_deref()))
}
