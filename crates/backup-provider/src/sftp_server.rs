//! A small embedded, read-only SFTP server for the reference provider.
//!
//! The API contract delivers archives over SFTP. So that the reference provider
//! (and every test and demo) runs without an external `sshd`, this module serves
//! the archive directory itself: public-key login only, the `sftp` subsystem
//! only, and a handler that can stat, list and read files under the root and
//! refuses every write. Paths never leave the root, lexically or via symlinks.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::public::KeyData;
use russh::keys::ssh_key::{HashAlg, LineEnding, PrivateKey, PublicKey};
use russh::server::{Auth, ChannelOpenHandle, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, MethodKind, MethodSet, Pty};
use russh_sftp::protocol::{
    Attrs, Data, File as SftpFile, FileAttributes, Handle, Name, OpenFlags, Status, StatusCode,
    Version,
};

use crate::error::ProviderError;

type Ssh<T> = Result<T, russh::Error>;
type Sftp<T> = Result<T, StatusCode>;

/// Longest read answered at once (OpenSSH's client accepts 256 KiB packets).
const MAX_READ: u32 = 255 * 1024;
/// Directory entries returned per `readdir` reply.
const READDIR_BATCH: usize = 128;
/// Open file and directory handles allowed per SFTP session.
const MAX_HANDLES: usize = 256;

/// How to run the embedded SFTP server.
#[derive(Debug, Clone)]
pub struct SftpServerOptions {
    /// Where to listen; `127.0.0.1:0` picks a free port.
    pub listen: SocketAddr,
    /// The archive directory: the only thing served.
    pub root: PathBuf,
    /// Persistent Ed25519 host key (OpenSSH format); created with mode 0600 if missing.
    pub host_key_path: PathBuf,
    /// Who may log in: an account id and an OpenSSH public key line
    /// (`ssh-ed25519 AAAA… comment`). A key sees only its account's folder.
    pub authorized_keys: Vec<(String, String)>,
}

