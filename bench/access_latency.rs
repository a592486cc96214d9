//! Latency of one typical UI GraphQL query, straight to the Dagster webserver and through
//! `dg access proxy`, interleaved in one run so both see the same machine state.
//!
//! Usage: access_latency DIRECT_URL PROXY_URL EMAIL [N]
//! Prints the median, p90 and p99 of each path and the proxy's added latency.

use std::time::{Duration, Instant};

/// What the UI's asset graph page asks for on load (a trimmed `AssetGraphQuery`).
const QUERY: &str = "query AssetGraphQuery { assetNodes { id assetKey { path } groupName \
    isExecutable isMaterializable isPartitioned dependencyKeys { path } dependedByKeys { path } \
    kinds owners { ... on TeamAssetOwner { team } ... on UserAssetOwner { email } } \
    repository { id name location { id name } } } }";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, direct, proxy, email, rest @ ..] = args.as_slice() else {
        eprintln!("usage: access_latency DIRECT_URL PROXY_URL EMAIL [N]");
        std::process::exit(2);
    };
    let n: usize = rest.first().and_then(|s| s.parse().ok()).unwrap_or(500);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let body = serde_json::json!({ "query": QUERY, "variables": {} }).to_string();
    let once = |url: &str| -> Duration {
        let start = Instant::now();
        let mut resp = agent
            .post(format!("{url}/graphql"))
            .header("Content-Type", "application/json")
            .header("X-Forwarded-Email", email)
            .send(&body)
            .expect("request");
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().expect("body");
        let took = start.elapsed();
        assert!(
            status == 200 && text.contains("assetNodes"),
            "{status}: {text}"
        );
        took
    };
    for _ in 0..20 {
        once(direct);
        once(proxy);
    }
    let mut d = Vec::with_capacity(n);
    let mut p = Vec::with_capacity(n);
    for i in 0..n {
        // Alternate which goes first, so neither path always follows the other.
        if i % 2 == 0 {
            d.push(once(direct));
            p.push(once(proxy));
        } else {
            p.push(once(proxy));
            d.push(once(direct));
        }
    }
    d.sort();
    p.sort();
    println!("requests: {n} per path, interleaved, after 20 warm-up pairs");
    println!("| path | median | p90 | p99 |");
    println!("|---|---|---|---|");
    for (name, v) in [("webserver directly", &d), ("through dg access proxy", &p)] {
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.2} ms |",
            ms(percentile(v, 0.5)),
            ms(percentile(v, 0.9)),
            ms(percentile(v, 0.99))
        );
    }
    println!(
        "| added by the proxy | {:+.2} ms | {:+.2} ms | {:+.2} ms |",
        ms(percentile(&p, 0.5)) - ms(percentile(&d, 0.5)),
        ms(percentile(&p, 0.9)) - ms(percentile(&d, 0.9)),
        ms(percentile(&p, 0.99)) - ms(percentile(&d, 0.99))
    );
}
