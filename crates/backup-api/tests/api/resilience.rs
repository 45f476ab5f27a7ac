//! Retries with backoff, Retry-After, the idempotency key kept across
//! retries, redirects that never leave the host, and giving up cleanly.

use std::time::{Duration, Instant};

use backup_api::{ApiClient, ApiError, ClientConfig, ProblemCode, Token};
use test_support::proxy::FaultProxy;

use crate::scripted::{BACKUP, ME, Scripted, response};

fn quick() -> ClientConfig {
    ClientConfig {
        base_delay: Duration::from_millis(50),
        ..ClientConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_503_with_retry_after_is_waited_out_then_retried() {
    let server = Scripted::start(vec![
        response("503 Service Unavailable", &[("retry-after", "1")], ""),
        response("200 OK", &[("content-type", "application/json")], ME),
    ])
    .await;
    let client =
        ApiClient::with_config(&server.base(), Token::new("t0k3n"), quick()).expect("client");
    let started = Instant::now();
    let me = client.me().await.expect("succeeds after the retry");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured: {:?}",
        started.elapsed()
    );
    assert_eq!(server.count(), 2);
    assert_eq!(
        me.accounts[0].role, None,
        "an unknown role parses as no role, never a failure"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_beyond_the_cap_is_not_waited_for() {
    let server = Scripted::start(vec![response(
        "503 Service Unavailable",
        &[("retry-after", "3600")],
        "",
    )])
    .await;
    let client = ApiClient::with_config(&server.base(), Token::new("t"), quick()).expect("client");
    let started = Instant::now();
    let error = client.me().await.expect_err("gives up");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no hour-long wait"
    );
    assert_eq!(error.code(), Some(&ProblemCode::Other("http_503".into())));
    assert_eq!(server.count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_request_is_retried_only_with_the_same_idempotency_key() {
    let server = Scripted::start(vec![
        response("502 Bad Gateway", &[], "upstream hiccup"),
        response("503 Service Unavailable", &[], ""),
        response(
            "201 Created",
            &[("content-type", "application/json")],
            BACKUP,
        ),
    ])
    .await;
    let client = ApiClient::with_config(&server.base(), Token::new("t"), quick()).expect("client");
    let backup = client
        .request_backup("a", "key-0123456789")
        .await
        .expect("created on the third try");
    assert_eq!(backup.id, "bk_1");
    let requests = server.requests.lock().expect("lock").clone();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert!(
            request
                .to_ascii_lowercase()
                .contains("idempotency-key: key-0123456789"),
            "{request}"
        );
        assert!(
            request.starts_with("POST /v1/accounts/a/backups"),
            "{request}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_is_down_for_a_moment_is_reached_on_retry() {
    let server = Scripted::start(vec![response(
        "200 OK",
        &[("content-type", "application/json")],
        ME,
    )])
    .await;
    let proxy = FaultProxy::to_local_port(server.port).expect("proxy");
    proxy.set_refusing(true);
    let client = ApiClient::with_config(
        &format!("http://127.0.0.1:{}", proxy.port),
        Token::new("t"),
        quick(),
    )
    .expect("client");
    let reopen = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(120)).await;
        proxy.set_refusing(false);
        proxy
    });
    let me = client.me().await.expect("a retry gets through");
    assert_eq!(me.person.id, "p");
    let _proxy = reopen.await.expect("reopen");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_provider_is_a_network_error_that_says_so() {
    let port = test_support::free_port();
    let client = ApiClient::with_config(
        &format!("http://127.0.0.1:{port}"),
        Token::new("t"),
        quick(),
    )
    .expect("client");
    match client.me().await {
        Err(error @ ApiError::Network { .. }) => assert!(
            error.to_string().contains("could not be reached"),
            "{error}"
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_never_take_the_token_to_another_host() {
    let elsewhere = Scripted::start_on("127.0.0.2", vec![response("200 OK", &[], ME)]).await;
    let target = format!("http://127.0.0.2:{}/v1/me", elsewhere.port);
    let server = Scripted::start(vec![response("302 Found", &[("location", &target)], "")]).await;
    let client = ApiClient::with_config(&server.base(), Token::new("secret-token"), quick())
        .expect("client");
    let result = client.me().await;
    assert!(
        matches!(result, Err(ApiError::RedirectRefused(_))),
        "{result:?}"
    );
    assert_eq!(elsewhere.count(), 0, "the other host never saw a request");

    let same = Scripted::start(vec![
        response("302 Found", &[("location", "/v1/me?again=1")], ""),
        response("200 OK", &[("content-type", "application/json")], ME),
    ])
    .await;
    let client = ApiClient::with_config(&same.base(), Token::new("t"), quick()).expect("client");
    client
        .me()
        .await
        .expect("a redirect on the same host is followed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_provider_times_out_instead_of_hanging() {
    let server = Scripted::start(vec![response(
        "200 OK",
        &[("content-type", "application/json")],
        ME,
    )])
    .await;
    let proxy = FaultProxy::to_local_port(server.port).expect("proxy");
    proxy.set_stalled(true);
    let config = ClientConfig {
        read_timeout: Duration::from_millis(300),
        max_attempts: 2,
        ..quick()
    };
    let client = ApiClient::with_config(
        &format!("http://127.0.0.1:{}", proxy.port),
        Token::new("t"),
        config,
    )
    .expect("client");
    let started = Instant::now();
    let result = client.me().await;
    assert!(
        matches!(result, Err(ApiError::Network { .. })),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_that_is_not_the_contract_is_a_decode_error() {
    let server = Scripted::start(vec![response(
        "200 OK",
        &[("content-type", "application/json")],
        r#"{"hello":"world"}"#,
    )])
    .await;
    let client = ApiClient::with_config(&server.base(), Token::new("t"), quick()).expect("client");
    match client.me().await {
        Err(error @ ApiError::Decode(_)) => {
            assert!(error.to_string().contains("not understood"), "{error}")
        }
        other => panic!("{other:?}"),
    }
}
