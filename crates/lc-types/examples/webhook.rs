//! A service that depends on `lc-types` alone: it receives a payload (here, the body of an
//! `incoming_event` push, as a webhook relay or a queue would deliver it), decodes it into
//! the typed struct, acts on it, and passes the same struct on to another service as JSON,
//! which decodes it back unchanged, including a field this schema does not know.
//!
//! ```sh
//! cargo run -p lc-types --example webhook
//! ```

use lc_types::v3_6::customer::{AnyPush, Event};
use lc_types::{Unknowns, VersionedPush};

/// What arrived: a push body with a field newer than our schema (`mood`).
const RECEIVED: &str = r#"{
  "chat_id": "PJ0MRSHTDG",
  "thread_id": "Q20N9CKRX2",
  "event": {
    "id": "Q20N9CKRX2_3",
    "type": "message",
    "text": "Where is my order #1042?",
    "author_id": "b7eff798-f8df-4364-8059-649c35c9ed0c",
    "created_at": "2026-03-02T10:16:02.504113Z",
    "mood": "impatient"
  }
}"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Service A: decode by the push's name, typed; a malformed payload would name its JSON path.
    let push = AnyPush::decode("incoming_event", RECEIVED)?;
    let AnyPush::IncomingEvent(incoming) = &push else {
        return Err("not an incoming_event".into());
    };
    if let Event::Message(message) = &incoming.event {
        println!("service A: chat {} says {:?}", incoming.chat_id, message.text);
        println!("service A: sent at {} (exact wire text kept)", message.created_at);
    }
    for unknown in push.unknowns() {
        println!("service A: kept what the schema does not know: {unknown}");
    }

    // Pass it on: the same struct, as JSON, into a queue (here: a string).
    let queued = serde_json::to_string(&VersionedPush::V3_6(push.clone()))?;

    // Service B: decodes the queued message back into the same struct.
    let received = AnyPush::decode("incoming_event", &queued)?;
    assert_eq!(received, push, "nothing lost between the services");
    assert_eq!(
        serde_json::to_value(&received)?,
        serde_json::from_str::<serde_json::Value>(RECEIVED)?,
        "the JSON is the JSON that arrived"
    );
    println!("service B: got the same push back, {} bytes, unknown field included", queued.len());
    Ok(())
}
