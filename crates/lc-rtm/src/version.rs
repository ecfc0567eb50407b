//! [`per_version!`]: code written once against the typed requests of `lc-types`, run for the
//! connection's API version, which is chosen at run time.

/// `per_version!(version, |v| { body })`: runs `body` with `v` naming the module of `lc-types`
/// for `version` (an [`ApiVersion`](lc_types::ApiVersion) value), as `use lc_types::v3_6 as
/// v;`, for each version this build has (cargo features `v3_5`, `v3_6`, `v3_7`). `body` gives
/// a `Result<_, Error>`; any other version gives an [`ErrorKind::Version`](crate::ErrorKind)
/// error.
///
/// `per_version!(agent, version, |v| { body })` does the same with `v` naming the version's Agent
/// Chat API module (`lc_types::v3_6::agent`; cargo feature `agent`).
macro_rules! per_version {
    (agent, $version:expr, |$v:ident| $body:block) => {
        match $version {
            #[cfg(all(feature = "agent", feature = "v3_5"))]
            lc_types::ApiVersion::V3_5 => {
                use lc_types::v3_5::agent as $v;
                $body
            }
            #[cfg(all(feature = "agent", feature = "v3_6"))]
            lc_types::ApiVersion::V3_6 => {
                use lc_types::v3_6::agent as $v;
                $body
            }
            #[cfg(all(feature = "agent", feature = "v3_7"))]
            lc_types::ApiVersion::V3_7 => {
                use lc_types::v3_7::agent as $v;
                $body
            }
            other => Err($crate::error::Error::with_source(
                $crate::error::ErrorKind::Version,
                format!("the Agent Chat API {other} is not compiled into lc-rtm (cargo features `agent` and the version)"),
            )),
        }
    };
    ($version:expr, |$v:ident| $body:block) => {
        match $version {
            #[cfg(feature = "v3_5")]
            lc_types::ApiVersion::V3_5 => {
                use lc_types::v3_5::customer as $v;
                $body
            }
            #[cfg(feature = "v3_6")]
            lc_types::ApiVersion::V3_6 => {
                use lc_types::v3_6::customer as $v;
                $body
            }
            #[cfg(feature = "v3_7")]
            lc_types::ApiVersion::V3_7 => {
                use lc_types::v3_7::customer as $v;
                $body
            }
            other => Err($crate::error::Error::with_source(
                $crate::error::ErrorKind::Version,
                format!("API version {other} is not compiled into lc-rtm (cargo feature)"),
            )),
        }
    };
}

pub(crate) use per_version;
