//! TLS against real handshakes: a certificate the system does not trust is
//! reported as a certificate problem (not as "could not connect"), a root
//! installed in the system's store is trusted, and a redirect from https to
//! plain http is refused.
//!
//! Certificates are made at test time with rcgen. The system store is
//! simulated with `SSL_CERT_FILE`, which the platform verifier reads on Linux;
//! since the environment is process-wide, that test runs in a child process.
//! Windows and macOS verify against their own stores, which ignore that variable,
//! so that test is Linux-only.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use backup_api::{ApiClient, ApiError, ClientConfig, Token};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::scripted::{ME, Scripted, response};

/// A certificate authority made for one test, like a company's inspection root.
struct TestCa {
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    fn new() -> TestCa {
        let mut params = CertificateParams::new(Vec::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("CA certificate");
        TestCa {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A TLS acceptor presenting a certificate for 127.0.0.1 signed by this CA.
    fn acceptor(&self) -> TlsAcceptor {
        let params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.issuer).expect("certificate");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .expect("server config");
        TlsAcceptor::from(Arc::new(config))
    }
}

fn quick() -> ClientConfig {
    ClientConfig {
        base_delay: Duration::from_millis(50),
        ..ClientConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_the_system_does_not_trust_is_reported_as_such() {
    let server =
        Scripted::start_tls(TestCa::new().acceptor(), vec![response("200 OK", &[], ME)]).await;
    let client = ApiClient::with_config(&server.base(), Token::new("t"), quick()).expect("client");
    let error = client
        .me()
        .await
        .expect_err("a certificate from an unknown authority must be refused");
    assert!(matches!(error, ApiError::Certificate { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("certificate")
            && text.contains("not accepted")
            && text.contains("not issued by an authority this computer trusts")
            && text.contains("system's certificate store"),
        "the person must learn it is the certificate, and what to do about it: {text}"
    );
    assert_eq!(server.count(), 0, "no request, so no token, was sent");
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        1,
        "a refused certificate does not heal by retrying"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn https_to_a_plain_http_server_says_the_secure_connection_failed() {
    // A plain HTTP server answers the TLS greeting with an HTTP error.
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n")
                .await;
        }
    });
    let client = ApiClient::with_config(
        &format!("https://127.0.0.1:{port}"),
        Token::new("t"),
        quick(),
    )
    .expect("client");
    let error = client.me().await.expect_err("no TLS on the other side");
    assert!(
        matches!(error, ApiError::Network { .. })
            && error
                .to_string()
                .contains("secure connection could not be set up"),
        "a failed handshake must not read as a refused connection: {error}"
    );
}

/// The port variables that the child process reads.
#[cfg(target_os = "linux")]
const TLS_PORT: &str = "BACKUP_API_TEST_TLS_PORT";
#[cfg(target_os = "linux")]
const PLAIN_PORT: &str = "BACKUP_API_TEST_PLAIN_PORT";

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn a_root_installed_in_the_system_store_is_trusted() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().expect("dir");
    let store = dir.path().join("company-root.pem");
    std::fs::write(&store, &ca.pem).expect("store");
    let plain = Scripted::start(vec![response("200 OK", &[], ME)]).await;
    let plain_me = format!("http://127.0.0.1:{}/v1/me", plain.port);
    let secure = Scripted::start_tls(
        ca.acceptor(),
        vec![
            response("200 OK", &[("content-type", "application/json")], ME),
            response("302 Found", &[("location", &plain_me)], ""),
        ],
    )
    .await;
    let (secure_port, plain_port) = (secure.port, plain.port);
    let child = tokio::task::spawn_blocking(move || {
        std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "--ignored",
                "--nocapture",
                "tls::system_store_child",
            ])
            .env("SSL_CERT_FILE", &store)
            .env_remove("SSL_CERT_DIR")
            .env(TLS_PORT, secure_port.to_string())
            .env(PLAIN_PORT, plain_port.to_string())
            .output()
            .expect("the child test runs")
    })
    .await
    .expect("join");
    let shown = format!(
        "{}\n{}",
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    assert!(child.status.success(), "{shown}");
    assert!(
        shown.contains("1 passed"),
        "the child must have run its test: {shown}"
    );
    assert_eq!(secure.count(), 2, "both calls reached the https provider");
    assert_eq!(plain.count(), 0, "the token never went to plain http");
}

/// Run by `a_root_installed_in_the_system_store_is_trusted`, with the test CA
/// as the system store and its two servers' ports in the environment.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
#[ignore = "run by a_root_installed_in_the_system_store_is_trusted, with SSL_CERT_FILE set"]
async fn system_store_child() {
    let port = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is set by a_root_installed_in_the_system_store_is_trusted")
        })
    };
    let client = ApiClient::with_config(
        &format!("https://127.0.0.1:{}", port(TLS_PORT)),
        Token::new("t"),
        quick(),
    )
    .expect("client");
    let me = client
        .me()
        .await
        .expect("a certificate issued by a root in the system store is trusted");
    assert_eq!(me.person.id, "p");
    let error = client
        .me()
        .await
        .expect_err("a redirect from https to plain http must be refused");
    assert!(
        matches!(&error, ApiError::InsecureRedirect(to) if to.contains(&port(PLAIN_PORT))),
        "{error:?}"
    );
    assert!(error.to_string().contains("unencrypted"), "{error}");
}
