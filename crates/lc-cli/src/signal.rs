//! Stopping cleanly on Ctrl-C and SIGTERM.

use crate::Failure;

/// Ctrl-C (SIGINT) and, on Unix, SIGTERM; both handlers are installed when it is created.
#[cfg(unix)]
pub(crate) struct Stop {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Stop {
    pub(crate) fn new() -> Result<Stop, Failure> {
        use tokio::signal::unix::{signal, SignalKind};
        let listen = |kind: SignalKind, name: &str| signal(kind).map_err(|e| Failure::runtime(format!("cannot listen for {name}: {e}")));
        Ok(Stop {
            int: listen(SignalKind::interrupt(), "SIGINT")?,
            term: listen(SignalKind::terminate(), "SIGTERM")?,
        })
    }

    /// Waits for the next signal and names it.
    pub(crate) async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.int.recv() => "interrupted",
            _ = self.term.recv() => "terminated",
        }
    }
}

/// Ctrl-C.
#[cfg(not(unix))]
pub struct Stop;

#[cfg(not(unix))]
impl Stop {
    pub fn new() -> Result<Stop, Failure> {
        Ok(Stop)
    }

    /// Waits for the next Ctrl-C.
    pub async fn next(&mut self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "interrupted"
    }
}
