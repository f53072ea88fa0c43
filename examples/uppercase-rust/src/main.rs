//! The seed's service in Rust: POST a body, get it back upper-cased in JSON:
//!   {"status":"success","data":"<BODY UPPERCASED>","timestamp":<unix seconds>}
//! A WAGI handler: the body is stdin, the response (CGI headers, blank line,
//! body) is stdout, and the time comes from the WASI clock. Behaves like
//! examples/uppercase (C++), byte for byte on UTF-8 bodies.

use serde::Serialize;
use std::io::{self, Read, Write};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Serialize)]
struct Success<'a> {
    status: &'a str,
    data: &'a str,
    timestamp: u64,
}

#[derive(Serialize)]
struct Failure<'a> {
    status: &'a str,
    error: &'a str,
}

/// Everything the handler writes: the CGI header block, then the body.
fn respond(out: &mut impl Write, headers: &str, body: &[u8]) -> io::Result<()> {
    out.write_all(headers.as_bytes())?;
    out.write_all(b"\n")?;
    out.write_all(body)?;
    out.flush()
}

fn handle(method: Option<&str>, body: &[u8], now: u64) -> (String, Vec<u8>) {
    if method != Some("POST") {
        let failure = Failure {
            status: "error",
            error: "POST a body to upper-case it",
        };
        // Serializing two string fields cannot fail; an empty body is the safe fallback.
        let mut json = serde_json::to_vec(&failure).unwrap_or_default();
        json.push(b'\n');
        return (
            "Status: 405 Method Not Allowed\nContent-Type: application/json\nAllow: POST\n".into(),
            json,
        );
    }
    // JSON strings must be UTF-8: invalid sequences become U+FFFD rather than
    // producing a body no JSON parser accepts. Only ASCII letters change case,
    // as in the C++ version.
    let data = String::from_utf8_lossy(body).to_ascii_uppercase();
    let success = Success {
        status: "success",
        data: &data,
        timestamp: now,
    };
    let json = serde_json::to_vec(&success).unwrap_or_default();
    ("Content-Type: application/json\n".into(), json)
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

fn main() {
    let method = std::env::var("REQUEST_METHOD").ok();
    let mut body = Vec::new();
    if method.as_deref() == Some("POST") && io::stdin().lock().read_to_end(&mut body).is_err() {
        let _ = respond(
            &mut io::stdout().lock(),
            "Status: 400 Bad Request\nContent-Type: application/json\n",
            b"{\"status\":\"error\",\"error\":\"cannot read the request body\"}\n",
        );
        return;
    }
    let (headers, json) = handle(method.as_deref(), &body, unix_seconds());
    // A client that went away is not an error worth a trap: nothing is left to tell it.
    let _ = respond(&mut io::stdout().lock(), &headers, &json);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_cases_a_post_body() {
        let (headers, body) = handle(Some("POST"), b"hello \"w\"\n", 42);
        assert_eq!(headers, "Content-Type: application/json\n");
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"status":"success","data":"HELLO \"W\"\n","timestamp":42}"#
        );
    }

    #[test]
    fn refuses_other_methods() {
        let (headers, body) = handle(Some("GET"), b"", 0);
        assert!(headers.starts_with("Status: 405"));
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "{\"status\":\"error\",\"error\":\"POST a body to upper-case it\"}\n"
        );
    }
}
