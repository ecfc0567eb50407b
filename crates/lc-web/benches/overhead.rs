//! Client CPU per call: `lc-web` against a bare `reqwest::Client` with hand-written JSON, the
//! same calls (`get_customer`, a small call; `send_event`) to the same `lc-mock`, in one run.
//!
//! The mock runs on its own threads; the clients run on a current-thread runtime on the main
//! thread, whose CPU time (`CLOCK_THREAD_CPUTIME_ID`) is what is measured: request building,
//! the HTTP/1.1 exchange on the client side, and decoding (typed for `lc-web`; to
//! `serde_json::Value` for the bare client, as hand-written code would). Rounds alternate the
//! four cases so drift hits them alike; the median per-call CPU of each is reported, and the
//! median over rounds of the ratio `lc-web / reqwest` within each round.
//!
//! ```sh
//! cargo bench -p lc-web --bench overhead            # 60 rounds of 200 calls per case
//! LC_BENCH_ROUNDS=5 LC_BENCH_CALLS=50 cargo bench -p lc-web --bench overhead
//! ```

use std::time::Duration;

use lc_types::v3_6::customer::{GetCustomerRequest, MessageEventInput, SendEventRequest, StartChatRequest};
use lc_web::{RetryPolicy, WebClient};

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec to write into.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let rounds = env("LC_BENCH_ROUNDS", 60);
    let calls = env("LC_BENCH_CALLS", 200);

    // The mock, on its own runtime and threads.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let config = lc_mock::Config {
                check_schemas: false,
                ..lc_mock::Config::default()
            };
            let server = lc_mock::MockServer::start(config).await.unwrap();
            let customer = server.issue_customer();
            tx.send((server.addr(), server.organization_id().to_owned(), customer.token))
                .unwrap();
            std::future::pending::<()>().await;
        });
    });
    let (addr, org, token) = rx.recv().unwrap();
    let origin = format!("http://{addr}");

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let lc = WebClient::builder(org.as_str())
            .base_url(origin.as_str())
            .token(token.as_str())
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let raw = reqwest::Client::builder().build().unwrap();
        let chat = lc.call(&StartChatRequest::default()).await.unwrap().chat_id;

        // The bare client: URL, headers and JSON written by hand.
        let auth = format!("Bearer {token}");
        let get_url = format!("{origin}/v3.6/customer/action/get_customer?organization_id={org}");
        let send_url = format!("{origin}/v3.6/customer/action/send_event?organization_id={org}");
        let raw_call = |url: &str, body: String| {
            let request = raw
                .post(url)
                .header("Content-Type", "application/json")
                .header("Authorization", auth.as_str())
                .header("X-Region", "dal")
                .body(body);
            async move {
                let response = request.send().await.unwrap();
                assert!(response.status().is_success());
                let bytes = response.bytes().await.unwrap();
                serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
            }
        };
        let send_body = |n: usize| format!(r#"{{"chat_id":"{chat}","event":{{"type":"message","text":"message {n}"}}}}"#);

        // Warm up every path (connections, pools, allocator).
        for n in 0..20 {
            lc.call(&GetCustomerRequest::default()).await.unwrap();
            raw_call(&get_url, "{}".to_owned()).await;
            lc.call(&SendEventRequest::new(chat.clone(), MessageEventInput::new(format!("warm {n}"))))
                .await
                .unwrap();
            raw_call(&send_url, send_body(n)).await;
        }

        let names = [
            "lc-web get_customer",
            "reqwest get_customer",
            "lc-web send_event",
            "reqwest send_event",
        ];
        let mut per_call: [Vec<f64>; 4] = Default::default();
        for round in 0..rounds {
            for case in 0..4 {
                // Alternate the order inside each round too.
                let case = if round % 2 == 0 { case } else { 3 - case };
                let start = thread_cpu();
                for n in 0..calls {
                    match case {
                        0 => {
                            let c = lc.call(&GetCustomerRequest::default()).await.unwrap();
                            std::hint::black_box(c);
                        }
                        1 => {
                            std::hint::black_box(raw_call(&get_url, "{}".to_owned()).await);
                        }
                        2 => {
                            let request = SendEventRequest::new(chat.clone(), MessageEventInput::new(format!("message {n}")));
                            std::hint::black_box(lc.call(&request).await.unwrap());
                        }
                        _ => {
                            std::hint::black_box(raw_call(&send_url, send_body(n)).await);
                        }
                    }
                }
                let cpu = thread_cpu() - start;
                per_call[case].push(cpu.as_secs_f64() * 1e6 / calls as f64);
            }
        }
        println!("client CPU per call, median of {rounds} rounds of {calls} calls (µs):");
        let medians: Vec<f64> = per_call.iter().map(|v| median(&mut v.clone())).collect();
        for (name, m) in names.iter().zip(&medians) {
            println!("  {name:<22} {m:8.1}");
        }
        // Each round measured both clients back to back: the median of the per-round ratios is
        // robust to load that drifts between rounds.
        let ratio = |a: usize, b: usize| median(&mut per_call[a].iter().zip(&per_call[b]).map(|(x, y)| x / y).collect::<Vec<_>>());
        println!(
            "lc-web / reqwest (median of per-round ratios): get_customer {:.3}x, send_event {:.3}x",
            ratio(0, 1),
            ratio(2, 3)
        );
    });
}
