//! `lc mock` as a test suite in another language drives it: spawn it, read what it prints, call
//! the API over plain HTTP/1.1, stop it with a signal.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A running `lc mock`, killed if a test fails before it is stopped.
struct Mock {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Mock {
    fn spawn(args: &[&str]) -> Mock {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lc"))
            .arg("mock")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("lc runs");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Mock { child, stdout }
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        assert!(line.ends_with('\n'), "a whole line before serving: {line:?}");
        line
    }

    /// Sends `signal` (e.g. `-TERM`) and waits up to 5 s for the exit.
    fn stop(mut self, signal: &str) -> (ExitStatus, String, String) {
        let sent = Command::new("kill").args([signal, &self.child.id().to_string()]).status().unwrap();
        assert!(sent.success());
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "lc mock still runs 5 s after kill {signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        let mut stderr = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        (status, rest, stderr)
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on a fresh connection; returns (status, body).
fn post(url: &str, token: &str, body: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, target) = rest.split_at(rest.find('/').unwrap());
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "POST {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    (head[9..12].parse().unwrap(), body.to_owned())
}

#[test]
fn json_line_reaches_a_working_api_and_sigterm_exits_0() {
    let mut mock = Mock::spawn(&["--json", "--organization-id", "org-under-test"]);
    let line = mock.line();
    let v: Value = serde_json::from_str(&line).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "agent_rtm_url",
            "agent_web_url",
            "base_url",
            "configuration_url",
            "control_url",
            "organization_id",
            "rtm_url",
            "token",
            "web_url"
        ],
        "{line}"
    );
    let base = v["base_url"].as_str().unwrap();
    assert_eq!(v["agent_web_url"], format!("{base}/v{{version}}/agent/action"));
    assert_eq!(
        v["agent_rtm_url"],
        format!("{}/v{{version}}/agent/rtm/ws", base.replacen("http", "ws", 1))
    );
    assert_eq!(v["configuration_url"], format!("{base}/v{{version}}/configuration/action"));
    assert_eq!(v["control_url"], format!("{}/_lc", v["base_url"].as_str().unwrap()));
    assert!(v["web_url"].as_str().unwrap().starts_with(v["base_url"].as_str().unwrap()));
    assert_eq!(v["organization_id"], "org-under-test");
    let web = v["web_url"].as_str().unwrap();
    let rtm = v["rtm_url"].as_str().unwrap();
    let token = v["token"].as_str().unwrap();
    let port = web
        .strip_prefix("http://127.0.0.1:")
        .and_then(|r| r.strip_suffix("/v{version}/customer/action"))
        .unwrap_or_else(|| panic!("web_url {web}"));
    assert!(port.parse::<u16>().unwrap() > 0);
    assert_eq!(rtm, format!("ws://127.0.0.1:{port}/v{{version}}/customer/rtm/ws"));
    assert!(!token.is_empty() && !token.contains(char::is_whitespace), "{token:?}");

    let action = format!("{}/get_customer", web.replace("{version}", "3.6"));
    let (status, body) = post(&format!("{action}?organization_id=org-under-test"), token, "{}");
    assert_eq!(status, 200, "{body}");
    let customer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(customer["type"], "customer", "{body}");
    // The organization and the token are the ones the mock checks.
    let (status, body) = post(&format!("{action}?organization_id=another-org"), token, "{}");
    assert_eq!(status, 404, "{body}");
    let (status, body) = post(&format!("{action}?organization_id=org-under-test"), "dal:not-issued", "{}");
    assert_eq!(status, 401, "{body}");

    let (status, rest, stderr) = mock.stop("-TERM");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(rest, "", "nothing on stdout after the JSON line");
}

#[test]
fn human_output_names_everything_and_ctrl_c_exits_0() {
    let mut mock = Mock::spawn(&[]);
    let mut text = String::new();
    while !text.contains("customer token") {
        text.push_str(&mock.line());
    }
    for part in [
        "http://127.0.0.1:",
        "/v{version}/customer/action",
        "ws://127.0.0.1:",
        "/v{version}/customer/rtm/ws",
    ] {
        assert!(text.contains(part), "{part} in\n{text}");
    }
    assert!(text.contains("organization ID  390e44e6-f1e6-0368c-z6ddb-74g14508c2ex"), "{text}");
    let (status, _, stderr) = mock.stop("-INT");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
}

/// Runs `lc mock` expecting it to fail at once: (exit code, stdout, stderr).
fn fails(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lc"))
        .arg("mock")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.code(), text(out.stdout), text(out.stderr))
}

