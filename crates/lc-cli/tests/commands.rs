//! `lc demo`, `lc call`, `lc listen`, `lc decode` on files and NDJSON, help, version and
//! completions, run as a user runs them (the binary, stdin/stdout/stderr, exit codes), against
//! an `lc mock` started by the binary too.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::lc;

/// A running `lc mock --json` and what it printed.
struct Mock {
    child: Child,
    info: Value,
}

impl Mock {
    fn start() -> Mock {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lc"))
            .args(["mock", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        Mock {
            child,
            info: serde_json::from_str(&line).unwrap(),
        }
    }

    /// The environment `lc call`/`lc listen` read: the mock's base URL, organization and token.
    fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("LC_BASE_URL", self.info["base_url"].as_str().unwrap()),
            ("LC_ORGANIZATION_ID", self.info["organization_id"].as_str().unwrap()),
            ("LC_TOKEN", self.info["token"].as_str().unwrap()),
        ]
    }

    fn token(&self) -> &str {
        self.info["token"].as_str().unwrap()
    }

    /// The ID of the customer of [`Mock::token`], asked with `lc call get_customer`.
    fn customer_id(&self) -> String {
        let me = lc(&["call", "get_customer", "{}", "--compact"], &self.env(), "");
        let me: Value = serde_json::from_str(&me.stdout).unwrap();
        me["id"].as_str().unwrap().to_owned()
    }

    /// A new agent of the mock (`POST /_lc/agents`): `{agent_id, account_id, token, pat}`.
    fn issue_agent(&self, id: &str, name: &str) -> Value {
        let agent = self.control("POST", "agents", &serde_json::json!({"id": id, "name": name}).to_string());
        assert!(agent["pat"].is_string() && agent["token"].is_string(), "{agent}");
        agent
    }

    fn base_url(&self) -> &str {
        self.info["base_url"].as_str().unwrap()
    }

    /// The close codes of the Close frames RTM clients sent (`GET /_lc/closes`).
    fn client_closes(&self) -> Vec<Option<u16>> {
        serde_json::from_value(self.control("GET", "closes", "")["closes"].clone()).unwrap()
    }

