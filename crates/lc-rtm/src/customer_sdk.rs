//! What @livechat/customer-sdk offers beyond the API's actions: rating a chat, sneak peeks
//! without waiting, and a page change that later logins remember.

use std::collections::BTreeMap;

use lc_types::Action;
use serde_json::{json, Value};

use crate::client::RtmClient;
use crate::config::to_object;
use crate::error::{Error, ErrorKind};
use crate::version::per_version;

/// A customer's rating of a chat (`rating.score` thread property: 1 good, 0 bad).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rating {
    /// Score 1.
    Good,
    /// Score 0.
    Bad,
}

/// A part of a rating, for [`RtmClient::cancel_rate`]: the `rating` thread property it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RatingPart {
    /// `rating.score`.
    Score,
    /// `rating.comment`.
    Comment,
}

impl RatingPart {
    /// The property's name.
    pub fn as_str(self) -> &'static str {
        match self {
            RatingPart::Score => "score",
            RatingPart::Comment => "comment",
        }
    }
}

impl RtmClient {
    /// Rates chat `chat_id`'s latest thread, as @livechat/customer-sdk's `rateChat` does: sets
    /// the thread properties `rating.score` (1 good, 0 bad) and/or `rating.comment`.
    ///
    /// ```no_run
    /// use lc_rtm::{Rating, RatingPart};
    /// # async fn run(client: lc_rtm::RtmClient) -> Result<(), lc_rtm::Error> {
    /// client.rate_chat("PJ0MRSHTDG", Some(Rating::Good), Some("Quick and kind")).await?;
    /// client.cancel_rate("PJ0MRSHTDG", &[RatingPart::Score, RatingPart::Comment]).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn rate_chat(&self, chat_id: &str, rating: Option<Rating>, comment: Option<&str>) -> Result<(), Error> {
        let mut values = serde_json::Map::new();
        if let Some(r) = rating {
            values.insert("score".into(), json!(if r == Rating::Good { 1 } else { 0 }));
        }
        if let Some(c) = comment {
            values.insert("comment".into(), json!(c));
        }
        if values.is_empty() {
            return Err(Error::with_source(ErrorKind::InvalidInput, "a rating needs a score or a comment"));
        }
        let thread_id = self.latest_thread(chat_id).await?;
        let properties = BTreeMap::from([("rating".to_owned(), values)]);
        per_version!(self.api_version(), |v| {
            let request = v::UpdateThreadPropertiesRequest::new(chat_id, properties, thread_id);
            self.call_request(&request).await.map(drop)
        })
    }

    /// Removes `parts` of the rating of chat `chat_id`'s latest thread, as
    /// @livechat/customer-sdk's `cancelRate({ chatId, properties })` does (its default is
    /// `['score']`: the score alone, the comment kept). No part is an `InvalidInput` error.
    pub async fn cancel_rate(&self, chat_id: &str, parts: &[RatingPart]) -> Result<(), Error> {
        if parts.is_empty() {
            return Err(Error::with_source(
                ErrorKind::InvalidInput,
                "cancel_rate needs the rating parts to remove",
            ));
        }
        let names: Vec<String> = parts.iter().map(|p| p.as_str().to_owned()).collect();
        let thread_id = self.latest_thread(chat_id).await?;
        let properties = BTreeMap::from([("rating".to_owned(), names)]);
        per_version!(self.api_version(), |v| {
            let request = v::DeleteThreadPropertiesRequest::new(chat_id, properties, thread_id);
            self.call_request(&request).await.map(drop)
        })
    }

    /// Sends what the customer is typing (`send_sneak_peek`) without waiting for the answer,
    /// as @livechat/customer-sdk's `setSneakPeek`. It takes a request slot like any call; an
    /// error is only logged (`tracing`). Returns at once.
    pub fn set_sneak_peek(&self, chat_id: &str, text: &str) {
        let frame = per_version!(self.api_version(), |v| {
            let request = v::SendSneakPeekRequest::new(chat_id, text);
            self.frame(self.api_version(), v::SendSneakPeekRequest::NAME, &request)
        });
        match frame {
            Ok(frame) => self.send_unanswered(frame),
            Err(e) => tracing::warn!(error = %e, "lc-rtm: sneak peek not sent"),
        }
    }

    /// Tells the server the customer moved to another page (`update_customer_page`); later
    /// logins (after a reconnect) send this page too. Gives the response payload (since 3.6,
    /// `groups` when the customer's group assignment changed).
    pub async fn update_customer_page(&self, url: &str, title: Option<&str>) -> Result<Value, Error> {
        let response = per_version!(self.api_version(), |v| {
            let mut request = v::UpdateCustomerPageRequest::new(url);
            request.title = title.map(str::to_owned);
            self.call_request(&request).await
        })?;
        self.set_page(url, title);
        Ok(response)
    }

    /// The ID of chat `chat_id`'s latest thread (`get_chat` without a thread ID).
    async fn latest_thread(&self, chat_id: &str) -> Result<String, Error> {
        let chat = per_version!(self.api_version(), |v| {
            self.call_request(&v::GetChatRequest::new(chat_id)).await
        })?;
        chat.pointer("/thread/id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::with_source(ErrorKind::InvalidInput, format!("chat `{chat_id}` has no thread to rate")))
    }

    /// Sends `request`, a typed request of the connection's version, as
    /// [`call_value`](Self::call_value) sends a payload; gives the response payload as JSON.
    async fn call_request<R: Action>(&self, request: &R) -> Result<Value, Error> {
        let payload = Value::Object(to_object(request)?);
        self.call_value(self.api_version(), R::NAME, &payload).await
    }
}
