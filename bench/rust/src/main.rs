// logscan: makes N lines of an access log, parses each with a regex,
// builds a JSON record per line, serializes it, hashes the output with
// SHA-256, and prints the digest and counts. The work of a log pipeline or
// an API gateway's request handling, from crates the project did not write.
use regex::Regex;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

fn line(i: u64, seed: &mut u64) -> String {
    *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let r = *seed >> 33;
    let methods = ["GET", "POST", "PUT", "DELETE"];
    let paths = ["/api/users", "/api/orders", "/static/app.js", "/login", "/api/items"];
    format!(
        "10.{}.{}.{} - - [03/Dec/2026:10:{:02}:{:02} +0000] \"{} {}/{}?q={} HTTP/1.1\" {} {} \"Mozilla/5.0 (X11; Linux x86_64) rv:{}\"",
        r % 256, (r >> 8) % 256, i % 256, (i / 60) % 60, i % 60,
        methods[(r % 4) as usize], paths[((r >> 4) % 5) as usize], r % 1000, r % 97,
        [200, 201, 304, 404, 500][((r >> 12) % 5) as usize], r % 50000, r % 120
    )
}

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20000);
    let re = Regex::new(
        r#"^(?P<ip>\d+\.\d+\.\d+\.\d+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>[^ ?]+)(?:\?(?P<query>\S*))? HTTP/[0-9.]+" (?P<status>\d{3}) (?P<bytes>\d+) "(?P<agent>[^"]*)"$"#,
    )
    .unwrap();
    let mut seed = 42u64;
    let mut hasher = Sha256::new();
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut bytes_total = 0u64;
    for i in 0..n {
        let text = line(i, &mut seed);
        let c = re.captures(&text).expect("line parses");
        let status = c["status"].to_string();
        let bytes: u64 = c["bytes"].parse().unwrap();
        bytes_total += bytes;
        *by_status.entry(status.clone()).or_default() += 1;
        let record: Value = json!({
            "ip": &c["ip"], "time": &c["time"], "method": &c["method"], "path": &c["path"],
            "query": c.name("query").map(|m| m.as_str()).unwrap_or(""),
            "status": status.parse::<u32>().unwrap(), "bytes": bytes, "agent": &c["agent"],
        });
        let out = serde_json::to_string(&record).unwrap();
        let back: Value = serde_json::from_str(&out).unwrap();
        hasher.update(back["path"].as_str().unwrap().as_bytes());
        hasher.update(out.as_bytes());
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{:02x}", b)).collect();
    println!("{} lines, {} bytes, statuses {:?}, sha256 {}", n, bytes_total, by_status, hex);
}
