//! [`PeerText`]: text a peer sent (an error message, a close reason), safe to show.

use std::fmt;

/// Text that came from a peer, displayed safely: control characters (the ESC of ANSI/OSC
/// sequences, carriage returns, line breaks) and the bidirectional overrides that reorder a
/// terminal line are escaped as `\u{1b}`, `\n`, …, and text longer than [`PeerText::DEFAULT_MAX`]
/// characters (or the limit given) is cut, saying how many bytes were left out. The raw text
/// stays with whoever holds it; this only decides what a `Display` shows.
///
/// ```
/// use lc_types::PeerText;
/// assert_eq!(PeerText::new("no\u{1b}[2J such chat\n").to_string(), r"no\u{1b}[2J such chat\n");
/// let long = "x".repeat(5000);
/// assert_eq!(PeerText::new(&long).max(3).to_string(), "xxx… (4997 more bytes)");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct PeerText<'a> {
    text: &'a str,
    max: usize,
}

impl<'a> PeerText<'a> {
    /// The characters shown by default: 1,000.
    pub const DEFAULT_MAX: usize = 1000;

    /// `text`, shown escaped and cut at [`PeerText::DEFAULT_MAX`] characters.
    pub fn new(text: &'a str) -> Self {
        PeerText {
            text,
            max: Self::DEFAULT_MAX,
        }
    }

    /// At most `max` characters of the text are shown.
    pub fn max(mut self, max: usize) -> Self {
        self.max = max;
        self
    }

    /// Whether `c` must not reach a terminal as it is: a control character (C0, DEL, C1) or a
    /// bidirectional mark, embedding, override or isolate.
    ///
    /// ```
    /// use lc_types::PeerText;
    /// assert!(PeerText::is_unsafe('\u{1b}') && PeerText::is_unsafe('\u{9b}') && PeerText::is_unsafe('\u{202e}'));
    /// assert!(!PeerText::is_unsafe('é'));
    /// ```
    pub fn is_unsafe(c: char) -> bool {
        c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
    }
}

impl fmt::Display for PeerText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cut = self.text.char_indices().nth(self.max).map_or(self.text.len(), |(i, _)| i);
        let shown = &self.text[..cut];
        let mut rest = shown;
        while let Some(i) = rest.find(PeerText::is_unsafe) {
            f.write_str(&rest[..i])?;
            let c = rest[i..].chars().next().expect("found at i");
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c => write!(f, "\\u{{{:x}}}", c as u32)?,
            }
            rest = &rest[i + c.len_utf8()..];
        }
        f.write_str(rest)?;
        if cut < self.text.len() {
            write!(f, "… ({} more bytes)", self.text.len() - cut)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::PeerText;

    #[test]
    fn escapes_what_a_terminal_would_act_on_and_cuts_long_text() {
        assert_eq!(PeerText::new("plain text").to_string(), "plain text");
        assert_eq!(PeerText::new("\u{1b}]0;title\u{7}").to_string(), r"\u{1b}]0;title\u{7}");
        assert_eq!(PeerText::new("a\r\tb\u{202e}c\u{9b}").to_string(), r"a\r\tb\u{202e}c\u{9b}");
        assert_eq!(PeerText::new("ééé").max(2).to_string(), "éé… (2 more bytes)");
        assert_eq!(PeerText::new("abc").max(3).to_string(), "abc");
        let huge = "\u{1b}".repeat(16 << 20);
        let shown = PeerText::new(&huge).to_string();
        assert!(shown.len() < 8 * 1000 + 40, "{}", shown.len());
        assert!(shown.ends_with(&format!("… ({} more bytes)", (16 << 20) - 1000)));
    }
}
