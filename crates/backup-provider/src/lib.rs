//! The reference backup provider: a real implementation of the provider
//! API contract (`api/openapi.yaml`) with SQLite persistence, the status
//! lifecycle, server-side cooldown and expiry, and archives delivered over
//! SFTP. It is Backup Desk's embedded demo and every test's counterpart.

pub mod api;
pub mod archive;
pub mod clock;
pub mod demo;
pub mod error;
pub mod ids;
pub mod lifecycle;
pub mod problem;
pub mod sample;
pub mod sftp_server;
pub mod store;

pub use error::ProviderError;
pub use store::Store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// How to run the HTTP server.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub archive_dir: PathBuf,
    pub sftp: api::SftpEndpoint,
    pub auto: Option<lifecycle::AutoDelays>,
    /// Serve archives with the embedded SFTP server (demo mode, providers
    /// without sshd); deliveries then point at it instead of `sftp`.
    pub embedded_sftp: Option<EmbeddedSftp>,
}

impl ServeOptions {
    /// `data_dir` served on a free loopback port, deliveries pointing at
    /// `sftp` (an external sshd); no auto mode, no embedded SFTP server.
    pub fn loopback(
        data_dir: PathBuf,
        archive_dir: PathBuf,
        sftp: api::SftpEndpoint,
    ) -> ServeOptions {
        ServeOptions {
            data_dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            archive_dir,
            sftp,
            auto: None,
            embedded_sftp: None,
        }
    }
}

/// Where the embedded SFTP server listens and whom it lets in.
#[derive(Debug, Clone)]
pub struct EmbeddedSftp {
    pub listen: SocketAddr,
    /// Who may download: an account id and an OpenSSH public key line; a
    /// key reads only its account's folder.
    pub authorized_keys: Vec<(String, String)>,
}

/// A running server: its bound address and a handle to stop it.
#[derive(Debug)]
pub struct RunningServer {
    pub addr: SocketAddr,
    /// The SFTP endpoint deliveries point at.
    pub sftp: api::SftpEndpoint,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    embedded: Option<sftp_server::EmbeddedSftpServer>,
}

impl RunningServer {
    /// Stops accepting and waits for in-flight requests.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        if let Some(embedded) = self.embedded.take() {
            embedded.stop().await;
        }
    }
}

/// Binds and serves the API in the background of the current runtime.
pub async fn start(options: ServeOptions) -> Result<RunningServer, ProviderError> {
    let store = Arc::new(Store::open(&options.data_dir)?);
    archive::adopt_flat_layout(&options.archive_dir, &store.published_archives()?);
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| ProviderError::Io(format!("cannot listen on {}: {e}", options.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ProviderError::Io(e.to_string()))?;
    let (sftp, embedded) = match options.embedded_sftp {
        None => (options.sftp, None),
        Some(config) => {
            let server = sftp_server::EmbeddedSftpServer::start(sftp_server::SftpServerOptions {
                listen: config.listen,
                root: options.archive_dir.clone(),
                host_key_path: options.data_dir.join("sftp_host_ed25519_key"),
                authorized_keys: config.authorized_keys,
            })
            .await?;
            let endpoint = api::SftpEndpoint {
                host: server.addr.ip().to_string(),
                port: server.addr.port(),
                host_key_fingerprints: vec![server.host_key_fingerprint.clone()],
            };
            (endpoint, Some(server))
        }
    };
    let state = api::ApiState {
        store: Arc::clone(&store),
        sftp: sftp.clone(),
        archive_dir: options.archive_dir.clone(),
    };
    let auto = options
        .auto
        .map(|delays| tokio::spawn(lifecycle::run_auto(store, options.archive_dir, delays)));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, api::router(state))
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(error) = served {
            eprintln!("backup-provider: server error: {error}");
        }
        if let Some(auto) = auto {
            auto.abort();
        }
    });
    Ok(RunningServer {
        addr,
        sftp,
        shutdown: Some(tx),
        task,
        embedded,
    })
}
