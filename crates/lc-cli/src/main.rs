#![doc = include_str!("../README.md")]

/// `println!` that ignores a closed stdout (e.g. `lc actions | head`) instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// `eprintln!` that ignores a closed stderr and shows the line as [`crate::safe_line`] does:
/// what goes to stderr carries text from peers (error messages, close reasons, field names).
macro_rules! err {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), "{}", $crate::safe_line(&format!($($t)*)));
    }};
}

mod actions;
mod call;
mod connection;
mod decode;
mod demo;
mod listen;
mod mock;
mod signal;
mod webhooks;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use lc_types::{Api, ApiVersion, ChatApi};

/// How a command ends: every exit code of `lc`, named once. `lc --help` lists them
/// ([`exit_codes`]), and the README's table shows the same words (a test compares them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Success,
    /// 1: the command was understood but could not do its work.
    Runtime,
    /// 2: the command line asks for something that does not exist, or gives a bad file.
    Usage,
    /// 3: `--strict`, and the input held something the schema does not know.
    Strict,
    /// 4: the API refused: an error answer, a refused login, an RTM session ended for good.
    Refused,
}

impl Exit {
    /// Every exit code, in order.
    pub const ALL: [Exit; 5] = [Exit::Success, Exit::Runtime, Exit::Usage, Exit::Strict, Exit::Refused];

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Runtime => 1,
            Exit::Usage => 2,
            Exit::Strict => 3,
            Exit::Refused => 4,
        }
    }

    /// What it means, as `--help` and the README say it.
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Success => "success",
            Exit::Runtime => {
                "the work failed: input that does not decode (the message names the JSON path) or is not JSON, a connection or \
                 transport error, a port that cannot be listened on, a demo step that did not behave as documented (the message \
                 names the step)"
            }
            Exit::Usage => {
                "usage error: unknown command, option, kind, action, push, type or API version; a missing option; a missing, \
                 unreadable or invalid file given as an option (`lc mock --tls-cert/--tls-key`)"
            }
            Exit::Strict => "`--strict`, and the input held something the schema does not know (it is still printed)",
            Exit::Refused => {
                "the API answered with an error, refused the login or ended the RTM session for good (its type and message are \
                 printed)"
            }
        }
    }
}

/// The exit codes as `lc --help` ends: `Exit codes:`, then each code and its meaning (without
/// Markdown's backticks), wrapped at 92 columns.
fn exit_codes() -> String {
    let mut text = String::from("Exit codes:");
    for exit in Exit::ALL {
        let mut line = format!("\n  {}  ", exit.code());
        for word in exit.meaning().replace('`', "").split(' ') {
            if line.len() + word.len() > 92 {
                text.push_str(line.trim_end());
                line = String::from("\n     ");
            }
            line.push_str(word);
            line.push(' ');
        }
        text.push_str(line.trim_end());
    }
    text
}

/// lc: the LiveChat Customer and Agent Chat APIs from a shell: a demo, calls, a live connection, a mock,
/// and a decoder that shows what the schema does not know.
#[derive(Parser)]
#[command(name = "lc", version, arg_required_else_help = true, after_help = exit_codes())]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Demo(demo::DemoArgs),
    Call(call::CallArgs),
    Listen(listen::ListenArgs),
    Webhooks(webhooks::WebhooksArgs),
    Mock(mock::MockArgs),
    Decode(decode::DecodeArgs),
    Actions(actions::ActionsArgs),
    Completions(CompletionsArgs),
}

/// Print the shell completion script of `lc` (source it from your shell's startup file).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  lc completions bash > ~/.local/share/bash-completion/completions/lc\n  lc completions zsh > \"${fpath[1]}/_lc\"\n  lc completions fish > ~/.config/fish/completions/lc.fish"
)]
struct CompletionsArgs {
    /// The shell.
    shell: clap_complete::Shell,
}

/// A failure that ends the command with an exit code and a message on stderr.
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// What went wrong, for stderr.
    pub message: String,
}

impl Failure {
    /// Ends with `exit`, saying `message`.
    pub fn new(exit: Exit, message: impl Into<String>) -> Failure {
        Failure {
            exit,
            message: message.into(),
        }
    }

    /// [`Exit::Usage`]: the command line asks for something that does not exist.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(Exit::Usage, message)
    }

    /// [`Exit::Runtime`]: the command was understood but could not do its work.
    pub fn runtime(message: impl Into<String>) -> Failure {
        Failure::new(Exit::Runtime, message)
    }
}

/// The most characters of one stderr line; the rest is cut, saying how many bytes were left out.
pub const MAX_LINE_CHARS: usize = 4000;

