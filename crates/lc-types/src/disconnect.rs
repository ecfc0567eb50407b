//! What a client does when the server closes an RTM connection with a `customer_disconnected`
//! push: the reason's [`DisconnectPolicy`].

/// How a client reacts to a disconnect reason (reference §3.3).
///
/// Every `DisconnectReason` of every version has `policy()`, generated from the
/// `x-lc-disconnect-policy` table of its schema, so a new reason cannot be added without deciding
/// it. A client applies backoff with jitter to every reconnect, whatever the policy.
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// use lc_types::DisconnectPolicy;
/// use lc_types::v3_6::customer::DisconnectReason;
/// assert_eq!(DisconnectReason::from("access_token_expired").policy(), DisconnectPolicy::ReconnectWithNewToken);
/// assert_eq!(DisconnectReason::from("misdirected_connection").policy(), DisconnectPolicy::ReconnectInRegion);
/// assert_eq!(DisconnectReason::from("license_expired").policy(), DisconnectPolicy::Stop);
/// // A reason this crate does not know: wait, then try again, never in a tight loop.
/// assert_eq!(DisconnectReason::from("brand_new_reason").policy(), DisconnectPolicy::FOR_UNKNOWN);
/// assert!(DisconnectPolicy::FOR_UNKNOWN.reconnects());
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectPolicy {
    /// The cause is on the server's side or transient (`connection_evicted`, `connection_timeout`,
    /// `internal_error`, `service_temporarily_unavailable`, `too_many_unauthorized_connections`):
    /// reconnect with the same token, with backoff.
    Reconnect,
    /// The token expired or was revoked (`access_token_expired`, `access_token_revoked`): get a
    /// new token, then reconnect.
    ReconnectWithNewToken,
    /// Wrong region (`misdirected_connection`): reconnect to the region the push names in
    /// `data.region`; without one, do not reconnect.
    ReconnectInRegion,
    /// The customer reconnected too often (`customer_temporarily_blocked`): wait (for the timeout
    /// in `data` when there is one, else a long backoff), then reconnect. Also the policy of a
    /// reason this crate does not know ([`DisconnectPolicy::FOR_UNKNOWN`]).
    WaitThenReconnect,
    /// Nothing will change by itself (`inactivity_timeout`, `users_limit_reached`): stay
    /// disconnected until the user does something (opens the chat, sends a message).
    ReconnectOnUserIntent,
    /// Reconnecting cannot help (`license_not_found`, `license_expired`, `unsupported_version`,
    /// `too_many_connections`, `logged_out_remotely`, `customer_banned`,
    /// `product_version_changed`, and `identity_mismatch`, the customer-sdk's own reason for a
    /// login as another customer than the first one): close for good and tell the user.
    Stop,
}

impl DisconnectPolicy {
    /// The policy of a reason this crate does not know. Conservative: the server closed the
    /// connection for a reason that may or may not be lasting, so the client neither gives up
    /// (a new reason must not turn into an outage) nor reconnects at once (it must not hammer a
    /// server that asked it to go); it waits with a long backoff, then tries again.
    pub const FOR_UNKNOWN: DisconnectPolicy = DisconnectPolicy::WaitThenReconnect;

    /// Whether a client reconnects without the user doing anything (every policy but
    /// [`ReconnectOnUserIntent`](Self::ReconnectOnUserIntent) and [`Stop`](Self::Stop)).
    pub fn reconnects(&self) -> bool {
        !matches!(self, DisconnectPolicy::ReconnectOnUserIntent | DisconnectPolicy::Stop)
    }
}

#[cfg(all(test, feature = "v3_6", feature = "customer"))]
mod tests {
    use super::DisconnectPolicy::{self, *};
    use crate::v3_6::customer::DisconnectReason;

    /// Reference §3.3, row by row: the "suggested client behaviour" column as a policy.
    const TABLE: &[(&str, DisconnectPolicy)] = &[
        ("access_token_revoked", ReconnectWithNewToken),
        ("access_token_expired", ReconnectWithNewToken),
        ("connection_evicted", Reconnect),
        ("connection_timeout", Reconnect),
        ("internal_error", Reconnect),
        ("license_not_found", Stop),
        ("license_expired", Stop),
        ("misdirected_connection", ReconnectInRegion),
        ("unsupported_version", Stop),
        ("service_temporarily_unavailable", Reconnect),
        ("too_many_connections", Stop),
        ("too_many_unauthorized_connections", Reconnect),
        ("logged_out_remotely", Stop),
        ("customer_banned", Stop),
        ("customer_temporarily_blocked", WaitThenReconnect),
        ("inactivity_timeout", ReconnectOnUserIntent),
        ("product_version_changed", Stop),
        ("users_limit_reached", ReconnectOnUserIntent),
        // §3.3's last row: the customer-sdk's own reason (a login as another customer than the
        // first one); the SDK destroys the instance on it.
        ("identity_mismatch", Stop),
    ];

    #[test]
    fn every_known_reason_has_the_documented_policy() {
        assert_eq!(TABLE.len(), DisconnectReason::KNOWN.len(), "a reason is missing from this table");
        for (reason, policy) in TABLE {
            assert!(!DisconnectReason::from(*reason).is_unknown(), "{reason}");
            assert_eq!(DisconnectReason::from(*reason).policy(), *policy, "{reason}");
        }
        assert_eq!(DisconnectReason::from("connection_lost").policy(), DisconnectPolicy::FOR_UNKNOWN);
        assert!(!Stop.reconnects() && !ReconnectOnUserIntent.reconnects());
        assert!(Reconnect.reconnects() && WaitThenReconnect.reconnects() && ReconnectInRegion.reconnects());
    }
}