/// A running SFTP server: its address, its host key fingerprint, and a way to stop it.
#[derive(Debug)]
pub struct EmbeddedSftpServer {
    /// The bound address (with the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// `SHA256:…` exactly as `ssh-keygen -l -E sha256` prints it for the host key.
    pub host_key_fingerprint: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl EmbeddedSftpServer {
    /// Loads or creates the host key, binds, and serves in a background task.
    pub async fn start(options: SftpServerOptions) -> Result<EmbeddedSftpServer, ProviderError> {
        let root = options.root.clone();
        let root = blocking_io(move || {
            std::fs::create_dir_all(&root)?;
            std::fs::canonicalize(&root)
        })
        .await
        .map_err(|e| ProviderError::Io(format!("SFTP root {}: {e}", options.root.display())))?;
        let authorized = options
            .authorized_keys
            .iter()
            .map(|(account, line)| (account, line.trim()))
            .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
            .map(|(account, line)| {
                if !crate::ids::is_valid_id(account) {
                    return Err(ProviderError::Io(format!(
                        "invalid account id {account:?} for an authorized key"
                    )));
                }
                PublicKey::from_openssh(line)
                    .map(|key| (key.key_data().clone(), account.clone()))
                    .map_err(|e| ProviderError::Io(format!("invalid authorized key {line:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let path = options.host_key_path.clone();
        let host_key = blocking_io(move || load_or_create_host_key(&path))
            .await
            .map_err(|e| {
                let path = options.host_key_path.display();
                ProviderError::Io(format!("SFTP host key {path}: {e}"))
            })?;
        let host_key_fingerprint = host_key
            .public_key()
            .fingerprint(HashAlg::Sha256)
            .to_string();
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|e| ProviderError::Io(format!("cannot listen on {}: {e}", options.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ProviderError::Io(e.to_string()))?;
        let config = Arc::new(russh::server::Config {
            methods: MethodSet::from(&[MethodKind::PublicKey][..]),
            auth_rejection_time: Duration::from_millis(100),
            auth_rejection_time_initial: Some(Duration::ZERO),
            keys: vec![host_key],
            inactivity_timeout: Some(Duration::from_secs(600)),
            window_size: 16 * 1024 * 1024,
            maximum_packet_size: 65535,
            channel_buffer_size: 256,
            nodelay: true,
            ..Default::default()
        });
        let mut server = SshServer {
            root: Arc::new(root),
            authorized: Arc::new(authorized),
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            use russh::server::Server as _;
            let running = server.run_on_socket(config, &listener);
            let handle = running.handle();
            tokio::select! {
                served = running => {
                    if let Err(error) = served {
                        eprintln!("backup-provider: SFTP server error: {error}");
                    }
                }
                _ = rx => handle.shutdown("server stopping".to_owned()),
            }
        });
        Ok(EmbeddedSftpServer {
            addr,
            host_key_fingerprint,
            shutdown: Some(tx),
            task,
        })
    }

    /// Stops accepting, disconnects the open sessions and waits for the listener task.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Runs blocking file work off the async threads.
async fn blocking_io<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| io::Error::other(e.to_string()))?
}

/// Loads the server's persistent host key, creating it the first time. The
/// new key is written beside and linked into place, so a crash never leaves
/// a torn key under the final name, and a concurrent start keeps the first.
fn load_or_create_host_key(path: &Path) -> io::Result<PrivateKey> {
    let damaged = |detail: String| {
        io::Error::other(format!(
            "it is damaged ({detail}): restore it from a backup, or delete it to make a new \
             one (clients will then see a changed server key)"
        ))
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key =
                PrivateKey::from_openssh(text.as_bytes()).map_err(|e| damaged(e.to_string()))?;
            if key.is_encrypted() {
                return Err(damaged("it is passphrase-protected".into()));
            }
            Ok(key)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| io::Error::other(e.to_string()))?;
            let mut key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
            seed.fill(0);
            key.set_comment("backup-provider sftp host key");
            let text = key
                .to_openssh(LineEnding::LF)
                .map_err(|e| io::Error::other(e.to_string()))?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let mut tmp = path.as_os_str().to_owned();
            tmp.push(".tmp");
            let tmp = std::path::PathBuf::from(tmp);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&tmp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            drop(file);
            let linked = std::fs::hard_link(&tmp, path);
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => Ok(key),
                // Another start won the race: use its key.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => load_or_create_host_key(path),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

#[derive(Clone)]
struct SshServer {
    root: Arc<PathBuf>,
    /// Each key with the account whose folder it may read.
    authorized: Arc<Vec<(KeyData, String)>>,
}

impl russh::server::Server for SshServer {
    type Handler = SshSession;
    fn new_client(&mut self, _peer: Option<SocketAddr>) -> SshSession {
        SshSession {
            server: self.clone(),
            channels: HashMap::new(),
            account: None,
        }
    }
}

/// One SSH connection. Password, keyboard-interactive and "none" logins keep
/// russh's default answer (reject); only `publickey` is offered.
struct SshSession {
    server: SshServer,
    channels: HashMap<ChannelId, Channel<Msg>>,
    /// The account of the key that logged in.
    account: Option<String>,
}

impl SshSession {
    fn account_of(&self, key: &PublicKey) -> Option<String> {
        self.server
            .authorized
            .iter()
            .find(|(k, _)| k == key.key_data())
            .map(|(_, account)| account.clone())
    }

    fn verdict(&self, key: &PublicKey) -> Auth {
        if self.account_of(key).is_some() {
            Auth::Accept
        } else {
            Auth::reject()
        }
    }
}

impl russh::server::Handler for SshSession {
    type Error = russh::Error;

    async fn auth_publickey_offered(&mut self, _: &str, offer: PublicKeyOffer<'_>) -> Ssh<Auth> {
        Ok(self.verdict(offer.public_key))
    }

    async fn auth_publickey(&mut self, _: &str, key: VerifiedPublicKey<'_>) -> Ssh<Auth> {
        self.account = self.account_of(key.public_key);
        Ok(self.verdict(key.public_key))
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _: &mut Session,
    ) -> Ssh<()> {
        if self.channels.len() < 8 {
            self.channels.insert(channel.id(), channel);
            reply.accept().await;
        } // else dropping `reply` refuses the channel.
        Ok(())
    }

    async fn channel_close(&mut self, channel: ChannelId, _: &mut Session) -> Ssh<()> {
        self.channels.remove(&channel);
        Ok(())
    }

    async fn channel_eof(&mut self, channel: ChannelId, session: &mut Session) -> Ssh<()> {
        session.close(channel)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Ssh<()> {
        let open = if name == "sftp" {
            self.channels.remove(&channel)
        } else {
            None
        };
        let (Some(open), Some(account)) = (open, &self.account) else {
            return session.channel_failure(channel);
        };
        session.channel_success(channel)?;
        let tenant = Arc::new(self.server.root.join(account));
        let handler = ReadOnlySftp::new(Arc::clone(&self.server.root), tenant);
        russh_sftp::server::run(open.into_stream(), handler).await; // spawns its own task
        Ok(())
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Ssh<()> {
        session.channel_failure(channel)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _: &[u8],
        session: &mut Session,
    ) -> Ssh<()> {
        session.channel_failure(channel)
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _: &str,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
        _: &[(Pty, u32)],
        session: &mut Session,
    ) -> Ssh<()> {
        session.channel_failure(channel)
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _: bool,
        _: &str,
        _: &str,
        _: u32,
        session: &mut Session,
    ) -> Ssh<()> {
        session.channel_failure(channel)
    }
}

enum OpenItem {
    File(Arc<File>),
    Dir(PathBuf, Vec<SftpFile>),
}

/// The SFTP side: read-only, chrooted to a canonical root, where one
/// account's session sees and reads only its own folder (`/<account>`).
struct ReadOnlySftp {
    root: Arc<PathBuf>,
    /// `root/<account>`: the only subtree this session may read.
    tenant: Arc<PathBuf>,
    handles: HashMap<String, OpenItem>,
    next_handle: u64,
    initialized: bool,
}

impl ReadOnlySftp {
    fn new(root: Arc<PathBuf>, tenant: Arc<PathBuf>) -> Self {
        ReadOnlySftp {
            root,
            tenant,
            handles: HashMap::new(),
            next_handle: 0,
            initialized: false,
        }
    }

    /// The real, canonical path for an SFTP path; `NoSuchFile` for anything
    /// missing, outside the root, or in another account's folder (after
    /// following symlinks). The root itself resolves, to list one's folder.
    async fn resolve(&self, path: &str) -> Sftp<PathBuf> {
        let parts = lexical(path).ok_or(StatusCode::NoSuchFile)?;
        let joined = parts
            .iter()
            .fold(self.root.to_path_buf(), |acc, p| acc.join(p));
        let real = blocking(move || std::fs::canonicalize(joined)).await?;
        if real.starts_with(self.tenant.as_path()) || real == *self.root {
            Ok(real)
        } else {
            Err(StatusCode::NoSuchFile)
        }
    }

    /// Attributes of a path; symlinks inside the root are followed, never shown.
    async fn stat_path(&self, id: u32, path: &str) -> Sftp<Attrs> {
        let real = self.resolve(path).await?;
        let metadata = blocking(move || std::fs::metadata(real)).await?;
        Ok(Attrs {
            id,
            attrs: attrs(&metadata),
        })
    }

    fn insert(&mut self, item: OpenItem) -> Sftp<String> {
        if self.handles.len() >= MAX_HANDLES {
            return Err(StatusCode::Failure);
        }
        self.next_handle += 1;
        let handle = self.next_handle.to_string();
        self.handles.insert(handle.clone(), item);
        Ok(handle)
    }
}

/// The components of `path` once `.`, `..` and empty parts are applied
/// against the virtual root ("/"); `None` for a component no file may have.
fn lexical(path: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p if p.contains(['\\', '\0']) || (cfg!(windows) && p.contains(':')) => return None,
            p => parts.push(p),
        }
    }
    Some(parts)
}

fn status_of(error: io::Error) -> StatusCode {
    match error.kind() {
        io::ErrorKind::NotFound => StatusCode::NoSuchFile,
        io::ErrorKind::PermissionDenied => StatusCode::PermissionDenied,
        _ => StatusCode::Failure,
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> Sftp<T> {
    blocking_io(work).await.map_err(status_of)
}

/// Attributes as served: the file's own, minus the write bits.
fn attrs(metadata: &Metadata) -> FileAttributes {
    let mut attrs = FileAttributes::from(metadata);
    attrs.permissions = attrs.permissions.map(|mode| mode & !0o222);
    attrs
}

fn ok(id: u32) -> Status {
    Status {
        id,
        status_code: StatusCode::Ok,
        error_message: "Ok".to_owned(),
        language_tag: "en-US".to_owned(),
    }
}

/// Up to `len` bytes at `offset` (fewer only at end of file).
fn read_at(file: &File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let mut filled = 0;
    while filled < len {
        let at = offset.saturating_add(filled as u64);
        #[cfg(unix)]
        let read = std::os::unix::fs::FileExt::read_at(file, &mut buf[filled..], at);
        #[cfg(not(unix))]
        let read = {
            use std::io::{Read, Seek, SeekFrom};
            let mut file = file;
            file.seek(SeekFrom::Start(at))
                .and_then(|_| file.read(&mut buf[filled..]))
        };
        match read {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// The entries of `dir` that resolve inside `tenant` (the session's own
/// folder), sorted by name: another account's folder is never listed.
fn list_dir(dir: &Path, tenant: &Path) -> io::Result<Vec<SftpFile>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let Ok(real) = std::fs::canonicalize(entry.path()) else {
            continue;
        };
        let Ok(metadata) = std::fs::metadata(&real) else {
            continue;
        };
        if real.starts_with(tenant) {
            files.push(SftpFile::new(name, attrs(&metadata)));
        }
    }
    files.sort_by(|a, b| b.filename.cmp(&a.filename)); // popped from the end
    Ok(files)
}

const WRITE_FLAGS: OpenFlags = OpenFlags::WRITE
    .union(OpenFlags::APPEND)
    .union(OpenFlags::CREATE)
    .union(OpenFlags::TRUNCATE)
    .union(OpenFlags::EXCLUDE);

/// Answers each listed SFTP request with `PermissionDenied`: the server is read-only.
macro_rules! refuse_writes {
    ($($op:ident($($arg:ty),*);)*) => {$(
        async fn $op(&mut self, $(_: $arg),*) -> Sftp<Status> {
            Err(StatusCode::PermissionDenied)
        }
    )*};
}

impl russh_sftp::server::Handler for ReadOnlySftp {
    type Error = StatusCode;

    fn unimplemented(&self) -> Self::Error {
        StatusCode::OpUnsupported
    }

    async fn init(&mut self, _: u32, _: HashMap<String, String>) -> Sftp<Version> {
        if std::mem::replace(&mut self.initialized, true) {
            return Err(StatusCode::BadMessage);
        }
        Ok(Version::new()) // version 3, no extensions
    }

    async fn realpath(&mut self, id: u32, path: String) -> Sftp<Name> {
        let parts = lexical(&path).ok_or(StatusCode::NoSuchFile)?;
        let files = vec![SftpFile::dummy(format!("/{}", parts.join("/")))];
        Ok(Name { id, files })
    }

    async fn stat(&mut self, id: u32, path: String) -> Sftp<Attrs> {
        self.stat_path(id, &path).await
    }

    async fn lstat(&mut self, id: u32, path: String) -> Sftp<Attrs> {
        self.stat_path(id, &path).await
    }

    async fn fstat(&mut self, id: u32, handle: String) -> Sftp<Attrs> {
        let metadata = match self.handles.get(&handle) {
            Some(OpenItem::File(file)) => {
                let file = Arc::clone(file);
                blocking(move || file.metadata()).await?
            }
            Some(OpenItem::Dir(path, _)) => {
                let path = path.clone();
                blocking(move || std::fs::metadata(path)).await?
            }
            None => return Err(StatusCode::Failure),
        };
        Ok(Attrs {
            id,
            attrs: attrs(&metadata),
        })
    }

    async fn open(
        &mut self,
        id: u32,
        filename: String,
        pflags: OpenFlags,
        _: FileAttributes,
    ) -> Sftp<Handle> {
        if pflags.intersects(WRITE_FLAGS) {
            return Err(StatusCode::PermissionDenied);
        }
        let real = self.resolve(&filename).await?;
        let (file, metadata) = blocking(move || {
            let file = File::open(real)?;
            let metadata = file.metadata()?;
            Ok((file, metadata))
        })
        .await?;
        if !metadata.is_file() {
            return Err(StatusCode::Failure);
        }
        let handle = self.insert(OpenItem::File(Arc::new(file)))?;
        Ok(Handle { id, handle })
    }

    async fn read(&mut self, id: u32, handle: String, offset: u64, len: u32) -> Sftp<Data> {
        let Some(OpenItem::File(file)) = self.handles.get(&handle) else {
            return Err(StatusCode::Failure);
        };
        let file = Arc::clone(file);
        let len = len.min(MAX_READ) as usize;
        let data = blocking(move || read_at(&file, offset, len)).await?;
        if data.is_empty() && len > 0 {
            return Err(StatusCode::Eof);
        }
        Ok(Data { id, data })
    }

    async fn close(&mut self, id: u32, handle: String) -> Sftp<Status> {
        self.handles
            .remove(&handle)
            .map(|_| ok(id))
            .ok_or(StatusCode::Failure)
    }

    async fn opendir(&mut self, id: u32, path: String) -> Sftp<Handle> {
        let real = self.resolve(&path).await?;
        let (dir, tenant) = (real.clone(), Arc::clone(&self.tenant));
        let files = blocking(move || list_dir(&dir, &tenant)).await?;
        let handle = self.insert(OpenItem::Dir(real, files))?;
        Ok(Handle { id, handle })
    }

    async fn readdir(&mut self, id: u32, handle: String) -> Sftp<Name> {
        let Some(OpenItem::Dir(_, entries)) = self.handles.get_mut(&handle) else {
            return Err(StatusCode::Failure);
        };
        let keep = entries.len().saturating_sub(READDIR_BATCH);
        let files: Vec<SftpFile> = entries.drain(keep..).rev().collect();
        if files.is_empty() {
            Err(StatusCode::Eof)
        } else {
            Ok(Name { id, files })
        }
    }

    refuse_writes! {
        write(u32, String, u64, Vec<u8>);
        setstat(u32, String, FileAttributes);
        fsetstat(u32, String, FileAttributes);
        remove(u32, String);
        mkdir(u32, String, FileAttributes);
        rmdir(u32, String);
        rename(u32, String, String);
        symlink(u32, String, String);
    }
}

#[cfg(test)]
mod tests;
