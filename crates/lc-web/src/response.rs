//! What the client takes from an answer besides its status: the body (read piece by piece,
//! bounded), `Retry-After`, and where a redirect points (and which redirects it follows).

use std::time::Duration;

use bytes::Bytes;
use lc_types::limits::peer_wait;
use reqwest::header::HeaderMap;

#[cfg(doc)]
use crate::{ErrorKind, WebClientBuilder};

/// The largest answer body the client reads by default: 16 MiB (the same bound as `lc-rtm`'s
/// frames). The largest real answers, `list_threads` pages of 100 threads, stay far below it.
/// A larger body (API answers, errors, and the accounts service's answers alike) fails the
/// call with [`ErrorKind::ResponseTooLarge`], which is not retried: at once, without reading
/// it, when its `Content-Length` announces more, and as soon as this much has arrived
/// otherwise. The body is read piece by piece, so what a server sends never makes the client
/// hold more than this. Change it with [`WebClientBuilder::max_response_bytes`].
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The most redirects a call follows within the API's origin (scheme, host and port);
/// a redirect to another origin is never followed, whatever the count. Past either, the call
/// fails with [`ErrorKind::Redirect`], saying where the redirect pointed.
pub const MAX_REDIRECTS: usize = 5;

/// The redirect policy of the clients this crate builds (the API's and the accounts
/// service's): follow at most [`MAX_REDIRECTS`] redirects, all to the origin of the first
/// request; stop at any other, which then reaches the caller as the 3xx answer it is.
pub(crate) fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// The `Location` of a 3xx answer (lossily decoded), when it is a redirect.
pub(crate) fn redirect_target(status: u16, headers: &HeaderMap) -> Option<String> {
    let location = headers.get(reqwest::header::LOCATION).filter(|_| (300..400).contains(&status))?;
    Some(String::from_utf8_lossy(location.as_bytes()).into_owned())
}

/// Why an answer's body was not read.
pub(crate) enum BodyError {
    /// It is (or announces to be) larger than the limit.
    TooLarge,
    /// Reading it failed.
    Transport(reqwest::Error),
}

/// The body of `response`, read piece by piece, at most `limit` bytes: refused at once when
/// its `Content-Length` announces more, and as soon as more has arrived otherwise. A body that
/// arrives in one piece is not copied.
pub(crate) async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Bytes, BodyError> {
    let announced = response.content_length();
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut len = 0usize;
    let mut first: Option<Bytes> = None;
    let mut joined: Option<bytes::BytesMut> = None;
    while let Some(piece) = response.chunk().await.map_err(BodyError::Transport)? {
        len = len.saturating_add(piece.len());
        if len > limit {
            return Err(BodyError::TooLarge);
        }
        if let Some(buf) = &mut joined {
            // Grown by doubling, but never past the limit (a body just under it must not make
            // the buffer twice as large).
            if buf.capacity() - buf.len() < piece.len() {
                let target = buf.capacity().saturating_mul(2).max(len).min(limit);
                let mut grown = bytes::BytesMut::with_capacity(target);
                grown.extend_from_slice(buf);
                *buf = grown;
            }
            buf.extend_from_slice(&piece);
        } else if let Some(head) = first.take() {
            // Announced: at most the limit; else grown as pieces come.
            let capacity = announced.map_or(len, |n| n as usize).max(len);
            let mut buf = bytes::BytesMut::with_capacity(capacity);
            buf.extend_from_slice(&head);
            buf.extend_from_slice(&piece);
            joined = Some(buf);
        } else {
            first = Some(piece);
        }
    }
    Ok(joined.map(bytes::BytesMut::freeze).or(first).unwrap_or_default())
}

/// The wait a `Retry-After` header asks for, when it gives seconds: at most
/// [`MAX_PEER_WAIT`](lc_types::limits::MAX_PEER_WAIT), one day (a number too large for any
/// clock, `u64` or not, is a day). The HTTP-date form is ignored, and the backoff applies:
/// LiveChat sends seconds, and a date would mean trusting that both clocks agree.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    peer_wait(value.parse::<u64>().map_or(f64::INFINITY, |secs| secs as f64))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn retry_after_is_seconds_clamped_to_a_day_and_nothing_else() {
        let wait = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_str(value).unwrap());
            retry_after(&headers)
        };
        let day = lc_types::limits::MAX_PEER_WAIT;
        assert_eq!(wait("120"), Some(Duration::from_secs(120)));
        assert_eq!(wait(" 5 "), Some(Duration::from_secs(5)));
        assert_eq!(wait("0"), Some(Duration::ZERO));
        assert_eq!(wait("86401"), Some(day));
        for huge in [
            "9223372036854775807",
            "18446744073709551615",
            "18446744073709551616",
            &"9".repeat(400),
        ] {
            assert_eq!(wait(huge), Some(day), "{huge}");
        }
        for ignored in ["", "-1", "1.5", "+3", "1e9", "Wed, 21 Oct 2015 07:28:00 GMT", "soon"] {
            assert_eq!(wait(ignored), None, "{ignored}");
        }
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn a_redirect_is_a_3xx_with_a_location() {
        let mut headers = HeaderMap::new();
        assert_eq!(redirect_target(302, &headers), None);
        headers.insert(reqwest::header::LOCATION, HeaderValue::from_bytes(b"http://x/\xff").unwrap());
        assert_eq!(redirect_target(302, &headers).as_deref(), Some("http://x/\u{fffd}"));
        assert_eq!(redirect_target(200, &headers), None);
        assert_eq!(redirect_target(400, &headers), None);
    }
}