    /// One request to the mock's control API (`/_lc/<path>`); the answer as JSON.
    fn control(&self, method: &str, path: &str, body: &str) -> Value {
        let control = self.info["control_url"].as_str().unwrap();
        let rest = control.strip_prefix("http://").unwrap();
        let (host, prefix) = rest.split_at(rest.find('/').unwrap());
        let mut stream = std::net::TcpStream::connect(host).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            stream,
            "{method} {prefix}/{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let body = answer.split_once("\r\n\r\n").expect("a head and a body").1;
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"))
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn demo_plays_the_whole_story_in_every_version() {
    for version in ["3.5", "3.6", "3.7"] {
        let r = lc(&["demo", "--api-version", version], &[], "");
        assert_eq!(r.code, 0, "v{version}: {}\n{}", r.stdout, r.stderr);
        let verdict = if version == "3.5" {
            "every step behaved as documented (14 steps, 1 part(s) skipped: thinking indicator)"
        } else {
            "every step behaved as documented (14 steps)"
        };
        assert!(r.stdout.contains(verdict), "{}", r.stdout);
        assert!(!r.stdout.contains('\x1b'), "no colour when stdout is not a terminal");
        for line in [
            "← incoming_greeting",
            "→ accept_greeting (RTM)",
            "→ upload_file (Web",
            "← queue_position_updated",
            "reconnected",
            "← chat_deactivated",
        ] {
            assert!(r.stdout.contains(line), "v{version} lacks `{line}`:\n{}", r.stdout);
        }
        assert!(r.stdout.contains("unknown fields    0"), "{}", r.stdout);
        let skipped = r.stdout.contains("no thinking indicator in v3.5: skipped");
        assert_eq!(skipped, version == "3.5", "{}", r.stdout);
        // The bot acts over the Agent Chat API's RTM API; the control API only greets, sets a
        // group's status, queues, and disconnects, and says why.
        for action in [
            "list_chats",
            "add_user_to_chat",
            "send_typing_indicator",
            "send_event",
            "transfer_chat",
            "get_chat",
            "deactivate_chat",
        ] {
            let line = format!("bot → {action} (Agent RTM API)");
            assert!(r.stdout.contains(&line), "v{version} lacks `{line}`:\n{}", r.stdout);
        }
        let thinking = r.stdout.contains("bot → send_thinking_indicator (Agent RTM API)");
        assert_eq!(thinking, version != "3.5", "{}", r.stdout);
        assert!(r.stdout.contains("bot sees the customer's message, file"), "{}", r.stdout);
        let agent = if version == "3.5" { 8 } else { 9 };
        let line = format!(
            "bot actions       {agent} (Agent RTM API: add_user_to_chat ×1, deactivate_chat ×1, get_chat ×1, list_chats ×1, send_event ×2"
        );
        assert!(r.stdout.contains(&line), "v{version} lacks `{line}`:\n{}", r.stdout);
        assert!(
            r.stdout
                .contains("control API       5 (disconnect ×1, greet ×1, set_group_status ×1, transfer ×1, update_queue ×1)"),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains("control greet: no Agent API action greets"), "{}", r.stdout);
    }
}

#[test]
fn demo_json_gives_one_object_per_step_then_the_summary() {
    let r = lc(&["demo", "--json", "--api-version", "3.5"], &[], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 15);
    for (i, step) in lines[..14].iter().enumerate() {
        assert_eq!(
            (step["step"].as_u64(), step["status"].as_str()),
            (Some(i as u64 + 1), Some("ok")),
            "{step}"
        );
    }
    let s = &lines[14]["summary"];
    assert_eq!(
        (s["ok"].as_bool(), s["unknown_fields"].as_u64(), s["reconnects"].as_u64()),
        (Some(true), Some(0), Some(1)),
        "{s}"
    );
    assert_eq!(s["skipped"], serde_json::json!(["thinking indicator"]));
    assert_eq!(s["web_actions"]["upload_file"], 1);
    assert!(s["pushes"]["incoming_event"].as_u64().unwrap() >= 4, "{s}");
    // Each step names the agent's calls by API: the bot's Agent RTM API actions, the control API's.
    let step = |name: &str| {
        lines
            .iter()
            .find(|l| l["name"] == name)
            .unwrap_or_else(|| panic!("no step `{name}`"))
    };
    for (name, agent, control) in [
        ("a greeting", &[][..], &["greet"][..]),
        ("the bot joins", &["list_chats", "add_user_to_chat"], &[]),
        ("typing and thinking indicators", &["send_typing_indicator"], &[]),
        ("the bot answers", &["send_event"], &[]),
        ("a rich message answered with a postback", &["send_event"], &[]),
        (
            "a transfer through the queue",
            &["transfer_chat"],
            &["set_group_status", "transfer", "update_queue"],
        ),
        ("read the history back", &["get_chat"], &[]),
        ("a server disconnect, survived", &[], &["disconnect"]),
        ("the bot closes the chat", &["deactivate_chat"], &[]),
    ] {
        let step = step(name);
        assert_eq!(step["agent_rtm"], serde_json::json!(agent), "{step}");
        assert_eq!(step["control"], serde_json::json!(control), "{step}");
        for a in agent {
            assert!(
                step["actions"].as_array().unwrap().contains(&Value::from(format!("agent_rtm:{a}"))),
                "{step}"
            );
        }
    }
    assert_eq!(
        s["agent_rtm_actions"],
        serde_json::json!({
            "add_user_to_chat": 1, "deactivate_chat": 1, "get_chat": 1, "list_chats": 1,
            "send_event": 2, "send_typing_indicator": 1, "transfer_chat": 1,
        }),
        "{s}"
    );
    assert_eq!(
        s["control_actions"],
        serde_json::json!({"disconnect": 1, "greet": 1, "set_group_status": 1, "transfer": 1, "update_queue": 1}),
        "no agent action goes through the control API: {s}"
    );
}

#[test]
fn demo_json_in_3_6_has_the_bots_thinking_indicator_over_the_agent_rtm_api() {
    let r = lc(&["demo", "--json"], &[], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<Value> = r.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let typing = lines.iter().find(|l| l["name"] == "typing and thinking indicators").unwrap();
    assert_eq!(
        typing["agent_rtm"],
        serde_json::json!(["send_typing_indicator", "send_thinking_indicator"]),
        "{typing}"
    );
    assert_eq!(
        typing["pushes"],
        serde_json::json!(["incoming_typing_indicator", "incoming_thinking_indicator"])
    );
    let s = &lines.last().unwrap()["summary"];
    assert_eq!(
        (s["ok"].as_bool(), s["agent_rtm_actions"]["send_thinking_indicator"].as_u64()),
        (Some(true), Some(1)),
        "{s}"
    );
}

#[test]
fn call_sends_one_request_and_prints_the_typed_response() {
    let mock = Mock::start();
    let env = mock.env();
    let r = lc(&["call", "get_customer"], &env, "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["type"], "customer");
    assert!(r.stdout.lines().count() > 1, "pretty by default");

    let started = lc(
        &["call", "start_chat", "-", "--compact"],
        &env,
        r#"{"chat":{"thread":{"events":[{"type":"message","text":"Hi"}]}}}"#,
    );
    assert_eq!(started.code, 0, "{}", started.stderr);
    assert_eq!(started.stdout.lines().count(), 1);
    let chat: Value = serde_json::from_str(&started.stdout).unwrap();
    let chat_id = chat["chat_id"].as_str().unwrap();

    // Over RTM, and from a file.
    let file = std::env::temp_dir().join(format!("lc-call-{}.json", std::process::id()));
    std::fs::write(&file, format!(r#"{{"chat_id":"{chat_id}"}}"#)).unwrap();
    let threads = lc(
        &["call", "list_threads", &format!("@{}", file.display()), "--rtm", "--compact"],
        &env,
        "",
    );
    assert_eq!(threads.code, 0, "{}", threads.stderr);
    let threads: Value = serde_json::from_str(&threads.stdout).unwrap();
    assert_eq!(threads["threads"][0]["events"][0]["text"], "Hi");
    std::fs::remove_file(file).unwrap();

    // The API's refusal: its type and message, exit 4; the token appears nowhere.
    let refused = lc(&["call", "get_chat", r#"{"chat_id":"NOSUCHCHAT"}"#], &env, "");
    assert_eq!(refused.code, 4, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("the API refused `get_chat`: not_found"),
        "{}",
        refused.stderr
    );
    for run in [&r, &started, &refused] {
        assert!(!run.stdout.contains(mock.token()) && !run.stderr.contains(mock.token()));
    }
    // A request its type refuses is never sent: exit 1 with the path.
    let bad = lc(
        &["call", "send_event", r#"{"chat_id":"C","event":{"type":"message","text":5}}"#],
        &env,
        "",
    );
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("event.text"), "{}", bad.stderr);
    // Usage errors: exit 2.
    for args in [
        &["call", "no_such_action"][..],
        &["call", "login"],
        &["call", "login", "{}", "--rtm"],
        &["call", "check_goals", "{}", "--rtm"],
        &["call", "upload_file"],
    ] {
        let u = lc(args, &env, "");
        assert_eq!(u.code, 2, "{args:?}: {}", u.stderr);
    }
    let not_json = lc(&["call", "get_customer", "{"], &env, "");
    assert_eq!(not_json.code, 1);
    assert!(not_json.stderr.contains("the request is not JSON"), "{}", not_json.stderr);
}

#[test]
fn call_reports_refusals_alike_over_both_transports_and_says_why_a_connection_failed() {
    let mock = Mock::start();
    let mut env = mock.env();
    env.retain(|(k, _)| *k != "LC_TOKEN");
    env.push(("LC_TOKEN", "dal:not-a-token-of-this-mock"));
    for transport in [&["call", "get_customer"][..], &["call", "get_customer", "{}", "--rtm"]] {
        let r = lc(transport, &env, "");
        assert_eq!(r.code, 4, "{transport:?}: {}", r.stderr);
        assert!(r.stderr.contains("authentication"), "{transport:?}: {}", r.stderr);
        assert!(!r.stderr.contains("not-a-token"), "the token is never printed: {}", r.stderr);
    }
    // Nothing listens there: the cause is said, with the URL.
    let dead = [
        ("LC_BASE_URL", "http://127.0.0.1:9"),
        ("LC_ORGANIZATION_ID", "o"),
        ("LC_TOKEN", "dal:x"),
    ];
    let web = lc(&["call", "get_customer"], &dead, "");
    assert_eq!(web.code, 1);
    assert!(web.stderr.to_lowercase().contains("connect"), "{}", web.stderr);
    // A URL that answers the upgrade with 404: the RTM client stops at once and says why.
    let mut wrong = mock.env();
    let path = format!("{}/no/such/prefix", mock.info["base_url"].as_str().unwrap());
    wrong.retain(|(k, _)| *k != "LC_BASE_URL");
    let r = lc(&["call", "get_customer", "{}", "--rtm", "--base-url", &path], &wrong, "");
    assert_eq!(r.code, 2, "a base URL with a path is a usage error: {}", r.stderr);
    // Unknown request fields are sent, with a warning.
    let typo = lc(&["call", "get_customer", r#"{"mood":"new"}"#], &mock.env(), "");
    assert_eq!(typo.code, 0, "{}", typo.stderr);
    assert!(typo.stderr.contains("unknown field `mood`"), "{}", typo.stderr);
    // An empty token is a usage error.
    let mut empty = mock.env();
    empty.retain(|(k, _)| *k != "LC_TOKEN");
    empty.push(("LC_TOKEN", ""));
    assert_eq!(lc(&["call", "get_customer"], &empty, "").code, 2);
}

#[test]
fn completions_into_a_closed_pipe_do_not_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lc"))
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn call_without_a_token_says_which_option_is_missing() {
    let r = lc(&["call", "get_customer", "--organization-id", "o"], &[], "");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--token"), "{}", r.stderr);
}

#[test]
fn listen_prints_pushes_as_ndjson_and_stops_on_sigterm() {
    let mock = Mock::start();
    let env = mock.env();
    let mut listen = Command::new(env!("CARGO_BIN_EXE_lc"))
        .args(["listen", "--ndjson"])
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(listen.stdout.take().unwrap());
    // Wait for the login (on stderr), then start a chat from another `lc`.
    let mut stderr = BufReader::new(listen.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.contains("connected"), "{first}");
    let started = lc(&["call", "start_chat", "{}", "--rtm"], &env, "");
    assert_eq!(started.code, 0, "{}", started.stderr);
    // `lc call --rtm` closed its connection as RFC 6455 asks: a Close with 1000.
    assert_eq!(mock.client_closes(), [Some(1000)]);
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let push: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (push["action"].as_str(), push["version"].as_str()),
        (Some("incoming_chat"), Some("3.6")),
        "{line}"
    );
    assert!(push["payload"]["chat"]["id"].is_string(), "{line}");

    assert!(Command::new("kill")
        .args(["-TERM", &listen.id().to_string()])
        .status()
        .unwrap()
        .success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = listen.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "lc listen still runs after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("terminated, closing the connection"), "{rest}");
    assert!(!rest.contains(mock.token()));
    assert_eq!(mock.client_closes(), [Some(1000), Some(1000)], "lc listen closes with 1000 too");
}

/// `lc listen --agent`: an agent's connection (its PAT), every push as NDJSON: the
/// `incoming_customers` after login, then the `incoming_chat` of a customer's new chat.
#[test]
fn listen_agent_prints_the_agents_pushes() {
    let mock = Mock::start();
    let agent = mock.issue_agent("ann@example.com", "Ann");
    let pat = format!("{}:{}", agent["account_id"].as_str().unwrap(), agent["pat"].as_str().unwrap());
    let env = [("LC_BASE_URL", mock.base_url()), ("LC_PAT", pat.as_str())];
    let mut listen = Command::new(env!("CARGO_BIN_EXE_lc"))
        .args(["listen", "--agent", "--ndjson"])
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(listen.stdout.take().unwrap());
    let mut stderr = BufReader::new(listen.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.contains("connected"), "{first}");
    let started = lc(&["call", "start_chat", "{}", "--rtm"], &mock.env(), "");
    assert_eq!(started.code, 0, "{}", started.stderr);
    let mut names = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let push: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(push["version"], "3.6", "{line}");
        names.push(push["action"].as_str().unwrap_or_default().to_owned());
        if push["action"] == "incoming_chat" {
            assert!(push["payload"]["chat"]["id"].is_string(), "{line}");
        }
    }
    assert_eq!(names, ["incoming_customers", "incoming_chat"]);
    assert!(Command::new("kill")
        .args(["-TERM", &listen.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = listen.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(!rest.contains(agent["pat"].as_str().unwrap()), "{rest}");
}

#[test]
fn listen_with_a_refused_token_exits_4_as_call_does() {
    let mock = Mock::start();
    let mut env = mock.env();
    env.retain(|(k, _)| *k != "LC_TOKEN");
    env.push(("LC_TOKEN", "dal:not-a-token-of-the-mock"));
    for args in [&["listen"][..], &["call", "get_customer", "--rtm"]] {
        let r = lc(args, &env, "");
        assert_eq!(r.code, 4, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("the API refused `login`: authentication"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn decode_reads_files_and_ndjson_streams_line_by_line() {
    let dir = std::env::temp_dir().join(format!("lc-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let one = dir.join("access.json");
    std::fs::write(&one, r#"{"group_ids": [0]}"#).unwrap();
    let r = lc(&["decode", "type", "Access", one.to_str().unwrap()], &[], "");
    assert_eq!((r.code, r.stdout.trim()), (0, r#"{"group_ids":[0]}"#), "{}", r.stderr);

    let frames = dir.join("frames.ndjson");
    std::fs::write(
        &frames,
        concat!(
            r#"{"version":"3.6","action":"greeting_accepted","type":"push","payload":{"unique_id":"u1"}}"#,
            "\n\n",
            "this is not JSON\n",
            r#"{"version":"3.6","action":"greeting_accepted","type":"push","payload":{"unique_id":"u2","mood":"new"}}"#,
            "\n",
            r#"{"version":"3.6","action":"incoming_chat","type":"push","payload":{}}"#,
            "\n"
        ),
    )
    .unwrap();
    let r = lc(&["decode", "--ndjson", "frame", frames.to_str().unwrap()], &[], "");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 2, "the two good lines are printed: {}", r.stdout);
    assert!(r.stderr.contains("line 3: is not JSON"), "{}", r.stderr);
    assert!(r.stderr.contains("line 4: unknown field `mood`"), "{}", r.stderr);
    assert!(r.stderr.contains("line 5: decode error"), "{}", r.stderr);
    assert!(r.stderr.contains("2 of 4 line(s) did not decode"), "{}", r.stderr);

    let good = lc(
        &["decode", "--ndjson", "--strict", "type", "Access", "-"],
        &[],
        "{\"group_ids\":[0]}\n{\"group_ids\":[1],\"x\":1}\n",
    );
    assert_eq!(good.code, 3, "{}", good.stderr);
    assert_eq!(good.stdout.lines().count(), 2);

    let not_json = lc(&["decode", "type", "Access"], &[], "hello");
    assert_eq!(not_json.code, 1);
    assert!(
        not_json.stderr.contains("the input is not one JSON document"),
        "{}",
        not_json.stderr
    );
    let missing = lc(&["decode", "type", "Access", "/no/such/file.json"], &[], "");
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("cannot read `/no/such/file.json`"), "{}", missing.stderr);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn help_version_and_completions() {
    let v = lc(&["--version"], &[], "");
    assert_eq!(v.code, 0);
    assert_eq!(v.stdout.trim(), format!("lc {}", env!("CARGO_PKG_VERSION")));
    let help = lc(&["--help"], &[], "");
    assert_eq!(help.code, 0);
    assert!(
        help.stdout.contains("Exit codes:") && help.stdout.contains("4  the API answered with an error"),
        "{}",
        help.stdout
    );
    for command in ["demo", "call", "listen", "mock", "decode", "actions", "completions"] {
        let h = lc(&[command, "--help"], &[], "");
        assert_eq!(h.code, 0, "{command}");
        assert!(h.stdout.contains("Examples:"), "`lc {command} --help` has examples:\n{}", h.stdout);
    }
    let call_help = lc(&["call", "--help"], &[("LC_TOKEN", "dal:secret-in-env")], "");
    assert!(!call_help.stdout.contains("secret-in-env"), "the token's value is never shown");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let c = lc(&["completions", shell], &[], "");
        assert_eq!(c.code, 0, "{shell}");
        assert!(c.stdout.contains("listen") && c.stdout.contains("demo"), "{shell}");
    }
}

/// A server on loopback that answers every HTTP request with `status` and `body` (and
/// `Content-Length`), closing each connection: a peer that says whatever a test wants.
fn answering(status: u16, body: String) -> String {
    answering_with(status, "", body)
}

/// [`answering`], with `headers` (each line ending in `\r\n`) in every answer.
fn answering_with(status: u16, headers: &'static str, body: String) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            // The request: headers, then the body `Content-Length` announces.
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).to_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0);
            let _ = std::io::copy(&mut (&mut conn).take(len), &mut std::io::sink());
            let answer = format!(
                "HTTP/1.1 {status} X\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write_all(answer.as_bytes());
        }
    });
    url
}

#[test]
fn call_leaves_out_a_null_the_schema_does_not_allow_and_says_so() {
    let mock = Mock::start();
    // The mock validates against the schema, as the API does: `{"limit": null}` sent as given
    // is refused (`validation`, exit 4).
    for extra in [&[][..], &["--rtm"]] {
        let args = [&["call", "list_chats", r#"{"limit":null,"mood":null}"#, "--compact"][..], extra].concat();
        let r = lc(&args, &mock.env(), "");
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("`null` at `limit` left out"), "{}", r.stderr);
        assert!(
            r.stderr.contains("unknown field `mood`"),
            "unknown fields are sent as given: {}",
            r.stderr
        );
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert!(v["chats_summary"].is_array(), "{v}");
    }
}

#[test]
fn call_fails_when_a_successful_answer_is_not_the_actions_response() {
    let env = |url: &str| -> Vec<(&'static str, String)> {
        vec![
            ("LC_BASE_URL", url.to_owned()),
            ("LC_ORGANIZATION_ID", "o".into()),
            ("LC_TOKEN", "dal:t".into()),
        ]
    };
    for body in ["", "{}", r#"{"type":5}"#, r#"{"id":"c1","type":{"a":1}}"#] {
        let url = answering(200, body.to_owned());
        let env = env(&url);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = lc(&["call", "get_customer"], &env, "");
        assert_eq!(r.code, 1, "{body:?}: {}", r.stderr);
        assert!(r.stderr.contains("does not decode"), "{body:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{body:?}: nothing on stdout: {}", r.stdout);
    }
    // A tag this build does not know is a newer API's value: printed, with a warning, exit 0.
    let url = answering(200, r#"{"id":"c1","type":"robot"}"#.to_owned());
    let env = env(&url);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = lc(&["call", "get_customer", "{}", "--compact"], &env, "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("unknown variant `robot`"), "{}", r.stderr);
}

#[test]
fn peer_text_reaches_the_terminal_escaped_and_cut() {
    // An error message with a screen clear, a title change and a fake line, 15 MB long.
    let message = format!("no such chat\u{1b}[2J\u{1b}]0;owned\u{7}\nlc: fake line {}", "x".repeat(15 << 20));
    let body = serde_json::json!({"error": {"type": "not_found", "message": message}}).to_string();
    let url = answering(404, body);
    let env = [("LC_BASE_URL", url.as_str()), ("LC_ORGANIZATION_ID", "o"), ("LC_TOKEN", "dal:t")];
    let r = lc(&["call", "get_chat", r#"{"chat_id":"C"}"#], &env, "");
    assert_eq!(r.code, 4, "{}", &r.stderr[..r.stderr.len().min(300)]);
    assert!(r.stderr.contains("not_found"), "{}", &r.stderr[..r.stderr.len().min(300)]);
    assert!(!r.stderr.contains('\u{1b}') && !r.stderr.contains('\u{7}'), "escapes are escaped");
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "no fake line: {}",
        &r.stderr[..r.stderr.len().min(300)]
    );
    assert!(r.stderr.len() < 10_000, "cut: {} bytes", r.stderr.len());
    assert!(r.stderr.contains("more bytes)"), "says what was cut");
}

#[test]
fn call_over_rtm_fails_at_once_and_as_the_web_api_does_when_the_connection_is_refused() {
    // Nothing listens: both transports fail at once with exit 1 (RTM waited its 15 s before).
    let dead = [
        ("LC_BASE_URL", "http://127.0.0.1:9"),
        ("LC_ORGANIZATION_ID", "o"),
        ("LC_TOKEN", "dal:x"),
    ];
    for transport in [&["call", "get_customer"][..], &["call", "get_customer", "{}", "--rtm"]] {
        let started = Instant::now();
        let r = lc(transport, &dead, "");
        assert_eq!(r.code, 1, "{transport:?}: {}", r.stderr);
        assert!(r.stderr.to_lowercase().contains("connect"), "{transport:?}: {}", r.stderr);
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{transport:?}: not at once: {:?}",
            started.elapsed()
        );
    }
    // Another organization: the same refusal, exit 4, on both.
    let mock = Mock::start();
    let mut env = mock.env();
    env.retain(|(k, _)| *k != "LC_ORGANIZATION_ID");
    env.push(("LC_ORGANIZATION_ID", "no-such-organization"));
    for transport in [&["call", "get_customer"][..], &["call", "get_customer", "{}", "--rtm"]] {
        let r = lc(transport, &env, "");
        assert_eq!(r.code, 4, "{transport:?}: {}", r.stderr);
        assert!(r.stderr.contains("license_not_found"), "{transport:?}: {}", r.stderr);
    }
}

#[test]
fn listen_shows_a_push_name_and_version_from_the_server_escaped() {
    let mock = Mock::start();
    let env = mock.env();
    let id = mock.customer_id();
    let mut listen = Command::new(env!("CARGO_BIN_EXE_lc"))
        .arg("listen")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(listen.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.contains("connected"), "{first}");
    // A push whose name clears the screen and reorders the line, in a version no build has.
    let frame = serde_json::json!({
        "action": "evil\u{1b}[2J\u{202e}\u{85}", "version": "9.9\u{1b}[31m", "type": "push", "payload": {"a": "\u{1b}]0;t\u{7}"}
    });
    let body = serde_json::json!({"customer_id": id, "text": frame.to_string()}).to_string();
    assert_eq!(mock.control("POST", "faults/send_raw", &body)["connections"], 1);
    let mut stdout = BufReader::new(listen.stdout.take().unwrap());
    let mut title = String::new();
    stdout.read_line(&mut title).unwrap();
    let _ = listen.kill();
    let _ = listen.wait();
    assert_eq!(
        title.trim_end(),
        r"evil\u{1b}[2J\u{202e}\u{85} (v9.9\u{1b}[31m)",
        "the server's text, escaped"
    );
}

#[test]
fn call_names_the_wait_a_server_asked_for_when_it_gives_up() {
    let body = serde_json::json!({"error": {"type": "too_many_requests", "message": "slow down"}}).to_string();
    // A 429 asking for a wait no clock can hold: refused at once (exit 4), the wait named.
    let url = answering_with(429, "Retry-After: 18446744073709551615\r\n", body);
    let env = [("LC_BASE_URL", url.as_str()), ("LC_ORGANIZATION_ID", "o"), ("LC_TOKEN", "dal:t")];
    let started = Instant::now();
    let r = lc(&["call", "get_customer"], &env, "");
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("too_many_requests: slow down"), "{}", r.stderr);
    assert!(r.stderr.contains("the server asked to wait 86400 s"), "{}", r.stderr);
    assert!(started.elapsed() < Duration::from_secs(10), "not waited: {:?}", started.elapsed());
}

/// `lc call --rtm` wants no pushes: pushes that arrive before the answer (here 12,000, over the
/// event stream's 10,000) are discarded, and the answer is read. It used to keep the stream
/// unread: once it was full the client stopped reading the socket, and the answer that
/// arrived behind the pushes was never seen.
#[test]
fn call_over_rtm_reads_its_answer_through_a_flood_of_pushes() {
    let mock = Mock::start();
    let env = mock.env();
    let id = mock.customer_id();
    mock.control("POST", "faults/delay_responses", r#"{"delay_ms":3000}"#);
    let call = Command::new(env!("CARGO_BIN_EXE_lc"))
        .args(["call", "get_customer", "{}", "--rtm", "--compact"])
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let frame = serde_json::json!({"action": "brand_new_push", "type": "push", "version": "3.6", "payload": {}});
    let body = serde_json::json!({"customer_id": id, "text": frame.to_string()}).to_string();
    // Once it is connected (its request waits out the delay), the flood: 12,000 control
    // requests pipelined on one connection.
    let start = Instant::now();
    while mock.control("POST", "faults/send_raw", &body)["connections"] == 0 {
        assert!(start.elapsed() < Duration::from_secs(10), "lc call --rtm never connected");
        std::thread::sleep(Duration::from_millis(20));
    }
    let control = mock.info["control_url"].as_str().unwrap();
    let rest = control.strip_prefix("http://").unwrap();
    let (host, prefix) = rest.split_at(rest.find('/').unwrap());
    let one = format!(
        "POST {prefix}/faults/send_raw HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    let mut reader = stream.try_clone().unwrap();
    let drain = std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    stream.write_all(one.repeat(12_000).as_bytes()).unwrap();
    let out = call.wait_with_output().unwrap();
    drop(stream);
    let _ = drain;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let customer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(customer["id"].as_str(), Some(id.as_str()));
}

/// `lc call --agent` against `lc mock`: an agent issued through the control API reads the
/// customer's chat (with its personal access token from `LC_PAT`, and with its token), writes
/// in it, and the customer reads what it wrote; its credentials are never printed.
#[test]
fn call_agent_reads_and_writes_the_customers_chat_with_a_pat_or_a_token() {
    let mock = Mock::start();
    let agent = mock.issue_agent("ann@example.com", "Ann");
    let (account, secret, token) = (
        agent["account_id"].as_str().unwrap(),
        agent["pat"].as_str().unwrap(),
        agent["token"].as_str().unwrap(),
    );
    let pat = format!("{account}:{secret}");
    let started = lc(
        &["call", "start_chat", "-", "--compact"],
        &mock.env(),
        r#"{"chat":{"thread":{"events":[{"type":"message","text":"Where is my order?"}]}}}"#,
    );
    assert_eq!(started.code, 0, "{}", started.stderr);
    let chat_id = serde_json::from_str::<Value>(&started.stdout).unwrap()["chat_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let with_pat = [("LC_BASE_URL", mock.base_url()), ("LC_PAT", pat.as_str())];
    let mut runs = Vec::new();

    // The customer's chat is in the agent's list: with LC_PAT (Basic), and with --token (Bearer).
    let by_token = ["call", "--agent", "list_chats", "{}", "--compact", "--token", token];
    let over_rtm = ["call", "--agent", "list_chats", "{}", "--compact", "--rtm"];
    for (args, env) in [
        (&["call", "--agent", "list_chats", "{}", "--compact"][..], &with_pat[..]),
        (&by_token[..], &with_pat[..1]),
        (&over_rtm[..], &with_pat[..]),
    ] {
        let r = lc(args, env, "");
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let chats = v["chats_summary"].as_array().unwrap_or_else(|| panic!("{v}"));
        assert!(chats.iter().any(|c| c["id"] == chat_id.as_str()), "{args:?}: {v}");
        runs.push(r);
    }
    // The customer's message, as the agent reads the chat.
    let chat = serde_json::json!({"chat_id": chat_id}).to_string();
    let seen = lc(&["call", "--agent", "get_chat", &chat, "--compact"], &with_pat, "");
    assert_eq!(seen.code, 0, "{}", seen.stderr);
    let v: Value = serde_json::from_str(&seen.stdout).unwrap();
    assert_eq!(v["thread"]["events"][0]["text"], "Where is my order?", "{v}");
    runs.push(seen);

    // The agent joins and writes; the customer reads it with `lc call get_chat`.
    let join = serde_json::json!({
        "chat_id": chat_id, "user_id": "ann@example.com", "user_type": "agent",
        "visibility": "all", "ignore_requester_presence": true,
    });
    let joined = lc(&["call", "--agent", "add_user_to_chat", &join.to_string()], &with_pat, "");
    assert_eq!(joined.code, 0, "{}", joined.stderr);
    let event = serde_json::json!({"chat_id": chat_id, "event": {"type": "message", "text": "It left this morning."}});
    let sent = lc(&["call", "--agent", "send_event", "-", "--compact"], &with_pat, &event.to_string());
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    let event_id = serde_json::from_str::<Value>(&sent.stdout).unwrap()["event_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = lc(&["call", "get_chat", &chat, "--compact"], &mock.env(), "");
    assert_eq!(read.code, 0, "{}", read.stderr);
    let v: Value = serde_json::from_str(&read.stdout).unwrap();
    let events = v["thread"]["events"].as_array().unwrap_or_else(|| panic!("{v}"));
    let reached = events
        .iter()
        .find(|e| e["id"] == event_id.as_str())
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(
        (reached["text"].as_str(), reached["author_id"].as_str()),
        (Some("It left this morning."), Some("ann@example.com")),
        "{v}"
    );
    runs.extend([joined, sent, read]);
    for r in &runs {
        for credential in [secret, token] {
            assert!(
                !r.stdout.contains(credential) && !r.stderr.contains(credential),
                "a credential was printed:\n{}\n{}",
                r.stdout,
                r.stderr
            );
        }
    }
}

/// What `lc call --agent` refuses, and how: usage errors exit 2 before anything is sent, the
/// API's refusal of a customer's token exits 4; the PAT appears in no output.
#[test]
fn call_agent_refuses_missing_or_wrong_credentials_customer_actions_and_rtm() {
    let mock = Mock::start();
    let agent = mock.issue_agent("ann@example.com", "Ann");
    let secret = agent["pat"].as_str().unwrap();
    let pat = format!("{}:{secret}", agent["account_id"].as_str().unwrap());
    let base = [("LC_BASE_URL", mock.base_url())];
    let with_pat = [("LC_BASE_URL", mock.base_url()), ("LC_PAT", pat.as_str())];
    let mut runs = Vec::new();

    // No credentials: the two ways to give them are named.
    let r = lc(&["call", "--agent", "list_chats"], &base, "");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--pat") && r.stderr.contains("--token"), "{}", r.stderr);
    // The customer's organization and token are not an agent's (exit 4, `authorization`).
    let r = lc(&["call", "--agent", "list_chats", "--token", mock.token()], &base, "");
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("authorization"), "{}", r.stderr);
    assert!(!r.stderr.contains(mock.token()), "{}", r.stderr);
    // A PAT without its account ID, or with an empty half: exit 2, the value not echoed.
    for malformed in [
        "no-colon-here".to_owned(),
        format!(":{secret}"),
        format!("{}:", agent["account_id"].as_str().unwrap()),
    ] {
        let r = lc(&["call", "--agent", "list_chats", "--pat", &malformed], &base, "");
        assert_eq!(r.code, 2, "{malformed}: {}", r.stderr);
        assert!(r.stderr.contains("ACCOUNT_ID:TOKEN"), "{}", r.stderr);
        runs.push(r);
    }
    // An action only the Customer Chat API has: exit 2, pointing at the agent's list.
    let r = lc(
        &["call", "--agent", "accept_greeting", r#"{"greeting_id":1,"unique_id":"u"}"#],
        &with_pat,
        "",
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("no action `accept_greeting`") && r.stderr.contains("lc actions --api agent"),
        "{}",
        r.stderr
    );
    runs.push(r);
    // Over RTM, a customer's token is refused at the agent's login (exit 4, `authorization`).
    let r = lc(
        &["call", "--agent", "list_chats", "{}", "--rtm", "--token", mock.token()],
        &base,
        "",
    );
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("authorization"), "{}", r.stderr);
    assert!(!r.stderr.contains(mock.token()), "{}", r.stderr);
    // A wrong PAT, and the PAT without its account ID (it has a colon of its own, `dal:…`, so
    // it reads as account `dal`): the API's `authentication` (exit 4).
    let wrong = format!("{}:not-the-pat", agent["account_id"].as_str().unwrap());
    for pat in [wrong.as_str(), secret] {
        let r = lc(&["call", "--agent", "list_chats", "--pat", pat], &base, "");
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(
            r.stderr.contains("authentication") && !r.stderr.contains("not-the-pat"),
            "{}",
            r.stderr
        );
        runs.push(r);
    }
    // An agent's PAT on a customer's call without a customer's token: said by lc, exit 2.
    let without_token: Vec<(&str, &str)> = mock.env().into_iter().filter(|(k, _)| *k != "LC_TOKEN").collect();
    let r = lc(
        &["call", "get_customer"],
        &[&without_token[..], &[("LC_PAT", pat.as_str())]].concat(),
        "",
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--agent"), "{}", r.stderr);
    runs.push(r);
    // With a customer's token, a PAT left in the environment for agent calls (or an empty one)
    // is no obstacle: the customer's call goes through.
    for left in [pat.as_str(), ""] {
        let r = lc(&["call", "get_customer"], &[&mock.env()[..], &[("LC_PAT", left)]].concat(), "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        runs.push(r);
    }
    for r in &runs {
        assert!(
            !r.stdout.contains(secret) && !r.stderr.contains(secret),
            "the PAT was printed: {}",
            r.stderr
        );
    }
}

/// A free port on loopback (bound, then let go).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `lc webhooks serve` on a free port with `secret`, once it said it listens: the process, its
/// port, its stdout and its stderr.
fn serve_webhooks(
    secret: &str,
) -> (
    Child,
    u16,
    BufReader<std::process::ChildStdout>,
    BufReader<std::process::ChildStderr>,
) {
    let port = free_port();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_lc"))
        .args(["webhooks", "serve", "--port", &port.to_string()])
        .env("LC_WEBHOOK_SECRET", secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(serve.stdout.take().unwrap());
    let mut stderr = BufReader::new(serve.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.contains(&format!("listening on http://127.0.0.1:{port}")), "{first}");
    (serve, port, stdout, stderr)
}

/// `lc webhooks register` against the mock, `lc webhooks serve` receiving its deliveries:
/// each verified one printed as NDJSON (without the secret); one with a wrong secret refused
/// with 401 and said on stderr; then `disable`, `state`, `enable`, `list` and `unregister`.
#[test]
fn webhooks_register_then_serve_prints_verified_deliveries() {
    let mock = Mock::start();
    let agent = mock.issue_agent("hooks@example.com", "Hooks");
    let pat = format!("{}:{}", agent["account_id"].as_str().unwrap(), agent["pat"].as_str().unwrap());
    let secret = "tulip-anchor-77";
    let (mut serve, port, mut stdout, mut stderr) = serve_webhooks(secret);

    let owner = "c0ffee00c0ffee00c0ffee00c0ffee00";
    let env = [
        ("LC_BASE_URL", mock.base_url()),
        ("LC_PAT", pat.as_str()),
        ("LC_WEBHOOK_SECRET", secret),
        ("LC_CLIENT_ID", owner),
    ];
    let url = format!("http://127.0.0.1:{port}/lc");
    let registered = lc(&["webhooks", "register", "--action", "incoming_chat", "--url", &url], &env, "");
    assert_eq!(registered.code, 0, "{}", registered.stderr);
    let id = serde_json::from_str::<Value>(&registered.stdout).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = lc(&["webhooks", "list"], &env, "");
    assert!(listed.stdout.contains(&id), "{}", listed.stdout);
    let names = lc(&["webhooks", "list", "--names"], &[("LC_BASE_URL", mock.base_url())], "");
    assert!(
        names.stdout.contains("\"incoming_event\""),
        "no credentials needed: {}",
        names.stderr
    );

    // A customer starts a chat: one delivery, printed.
    let started = lc(&["call", "start_chat", "{}"], &mock.env(), "");
    assert_eq!(started.code, 0, "{}", started.stderr);
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let delivery: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(
        (delivery["action"].as_str(), delivery["version"].as_str()),
        (Some("incoming_chat"), Some("3.6")),
        "{line}"
    );
    assert_eq!(delivery["webhook_id"].as_str(), Some(id.as_str()));
    assert!(delivery["payload"]["chat"]["id"].is_string(), "{line}");
    assert!(!line.contains(secret), "the secret is not printed: {line}");

    // A forged delivery (wrong secret) is refused, with 401; stdout gets nothing.
    let forged = line.replace("\"webhook_id\"", "\"secret_key\":\"guess\",\"webhook_id\"");
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /lc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{forged}",
        forged.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let mut said = String::new();
    stderr.read_line(&mut said).unwrap();
    assert!(said.contains("refused a delivery") && said.contains("secret_key"), "{said}");

    // A body over the bound is refused from its announced length, with 413.
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let over = lc_types::webhook::MAX_WEBHOOK_BODY_BYTES + 1;
    write!(stream, "POST /lc HTTP/1.1\r\nHost: x\r\nContent-Length: {over}\r\n\r\n").unwrap();
    let _ = stream.write_all(&vec![b' '; over]);
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let mut said = String::new();
    stderr.read_line(&mut said).unwrap();
    assert!(said.contains("refused a delivery") && said.contains("bytes"), "{said}");

    // License webhooks off (the mock then delivers none: crates/lc-web/tests/webhooks.rs), on again.
    let state = |env: &[(&str, &str)]| {
        let out = lc(&["webhooks", "state"], env, "");
        assert_eq!(out.code, 0, "{}", out.stderr);
        serde_json::from_str::<Value>(&out.stdout).unwrap()["license_webhooks_enabled"].clone()
    };
    assert_eq!(state(&env), serde_json::json!(true));
    assert_eq!(lc(&["webhooks", "disable"], &env, "").code, 0);
    assert_eq!(state(&env), serde_json::json!(false));
    assert_eq!(lc(&["webhooks", "enable"], &env, "").code, 0);
    assert_eq!(state(&env), serde_json::json!(true));

    let removed = lc(&["webhooks", "unregister", "--id", &id], &env, "");
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    assert_eq!(lc(&["webhooks", "list"], &env, "").stdout.trim(), "[]");
    assert!(Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap()
        .success());
    assert_eq!(serve.wait().unwrap().code(), Some(0));
}

/// `lc webhooks serve`'s bounds, crossed: with 256 connections open one more is closed at once
/// (and said) while the others go on; a head that does not come within 5 s, a body not within
/// 10 s (408) and a connection older than 20 s are closed; then the freed slots answer again.
#[test]
fn webhooks_serve_closes_what_crosses_its_bounds() {
    use std::net::TcpStream;
    let secret = "maple-window-19";
    let (mut serve, port, stdout, mut stderr) = serve_webhooks(secret);
    // Drained, so printing never blocks the server.
    let printed = std::thread::spawn(move || stdout.lines().count());
    let mut said = String::new();
    // Every wait below is bounded: a bound that does not hold fails the test, it never hangs.
    let connect = || {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        s
    };
    let delivery = |key: &str| {
        let body = format!(r#"{{"webhook_id":"w1","secret_key":"{key}","action":"a_later_action","organization_id":"o1","payload":{{}}}}"#);
        format!(
            "POST /lc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };

    // A sender that keeps its connection and delivers every 2 s: closed once it is 20 s old.
    let mut kept = connect();
    let keeper = {
        let request = delivery(secret);
        std::thread::spawn(move || {
            let mut answered = 0;
            let mut buf = [0u8; 1024];
            loop {
                if kept.write_all(request.as_bytes()).is_err() {
                    return answered;
                }
                match kept.read(&mut buf) {
                    Ok(n) if n > 0 && buf[..n].starts_with(b"HTTP/1.1 200") => answered += 1,
                    Ok(_) | Err(_) => return answered,
                }
                std::thread::sleep(Duration::from_secs(2));
            }
        })
    };
    // A body that stops halfway, and connections that send nothing: 256 in all.
    let mut slow_body = connect();
    write!(
        slow_body,
        "POST /lc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"webhook"
    )
    .unwrap();
    let idle: Vec<TcpStream> = (0..254).map(|_| connect()).collect();
    // One more: closed at once, said on stderr.
    let mut over = connect();
    let mut answer = String::new();
    let _ = over.read_to_string(&mut answer);
    assert_eq!(answer, "", "closed without an answer");
    said.clear();
    stderr.read_line(&mut said).unwrap();
    assert!(said.contains("256 connections open, closed one from 127.0.0.1:"), "{said}");

    // The silent ones: closed by the head timeout (hyper closes without an answer).
    for mut s in idle {
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("closed within the head timeout");
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    // The half-sent body: 408 after the body timeout, said on stderr.
    let mut answer = String::new();
    slow_body.read_to_string(&mut answer).expect("closed within the body timeout");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    said.clear();
    stderr.read_line(&mut said).unwrap();
    assert!(said.contains("did not arrive within"), "{said}");
    // The kept connection answered deliveries, then was closed.
    let answered = keeper.join().unwrap();
    assert!((1..=11).contains(&answered), "{answered} deliveries on one connection");

    // The slots are free again: a forged delivery is answered (401).
    let mut s = connect();
    s.write_all(delivery("guess").as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap()
        .success());
    assert_eq!(serve.wait().unwrap().code(), Some(0));
    assert_eq!(printed.join().unwrap(), answered, "one line per delivery answered 200");
}

/// A delivery's own top-level `version` does not replace the one `serve` decoded it in; once
/// stdout is gone, the delivery is answered 503 and `serve` stops with exit code 1.
#[test]
fn webhooks_serve_prints_its_version_and_stops_when_stdout_is_gone() {
    use std::net::TcpStream;
    let secret = "harbor-violet-52";
    let (mut serve, port, mut stdout, mut stderr) = serve_webhooks(secret);
    let deliver = || {
        let body = format!(
            r#"{{"webhook_id":"w1","secret_key":"{secret}","action":"a_later_action","organization_id":"o1","payload":{{}},"version":"9.9"}}"#
        );
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        answer
    };
    assert!(deliver().starts_with("HTTP/1.1 200"));
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let printed: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (printed["version"].as_str(), printed["action"].as_str()),
        (Some("3.6"), Some("a_later_action")),
        "{line}"
    );
    assert!(!line.contains(secret));

    drop(stdout);
    assert!(deliver().starts_with("HTTP/1.1 503"));
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("stdout is closed"), "{rest}");
    assert_eq!(serve.wait().unwrap().code(), Some(1));
}