/// A line for the terminal: control characters (ANSI/OSC escapes, carriage returns, line
/// breaks) and bidirectional overrides escaped, cut at [`MAX_LINE_CHARS`]. The messages lc
/// writes itself hold none of them, so only a peer's text changes.
pub fn safe_line(text: &str) -> String {
    lc_types::PeerText::new(text).max(MAX_LINE_CHARS).to_string()
}

/// `value` as JSON text for a terminal: serde_json escapes the C0 controls in strings; this
/// also writes DEL, the C1 controls (CSI among them) and the bidirectional overrides as
/// `\uXXXX`, which is the same JSON.
pub fn safe_json(value: &serde_json::Value, pretty: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .unwrap_or_default();
    // The C0 controls in JSON text are whitespace between tokens (serde_json escapes them in
    // strings); every other character a terminal would act on is escaped here.
    let unsafe_char = |c: char| c >= '\u{7f}' && lc_types::PeerText::is_unsafe(c);
    if !text.contains(unsafe_char) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// `--api-version X.Y`.
pub fn parse_version(text: &str) -> Result<ApiVersion, String> {
    text.parse::<ApiVersion>().map_err(|e| e.to_string())
}

/// `--api customer|agent`.
pub fn parse_chat_api(text: &str) -> Result<ChatApi, String> {
    text.parse::<ChatApi>().map_err(|e| e.to_string())
}

/// The tables of `api` in `version`, or a usage failure naming the versions this build has.
pub fn api_of(api: ChatApi, version: ApiVersion) -> Result<&'static Api, Failure> {
    lc_types::api(api, version).ok_or_else(|| {
        let known: Vec<String> = lc_types::apis()
            .iter()
            .filter(|a| a.api == api)
            .map(|a| a.version.to_string())
            .collect();
        Failure::usage(format!(
            "unsupported API version {version} of the {} (this build has: {})",
            api.title(),
            known.join(", ")
        ))
    })
}

/// A multi-threaded tokio runtime for the commands that do I/O.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the async runtime: {e}")))
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Call(args) => call::run(args),
        Command::Listen(args) => listen::run(args),
        Command::Webhooks(args) => webhooks::run(args),
        Command::Mock(args) => mock::run(args),
        Command::Decode(args) => decode::run(args),
        Command::Actions(args) => actions::run(args),
        Command::Completions(args) => {
            // Into a buffer, then out: a closed stdout (`| head`) is not an error.
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "lc", &mut script);
            use std::io::Write as _;
            let _ = std::io::stdout().lock().write_all(&script);
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2.
            let _ = e.print();
            let exit = if e.use_stderr() { Exit::Usage } else { Exit::Success };
            return ExitCode::from(exit.code());
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::from(Exit::Success.code()),
        Err(f) => {
            err!("lc: {}", f.message);
            ExitCode::from(f.exit.code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's table of exit codes, row by row: (code, meaning).
    fn documented_exit_codes() -> Vec<(u8, String)> {
        let readme = include_str!("../README.md");
        let table = &readme[readme.find("Exit codes (every command):").expect("the README's exit codes")..];
        table
            .lines()
            .skip_while(|l| !l.starts_with("| 0 |"))
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| {
                let (code, meaning) = l.trim_matches('|').split_once('|')?;
                Some((code.trim().parse().ok()?, meaning.trim().to_owned()))
            })
            .collect()
    }

    /// The README lists the exit codes `--help` lists, in the same words.
    #[test]
    fn the_readme_lists_the_exit_codes() {
        let named: Vec<(u8, String)> = Exit::ALL.iter().map(|e| (e.code(), e.meaning().to_owned())).collect();
        assert_eq!(documented_exit_codes(), named);
    }

    #[test]
    fn the_help_lists_every_exit_code_whole() {
        let help = exit_codes();
        assert!(help.lines().all(|l| l.len() <= 92), "{help}");
        let words = |t: &str| t.replace('`', "").split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let listed: Vec<String> = Exit::ALL
            .iter()
            .flat_map(|e| [vec![e.code().to_string()], words(e.meaning())].concat())
            .collect();
        assert_eq!(words(help.strip_prefix("Exit codes:").unwrap()), listed);
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn peer_text_reaches_the_terminal_escaped_and_cut() {
        assert_eq!(
            safe_line("refused: \u{1b}]0;pwned\u{7}\nlc: fake line"),
            r"refused: \u{1b}]0;pwned\u{7}\nlc: fake line"
        );
        let long = "x".repeat(15 << 20);
        assert!(safe_line(&long).len() < MAX_LINE_CHARS + 40);
        let value = serde_json::json!({"text": "a\u{1b}[2J\u{9b}31m\u{202e}b", "k\u{85}": 1});
        let text = safe_json(&value, false);
        assert_eq!(text, r#"{"k\u0085":1,"text":"a\u001b[2J\u009b31m\u202eb"}"#);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value, "the same JSON");
        assert!(!text.chars().any(|c| c.is_control()));
    }
}
