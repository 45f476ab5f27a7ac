//! A faulty or hostile provider cannot keep a call going forever or fill
//! memory: cursors that never end or come back, oversized answers, and a
//! provider that trickles its answer all end in an error that says so.

use std::time::{Duration, Instant};

use backup_api::{ApiClient, ApiError, BackupPage, ClientConfig, Token};
use backup_domain::{BackupPolicy, RequestGate};
use chrono::DateTime;

use crate::scripted::{Scripted, response};

fn quick() -> ClientConfig {
    ClientConfig {
        base_delay: Duration::from_millis(50),
        ..ClientConfig::default()
    }
}

/// A page of the history with no backups, pointing to `next_cursor`.
fn page(next_cursor: Option<&str>) -> String {
    let page = BackupPage {
        backups: Vec::new(),
        next_cursor: next_cursor.map(str::to_owned),
        gate: RequestGate {
            allowed: true,
            reason: None,
            next_allowed_at: None,
            last_requested_at: None,
        },
        policy: BackupPolicy::reference_default(),
        server_time: DateTime::parse_from_rfc3339("2026-11-21T10:00:00Z")
            .expect("a date")
            .to_utc(),
    };
    let body = serde_json::to_string(&page).expect("a page");
    response("200 OK", &[("content-type", "application/json")], &body)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_history_whose_cursors_never_end_stops_at_the_page_limit() {
    let server = Scripted::start_with(|n, _| page(Some(&format!("cursor-{n}")))).await;
    let config = ClientConfig {
        max_pages: 20,
        ..quick()
    };
    let client = ApiClient::with_config(&server.base(), Token::new("t"), config).expect("client");
    let error = client
        .all_backups("a")
        .await
        .expect_err("an endless history must not be followed forever");
    assert!(matches!(error, ApiError::EndlessHistory(_)), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("kept sending more pages") && text.contains("more than 20 pages"),
        "the person must learn what happened and that it is the provider's fault: {text}"
    );
    assert_eq!(server.count(), 20, "no page is asked for past the limit");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_that_comes_back_stops_the_walk_at_once() {
    let server = Scripted::start(vec![page(Some("a")), page(Some("b")), page(Some("a"))]).await;
    let client = ApiClient::with_config(&server.base(), Token::new("t"), quick()).expect("client");
    let error = client
        .all_backups("a")
        .await
        .expect_err("a cursor seen before would loop forever");
    let text = error.to_string();
    assert!(
        matches!(error, ApiError::EndlessHistory(_)) && text.contains("led back"),
        "{text}"
    );
    assert_eq!(
        server.count(),
        3,
        "the loop is noticed on the page that closes it, not after the page limit"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_history_that_ends_is_read_whole() {
    let server = Scripted::start(vec![page(Some("a")), page(Some("b")), page(None)]).await;
    let client = ApiClient::with_config(&server.base(), Token::new("t"), quick()).expect("client");
    client
        .all_backups("a")
        .await
        .expect("the limits must not stop an ordinary history");
    assert_eq!(server.count(), 3);
}

/// 20 MB of a JSON string: a valid answer, were it not for its size.
fn huge_json() -> String {
    format!("\"{}\"", "x".repeat(20_000_000))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_answer_is_refused_by_its_announced_length() {
    let server = Scripted::start(vec![response(
        "200 OK",
        &[("content-type", "application/json")],
        &huge_json(),
    )])
    .await;
    let client = ApiClient::with_config(&server.base(), Token::new("t"), quick()).expect("client");
    let error = client
        .me()
        .await
        .expect_err("20 MB is no answer of the contract");
    assert!(
        matches!(error, ApiError::AnswerTooLarge { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("larger than 8 MiB"),
        "the message says what limit was passed: {error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_answer_without_a_length_is_cut_off_while_streaming() {
    // No Content-Length: the body runs until the connection closes, so only
    // counting while reading can stop it.
    let unannounced = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{}",
        huge_json()
    );
    let server = Scripted::start(vec![unannounced]).await;
    let client = ApiClient::with_config(&server.base(), Token::new("t"), quick()).expect("client");
    let error = client
        .me()
        .await
        .expect_err("20 MB is no answer of the contract");
    assert!(
        matches!(error, ApiError::AnswerTooLarge { .. }),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_problem_keeps_its_status() {
    let server = Scripted::start(vec![response(
        "500 Internal Server Error",
        &[],
        &huge_json(),
    )])
    .await;
    let client = ApiClient::with_config(&server.base(), Token::new("t"), quick()).expect("client");
    match client.me().await {
        Err(ApiError::Problem { status, detail, .. }) => {
            assert_eq!(status, 500);
            assert!(
                detail.contains("HTTP 500"),
                "the status still says what failed: {detail}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trickling_provider_hits_the_deadline() {
    let server = Scripted::trickling(Duration::from_millis(100)).await;
    let config = ClientConfig {
        deadline: Duration::from_secs(1),
        ..quick()
    };
    let client = ApiClient::with_config(&server.base(), Token::new("t"), config).expect("client");
    let started = Instant::now();
    let error = client
        .me()
        .await
        .expect_err("each read is quick, but the answer never ends");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the deadline bounds the whole call, not each read: {:?}",
        started.elapsed()
    );
    assert!(matches!(error, ApiError::Network { .. }), "{error:?}");
    assert!(
        error.to_string().contains("did not answer within 1 s"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_past_the_deadline_is_not_waited_for() {
    let server = Scripted::start(vec![response(
        "503 Service Unavailable",
        &[("retry-after", "5")],
        "",
    )])
    .await;
    let config = ClientConfig {
        deadline: Duration::from_secs(2),
        ..quick()
    };
    let client = ApiClient::with_config(&server.base(), Token::new("t"), config).expect("client");
    let started = Instant::now();
    let error = client.me().await.expect_err("the provider is unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "waiting past the deadline would only end in a timeout: {:?}",
        started.elapsed()
    );
    assert!(
        matches!(error, ApiError::Problem { status: 503, .. }),
        "the provider's own answer is more telling than a timeout: {error:?}"
    );
}
