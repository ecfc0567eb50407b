//! A chat's history as a `Stream` of threads, newest first, over `list_threads` pages (what
//! @livechat/customer-sdk's `getChatHistory` gives).

use std::collections::VecDeque;

use futures_util::Stream;
use lc_types::RtmAction;

use crate::client::RtmClient;
use crate::error::Error;

/// Threads fetched per `list_threads` request.
const PAGE: i64 = 10;

/// The `list_threads` request of an API version, as the history stream uses it; implemented
/// for `v3_5`, `v3_6` and `v3_7`'s `ListThreadsRequest`.
pub trait HistoryRequest: RtmAction + Sized + Send + Sync + 'static {
    /// The version's thread type.
    type Thread: Send + 'static;

    /// The request of one page: the first (`page_id` `None`, newest threads) or a later one.
    fn page(chat_id: &str, page_id: Option<String>) -> Self;

    /// A page's threads (newest first) and the ID of the next, older page.
    fn threads(response: Self::Response) -> (Vec<Self::Thread>, Option<String>);
}

macro_rules! history_request {
    ($v:ident, $feature:literal) => {
        #[cfg(feature = $feature)]
        impl HistoryRequest for lc_types::$v::customer::ListThreadsRequest {
            type Thread = lc_types::$v::customer::Thread;

            fn page(chat_id: &str, page_id: Option<String>) -> Self {
                let mut r = Self::new(chat_id);
                // `page_id` goes alone: the API refuses it with `limit` or `sort_order`.
                match page_id {
                    Some(id) => r.page_id = Some(id),
                    None => r.limit = Some(PAGE),
                }
                r
            }

            fn threads(response: Self::Response) -> (Vec<Self::Thread>, Option<String>) {
                (response.threads, response.next_page_id)
            }
        }
    };
}

history_request!(v3_5, "v3_5");
history_request!(v3_6, "v3_6");
history_request!(v3_7, "v3_7");

impl RtmClient {
    /// The threads of chat `chat_id`, newest first, fetched page by page as the stream is read
    /// (one request at a time); the stream ends with the oldest thread, or after the first
    /// error (which it yields). `R` picks the API version of the requests and thread types.
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// use lc_types::v3_6::customer::ListThreadsRequest;
    /// # async fn run(client: lc_rtm::RtmClient) -> Result<(), lc_rtm::Error> {
    /// let mut history = std::pin::pin!(client.history::<ListThreadsRequest>("PJ0MRSHTDG"));
    /// while let Some(thread) = history.next().await {
    ///     let thread = thread?;
    ///     println!("{}: {} events", thread.id, thread.events.as_ref().map_or(0, Vec::len));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn history<R: HistoryRequest>(&self, chat_id: &str) -> impl Stream<Item = Result<R::Thread, Error>> + Send + 'static {
        struct State<T> {
            client: RtmClient,
            chat_id: String,
            ready: VecDeque<T>,
            /// `None` before the first page; `Some(None)` after the last.
            next: Option<Option<String>>,
        }
        let state = State {
            client: self.clone(),
            chat_id: chat_id.to_owned(),
            ready: VecDeque::new(),
            next: None,
        };
        futures_util::stream::unfold(Some(state), |state| async move {
            let mut state = state?;
            loop {
                if let Some(thread) = state.ready.pop_front() {
                    return Some((Ok(thread), Some(state)));
                }
                let page_id = match state.next.take() {
                    None => None,
                    Some(None) => return None,
                    Some(Some(id)) => Some(id),
                };
                match state.client.call(&R::page(&state.chat_id, page_id)).await {
                    Ok(response) => {
                        let (threads, next) = R::threads(response);
                        // A page without threads ends the history even if it names a next one.
                        state.next = Some(next.filter(|_| !threads.is_empty()));
                        state.ready.extend(threads);
                    }
                    Err(e) => return Some((Err(e), None)),
                }
            }
        })
    }
}
