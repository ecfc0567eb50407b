//! A service that depends on `lc-types` alone: it receives a webhook delivery (here, the body
//! of an `incoming_event` delivery as an HTTP framework hands it over), checks its secret,
//! decodes it into the typed structs, acts on it, and passes the same struct on to another
//! service as JSON, which decodes it back unchanged, including a field this schema does not
//! know.
//!
//! ```sh
//! cargo run -p lc-types --features webhooks --example webhook
//! ```

use lc_types::v3_6::agent::{AnyWebhook, Event, Webhook};
use lc_types::webhook::WebhookSecret;
use lc_types::Unknowns;

/// What arrived: a delivery whose event has a field newer than our schema (`mood`).
const RECEIVED: &str = r#"{
  "webhook_id": "e3b1c7d2a9f04c6b8d1e2f3a4b5c6d7e",
  "secret_key": "our secret, from register_webhook",
  "action": "incoming_event",
  "organization_id": "0d5d3a8e-7c0f-4b7e-9d2c-5a1e8f3b6c21",
  "payload": {
    "chat_id": "PJ0MRSHTDG",
    "thread_id": "Q20N9CKRX2",
    "event": {
      "id": "Q20N9CKRX2_3",
      "type": "message",
      "text": "Where is my order #1042?",
      "author_id": "b7eff798-f8df-4364-8059-649c35c9ed0c",
      "created_at": "2026-03-02T10:16:02.504113Z",
      "visibility": "all",
      "mood": "impatient"
    }
  },
  "additional_data": {}
}"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Service A: the secret first (a forged delivery is refused before its payload is read),
    // then the typed delivery; a malformed one would name its JSON path.
    let secret = WebhookSecret::new("our secret, from register_webhook");
    let headers = [("content-type", "application/json")];
    let delivery = Webhook::from_http(headers, RECEIVED.as_bytes(), &secret)?;
    let AnyWebhook::IncomingEvent(incoming) = &delivery.payload else {
        return Err("not an incoming_event".into());
    };
    if let Event::Message(message) = &incoming.event {
        println!("service A: chat {} says {:?}", incoming.chat_id, message.text);
        println!("service A: sent at {} (exact wire text kept)", message.created_at);
    }
    for unknown in delivery.unknowns() {
        println!("service A: kept what the schema does not know: {unknown}");
    }
    let forged = Webhook::from_http(headers, RECEIVED.replace("our secret", "a guess").as_bytes(), &secret);
    println!(
        "service A: a forged delivery: {}",
        forged
            .map(|_| "accepted")
            .unwrap_or_else(|e| if e.status() == 401 { "refused (401)" } else { "refused" })
    );

    // Pass the push on: the same struct, as JSON, into a queue (here: a string). It is the
    // type an agent's RTM connection delivers for `incoming_event`.
    let queued = serde_json::to_string(&delivery.payload)?;

    // Service B: decodes the queued push back into the same struct.
    let received = AnyWebhook::decode("incoming_event", &queued)?;
    assert_eq!(received, delivery.payload, "nothing lost between the services");
    let original: serde_json::Value = serde_json::from_str(RECEIVED)?;
    assert_eq!(
        serde_json::to_value(&received)?,
        original["payload"],
        "the JSON is the JSON that arrived"
    );
    println!("service B: got the same push back, {} bytes, unknown field included", queued.len());
    Ok(())
}