#[test]
fn unparsable_addr_is_a_usage_error() {
    for args in [&["--addr", "localhost"][..], &["--addr=127.0.0.1"], &["--json", "--addr"]] {
        let (code, stdout, stderr) = fails(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stdout, "", "{args:?}");
        assert!(stderr.contains("--addr"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn port_in_use_fails_with_a_message() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stdout, stderr) = fails(&["--json", "--addr", &addr]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains(&format!("cannot listen on {addr}")), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn unknown_option_is_a_usage_error() {
    let (code, _, stderr) = fails(&["--port", "8080"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unexpected argument '--port'"), "{stderr}");
}

/// The control API as a suite in another language drives it: only the `lc mock --json` line
/// and plain HTTP (customers, the agent's actions, faults, problems).
#[test]
fn the_control_api_plays_the_agent_and_injects_faults_over_plain_http() {
    let mut mock = Mock::spawn(&["--json"]);
    let v: Value = serde_json::from_str(&mock.line()).unwrap();
    let (control, web) = (v["control_url"].as_str().unwrap(), v["web_url"].as_str().unwrap());
    let org = v["organization_id"].as_str().unwrap();
    let (status, body) = post(&format!("{control}/customers"), "", "{}");
    assert_eq!(status, 200, "{body}");
    let customer: Value = serde_json::from_str(&body).unwrap();
    let token = customer["token"].as_str().unwrap();
    let api = |action: &str| format!("{}/{action}?organization_id={org}", web.replace("{version}", "3.6"));
    let (status, body) = post(&api("start_chat"), token, "{}");
    assert_eq!(status, 200, "{body}");
    let chat = serde_json::from_str::<Value>(&body).unwrap()["chat_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, body) = post(
        &format!("{control}/agent/send_message"),
        "",
        &format!(r#"{{"chat_id":"{chat}","text":"Hi from the agent"}}"#),
    );
    assert_eq!(status, 200, "{body}");
    let (_, body) = post(&api("get_chat"), token, &format!(r#"{{"chat_id":"{chat}"}}"#));
    assert!(body.contains("Hi from the agent"), "{body}");

    let (status, body) = post(&format!("{control}/faults/fail_next"), "", r#"{"type":"service_unavailable"}"#);
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(&api("get_customer"), token, "{}");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("service_unavailable"), "{body}");
    let (status, _) = post(&api("get_customer"), token, "{}");
    assert_eq!(status, 200, "one request only");

    let (status, body) = post(&format!("{control}/no/such/thing"), "", "{}");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("/_lc/agent/send_message"), "the 404 lists the paths: {body}");
    let (status, _, _) = mock.stop("-TERM");
    assert!(status.success());
}

/// The test-only certificate of lc-mock's tests (for `localhost` and `127.0.0.1`) and its key.
fn tls_files() -> (String, String) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../lc-mock/tests/tls");
    (format!("{dir}/cert.pem"), format!("{dir}/key.pem"))
}

/// One HTTP/1.1 `GET` over TLS, trusting only the test certificate; (status, body).
fn get_tls(url: &str) -> (u16, String) {
    use rustls_pki_types::pem::PemObject;
    let rest = url.strip_prefix("https://").expect("an https URL");
    let (host, target) = rest.split_at(rest.find('/').unwrap());
    let mut roots = rustls::RootCertStore::empty();
    let cert = rustls_pki_types::CertificateDer::from_pem_file(tls_files().0).unwrap();
    roots.add(cert).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(host).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    write!(tls, "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    // The server may close without close_notify after the answer: an error after the data.
    let _ = tls.read_to_end(&mut raw);
    let response = String::from_utf8(raw).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    (head[9..12].parse().unwrap(), body.to_owned())
}

/// `lc mock --tls-cert --tls-key` serves over TLS and says so: every URL it prints is https or
/// wss, and a client trusting the certificate is answered.
#[test]
fn tls_serves_https_and_prints_https_and_wss_urls() {
    let (cert, key) = tls_files();
    let mut mock = Mock::spawn(&["--json", "--tls-cert", &cert, "--tls-key", &key]);
    let v: Value = serde_json::from_str(&mock.line()).unwrap();
    let base = v["base_url"].as_str().unwrap();
    let port = base.strip_prefix("https://127.0.0.1:").unwrap_or_else(|| panic!("base_url {base}"));
    assert_eq!(v["web_url"], format!("https://127.0.0.1:{port}/v{{version}}/customer/action"));
    assert_eq!(v["rtm_url"], format!("wss://127.0.0.1:{port}/v{{version}}/customer/rtm/ws"));
    assert_eq!(v["control_url"], format!("https://127.0.0.1:{port}/_lc"));
    let (status, body) = get_tls(&format!("{base}/_lc/info"));
    assert_eq!(status, 200, "{body}");
    let info: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["rtm_url"], v["rtm_url"], "{body}");
    let (status, _, stderr) = mock.stop("-TERM");
    assert!(status.success(), "{stderr}");

    // The text says https and wss too, and how curl trusts the certificate.
    let mut mock = Mock::spawn(&["--tls-cert", &cert, "--tls-key", &key]);
    let mut text = String::new();
    while !text.contains("-H 'Authorization") {
        text.push_str(&mock.line());
    }
    assert!(text.contains("base URL         https://127.0.0.1:"), "{text}");
    assert!(text.contains("RTM API          wss://127.0.0.1:"), "{text}");
    assert!(!text.contains("http://") && !text.contains("ws://"), "{text}");
    assert!(
        text.contains(&format!("curl --cacert '{cert}' -X POST 'https://127.0.0.1:")),
        "{text}"
    );
    assert!(text.contains(&format!("--base-url --cacert '{cert}'")), "{text}");
    let (status, _, stderr) = mock.stop("-INT");
    assert_eq!(status.code(), Some(0), "{stderr}");
}

/// A TLS file that is missing or not what it should be, or one option without the other, is a
/// usage error (exit code 2) naming the file and the problem; nothing is served.
#[test]
fn a_bad_tls_file_is_a_usage_error() {
    let (cert, key) = tls_files();
    let missing = format!("{key}.missing");
    let cases: [(&[&str], &str); 5] = [
        (&["--tls-cert", &cert, "--tls-key", &missing], "cannot read the private key"),
        (&["--tls-cert", &missing, "--tls-key", &key], "cannot read the certificate chain"),
        // A certificate given as the key, and the other way round.
        (&["--tls-cert", &cert, "--tls-key", &cert], "the private key has no PEM"),
        (
            &["--tls-cert", &key, "--tls-key", &key],
            "the certificate chain has no PEM `CERTIFICATE` block",
        ),
        (&["--tls-cert", &cert], "--tls-key <FILE>"),
    ];
    for (args, why) in cases {
        let mut args = args.to_vec();
        args.push("--json");
        let (code, stdout, stderr) = fails(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stdout, "", "{args:?}");
        assert!(stderr.contains(why), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("BEGIN"), "{stderr}");
    }
    let (_, _, stderr) = fails(&["--tls-cert", &cert, "--tls-key", &missing]);
    assert!(stderr.contains(&missing), "the message names the file: {stderr}");
}

/// `lc call` reaches a TLS mock over Web and RTM once it trusts the certificate
/// (`--cacert`, as the mock's output says); without it, the certificate is refused.
#[test]
fn lc_call_trusts_the_mocks_certificate_with_cacert() {
    let (cert, key) = tls_files();
    let mut mock = Mock::spawn(&["--json", "--tls-cert", &cert, "--tls-key", &key]);
    let v: Value = serde_json::from_str(&mock.line()).unwrap();
    let env = [
        ("LC_BASE_URL", v["base_url"].as_str().unwrap()),
        ("LC_ORGANIZATION_ID", v["organization_id"].as_str().unwrap()),
        ("LC_TOKEN", v["token"].as_str().unwrap()),
    ];
    let call = |extra: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lc"));
        c.args(["call", "get_customer", "{}", "--compact"]).args(extra).envs(env);
        c.output().unwrap()
    };
    for transport in [&[][..], &["--rtm"][..]] {
        let ok = call(&[&["--cacert", cert.as_str()][..], transport].concat());
        assert!(ok.status.success(), "{transport:?}: {}", String::from_utf8_lossy(&ok.stderr));
        assert!(String::from_utf8_lossy(&ok.stdout).contains("\"id\""));
        let refused = call(transport);
        assert!(!refused.status.success(), "{transport:?}: an unknown issuer is refused");
    }
    // A file that is no certificate is a usage error.
    let bad = call(&["--cacert", &key]);
    assert_eq!(bad.status.code(), Some(2), "{}", String::from_utf8_lossy(&bad.stderr));
    let (status, _, stderr) = mock.stop("-TERM");
    assert!(status.success(), "{stderr}");
}
