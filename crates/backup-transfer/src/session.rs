//! Opening an SFTP session: TCP with a connect timeout, SSH handshake with
//! ciphers that are fast in libssh2, host key check *before* authentication,
//! then public-key authentication from memory.

use std::fmt;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use base64::Engine;
use ssh2::{HashType, MethodType, Session, Sftp};

use crate::error::TransferError;
use crate::hostkey::{self, HostKeyPolicy};

/// Where to connect and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub username: String,
}

/// A private key in memory (PEM or OpenSSH format) and its passphrase.
/// `Debug` never prints either.
#[derive(Clone)]
pub struct PrivateKey {
    pem: String,
    passphrase: Option<String>,
}

impl PrivateKey {
    pub fn new(pem: impl Into<String>, passphrase: Option<String>) -> PrivateKey {
        PrivateKey {
            pem: pem.into(),
            passphrase,
        }
    }

    /// Whether the key file is encrypted (PEM `ENCRYPTED` markers, or an
    /// OpenSSH key whose cipher is not `none`).
    pub fn is_encrypted(&self) -> bool {
        if self.pem.contains("ENCRYPTED") {
            return true;
        }
        let Some(body) = self
            .pem
            .split("-----BEGIN OPENSSH PRIVATE KEY-----")
            .nth(1)
            .and_then(|rest| rest.split("-----END").next())
        else {
            return false;
        };
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let Ok(blob) = base64::engine::general_purpose::STANDARD.decode(compact) else {
            return false;
        };
        // "openssh-key-v1\0" then string ciphername (u32 length + bytes).
        let rest = blob.get(15..).unwrap_or_default();
        let len = rest
            .get(..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
        match len.and_then(|n| rest.get(4..4 + n)) {
            Some(cipher) => cipher != b"none",
            None => false,
        }
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// Timeouts and keepalives of a connection.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// Longest any single blocking operation (a read, the handshake) may take.
    pub operation: Duration,
    /// Keepalive interval while idle.
    pub keepalive: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(15),
            operation: Duration::from_secs(30),
            keepalive: Duration::from_secs(15),
        }
    }
}

/// An authenticated session with its SFTP channel and a handle on the
/// socket (to abort a blocking read on cancel).
pub(crate) struct Connected {
    pub sftp: Sftp,
    pub socket: TcpStream,
    /// The server's host key fingerprint (already checked).
    pub fingerprint: String,
    // Keeps the session alive as long as the SFTP channel.
    _session: Session,
}

fn network(what: &str, e: impl fmt::Display) -> TransferError {
    TransferError::Network(format!("{what}: {e}"))
}

/// Connects, verifies the host key against `policy` and authenticates.
pub(crate) fn connect(
    endpoint: &Endpoint,
    key: &PrivateKey,
    policy: &HostKeyPolicy,
    timeouts: &Timeouts,
) -> Result<Connected, TransferError> {
    handshake(endpoint, timeouts)?.finish(endpoint, key, policy, timeouts)
}

/// A connection to an SFTP server whose SSH handshake is done and whose
/// host key is not checked yet: nothing was sent that needs trust. Made
/// while the provider's delivery call is in flight (the server's address is
/// in the account's settings), it saves the TCP and key-exchange round
/// trips before the first byte, and the login's and SFTP's too when the
/// server presents the key pinned for it
/// ([`EarlyConnection::log_in_if_pinned`]); [`crate::download_after`]
/// checks the host key against the delivery's policy, then logs in if that
/// is left to do. `Debug` shows the address, the fingerprint and whether it
/// is logged in.
pub struct EarlyConnection {
    host: String,
    port: u16,
    session: Session,
    socket: TcpStream,
    fingerprint: String,
    key_type: &'static str,
    /// SFTP, once logged in early (see [`EarlyConnection::log_in_if_pinned`]).
    sftp: Option<Sftp>,
    /// How long the SSH handshake took once TCP was connected: two round
    /// trips (see [`EarlyConnection::handshake_took`]).
    handshake_took: Duration,
}

impl fmt::Debug for EarlyConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EarlyConnection")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("fingerprint", &self.fingerprint)
            .field("logged_in", &self.sftp.is_some())
            .finish_non_exhaustive()
    }
}

/// TCP and the SSH handshake to `endpoint`, with no host key check and no
/// authentication yet (see [`EarlyConnection`]).
pub fn connect_early(
    endpoint: &Endpoint,
    timeouts: &Timeouts,
) -> Result<EarlyConnection, TransferError> {
    handshake(endpoint, timeouts)
}

impl EarlyConnection {
    /// Logs in and opens SFTP now, when the server presents the key trusted
    /// for it earlier (`pinned`, the account's saved pin): the login then
    /// happens while the provider's API answers too, and only the file's
    /// open is left for after. A server presenting another key is left
    /// unauthenticated for the full check in [`crate::download_after`];
    /// `None` when the login fails (the download then connects again and
    /// reports why). A pin is no blanket pass: `download_after` checks the
    /// key against the delivery's policy (the pin and what the provider
    /// publishes now) before anything is opened, as for any session. A
    /// public-key login gives a server nothing it could use elsewhere.
    pub fn log_in_if_pinned(
        mut self,
        pinned: &str,
        key: &PrivateKey,
        endpoint: &Endpoint,
        timeouts: &Timeouts,
    ) -> Option<EarlyConnection> {
        if !self.presents(pinned) || !self.reaches(endpoint) || self.sftp.is_some() {
            return Some(self);
        }
        let guess = channel_guesses::guess(endpoint);
        match log_in(&self.session, &self.socket, endpoint, key, timeouts, guess) {
            Ok(Some(sftp)) => self.sftp = Some(sftp),
            // Refused, or SFTP's channel was not the one guessed: the
            // download connects again (says why, or does not guess).
            _ => return None,
        }
        Some(self)
    }

    /// Whether the server presented the key with this fingerprint.
    pub fn presents(&self, fingerprint: &str) -> bool {
        self.fingerprint == fingerprint
    }

    /// How long the SSH handshake took once TCP was connected: two round
    /// trips (the banners and key-exchange offers, the exchange; the
    /// service request travels with the login, see `vendor/libssh2-sys`),
    /// plus the server's work. TCP's own connect is left out: a link
    /// emulated in user space (the tests' proxy) connects at once, a real
    /// one takes a round trip, and the two round trips after it are the
    /// same on both.
    pub(crate) fn handshake_took(&self) -> Duration {
        self.handshake_took
    }

    /// Whether [`EarlyConnection::log_in_if_pinned`] logged in.
    pub fn is_logged_in(&self) -> bool {
        self.sftp.is_some()
    }

    /// Whether this connection goes where `endpoint` says.
    pub(crate) fn reaches(&self, endpoint: &Endpoint) -> bool {
        self.host == endpoint.host && self.port == endpoint.port
    }

    /// Checks the host key against `policy`, then authenticates and opens SFTP.
    pub(crate) fn finish(
        self,
        endpoint: &Endpoint,
        key: &PrivateKey,
        policy: &HostKeyPolicy,
        timeouts: &Timeouts,
    ) -> Result<Connected, TransferError> {
        let guess = channel_guesses::guess(endpoint);
        self.finish_guessing(endpoint, key, policy, timeouts, guess)
    }

    /// [`EarlyConnection::finish`], SFTP's subsystem request naming the
    /// channel number `guess` before the server's confirmation (see
    /// [`start_sftp_eagerly`]); when SFTP does not start that way, once
    /// more on a new connection, without a guess.
    fn finish_guessing(
        self,
        endpoint: &Endpoint,
        key: &PrivateKey,
        policy: &HostKeyPolicy,
        timeouts: &Timeouts,
        guess: Option<u32>,
    ) -> Result<Connected, TransferError> {
        let EarlyConnection {
            session,
            socket,
            fingerprint,
            key_type,
            sftp,
            ..
        } = self;
        hostkey::check(policy, &endpoint.host, &fingerprint, key_type)?;
        let sftp = match sftp {
            Some(sftp) => sftp,
            None => match log_in(&session, &socket, endpoint, key, timeouts, guess)? {
                Some(sftp) => sftp,
                None => {
                    // SFTP did not start behind a guessed channel number
                    // (the server may have ended the connection): a new
                    // connection, which does not guess.
                    drop((session, socket));
                    return handshake(endpoint, timeouts)?
                        .finish_guessing(endpoint, key, policy, timeouts, None);
                }
            },
        };
        Ok(Connected {
            sftp,
            socket,
            fingerprint,
            _session: session,
        })
    }
}

/// Logs in with `key`, then starts SFTP, keepalives on. The login request
/// and SFTP's channel open go out in one flight (a round trip less before
/// the first byte): libssh2 (patched, see `vendor/libssh2-sys`) lets the
/// channel be asked for while the login's answer is awaited, and the server
/// handles both in order. A refused login is reported as such; the channel
/// asked for after it goes with the session. SFTP starts eagerly (see
/// [`start_sftp_eagerly`]): its subsystem request travels with the channel's
/// open, naming `guess` as the server's number for the channel, and its
/// first request with its set-up. `None` when SFTP did not start after a
/// guess, to an OpenSSH server: the server numbered the channel otherwise
/// (it then ends the connection), or refused or failed something that a
/// connection without the guess may not; the endpoint is remembered, and a
/// new connection does not guess (and says what fails, if it does).
fn log_in(
    session: &Session,
    socket: &TcpStream,
    endpoint: &Endpoint,
    key: &PrivateKey,
    timeouts: &Timeouts,
    guess: Option<u32>,
) -> Result<Option<Sftp>, TransferError> {
    start_sftp_eagerly(session, guess);
    let request = || {
        session.userauth_pubkey_memory(
            &endpoint.username,
            None,
            &key.pem,
            key.passphrase.as_deref(),
        )
    };
    session.set_blocking(false);
    let sent = request();
    // The login is on its way: SFTP's channel open (and its subsystem
    // request) follow it now. Any answer but "would block" leaves SFTP to
    // start after the login. (Less than a kilobyte in all, into a new
    // connection's empty send buffer: no send is cut short here, which
    // libssh2 would finish only at SFTP's next call, after the login.)
    let sftp = match &sent {
        Err(e) if would_block(e) => session.sftp().ok(),
        _ => None,
    };
    session.set_blocking(true);
    // Nothing more to send until the login's answer: acknowledge it at once.
    ack_at_once(socket);
    let answer = match sent {
        Err(e) if would_block(&e) => request(),
        done => done,
    };
    match answer {
        Ok(()) if session.authenticated() => {}
        Ok(()) => return Err(refused(endpoint)),
        Err(error) => return Err(explain_auth_error(&error.to_string(), key, endpoint)),
    }
    // (When SFTP's start could not go with the login, `sftp()` below sends
    // its channel open now, and its waits are back to delayed ACKs.)
    ack_at_once(socket);
    let sftp = match sftp {
        Some(sftp) => sftp,
        None => match session.sftp() {
            Ok(sftp) => sftp,
            Err(_)
                if guess.is_some() && session.banner().is_some_and(|b| b.contains("OpenSSH")) =>
            {
                // Most likely the guess: another number
                // (`LIBSSH2_ERROR_SFTP_CHANNEL_GUESS`), or a server that
                // only says it is OpenSSH and took the request otherwise.
                channel_guesses::refused(endpoint);
                return Ok(None);
            }
            Err(e) => return Err(network("starting SFTP", e)),
        },
    };
    // Keepalives once SFTP is up, not before: libssh2 sends the first at
    // its next wait, and a send while waiting on the channel lets
    // acknowledgements be delayed again (see `ack_at_once`); sent before
    // the wait, it went between the login's answer and the channel's, a
    // packet nothing waits for.
    session.set_keepalive(
        true,
        timeouts.keepalive.as_secs().clamp(1, u32::MAX as u64) as u32,
    );
    Ok(Some(sftp))
}

/// Makes SFTP's set-up on `session` take a round trip less twice (libssh2
/// patched, see `vendor/libssh2-sys`):
/// - its subsystem request goes with the channel's open, naming the
///   channel number `guess` (OpenSSH's sshd gives a connection's first
///   channel 0; see [`channel_guesses`]) before the server's confirmation
///   says it; a confirmation with another number fails SFTP's start
///   (`LIBSSH2_ERROR_SFTP_CHANNEL_GUESS`). Only to a server whose banner
///   says OpenSSH;
/// - it returns once `SSH_FXP_INIT` is sent, not after the server's
///   version: the first SFTP request (the file's open) then travels with
///   it, and its answer comes with the version. (The subsystem request's
///   answer is still awaited: OpenSSH's sshd opens the channel's window
///   only then.)
fn start_sftp_eagerly(session: &Session, guess: Option<u32>) {
    set_flag(session, libssh2_sys::LIBSSH2_FLAG_SFTP_EAGER, 1);
    let guess = guess.map_or(0, |number| {
        std::ffi::c_int::try_from(number).map_or(0, |number| number.saturating_add(1))
    });
    set_flag(session, libssh2_sys::LIBSSH2_FLAG_SFTP_CHANNEL_GUESS, guess);
}

/// The servers on which SFTP did not start behind a guessed channel number
/// (OpenSSH's sshd numbers a connection's first channel 0), as far as this
/// process has seen: their sessions send SFTP's subsystem request after the
/// channel's confirmation. A guess that misses costs one connection (the
/// server ends it), once per server (and per session connecting while it
/// was first found out).
mod channel_guesses {
    use std::sync::{Mutex, MutexGuard};

    use super::Endpoint;

    /// The number OpenSSH's sshd gives a connection's first channel.
    const OPENSSH_FIRST_CHANNEL: u32 = 0;

    /// At most this many servers are remembered (the oldest is forgotten).
    const MOST: usize = 64;

    /// The servers (host, port) that did not take the guess.
    static REFUSED: Mutex<Vec<(String, u16)>> = Mutex::new(Vec::new());

    fn refused_servers() -> MutexGuard<'static, Vec<(String, u16)>> {
        REFUSED.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn is(endpoint: &Endpoint, (host, port): &(String, u16)) -> bool {
        *host == endpoint.host && *port == endpoint.port
    }

    /// The channel number to guess for SFTP's channel on `endpoint`, if any.
    pub(super) fn guess(endpoint: &Endpoint) -> Option<u32> {
        let refused = refused_servers().iter().any(|server| is(endpoint, server));
        (!refused).then_some(OPENSSH_FIRST_CHANNEL)
    }

    /// SFTP did not start on `endpoint` behind a guessed channel number.
    pub(super) fn refused(endpoint: &Endpoint) {
        let mut servers = refused_servers();
        servers.retain(|server| !is(endpoint, server));
        if servers.len() >= MOST {
            servers.remove(0);
        }
        servers.push((endpoint.host.clone(), endpoint.port));
    }
}

/// Sets one of libssh2's session flags (among them the patched ones, see
/// `vendor/libssh2-sys`).
#[allow(unsafe_code)]
fn set_flag(session: &Session, flag: std::ffi::c_int, value: std::ffi::c_int) {
    let mut raw = session.raw();
    // SAFETY: `raw` is the live session, locked for the call;
    // `libssh2_session_flag` only stores the value.
    unsafe {
        libssh2_sys::libssh2_session_flag(&mut *raw, flag, value);
    }
}

impl Connected {
    /// Has the first `bytes` (at most 8 MiB) of the first file this
    /// session opens asked for in the flight of its open, before the open's
    /// answer, with the handle OpenSSH's sftp-server gives the first file
    /// it opens (libssh2 patched, see `vendor/libssh2-sys`). A round trip
    /// less before the first byte of a download that starts at the file's
    /// start; what another server answers to the guessed handle is dropped,
    /// and its reads wait for the open as before.
    pub fn read_with_the_open(&self, bytes: usize) {
        let value = std::ffi::c_int::try_from(bytes).unwrap_or(std::ffi::c_int::MAX);
        set_flag(
            &self._session,
            libssh2_sys::LIBSSH2_FLAG_SFTP_SPECULATE,
            value,
        );
    }
}

/// Has the system acknowledge what arrives next at once, not after its
/// delayed-acknowledgement timer (40 ms on Linux), until this side sends
/// again: called before waiting on the server. OpenSSH's sshd sends the
/// login's answer and, from another process, what follows it (its host-key
/// list, the channel's confirmation) without `TCP_NODELAY` (set only once
/// the subsystem starts), so Nagle's algorithm holds the second send until
/// the first is acknowledged: with delayed acknowledgements most of the
/// 53 ms from login to SFTP measured on loopback (36 ms waiting in one
/// trace; 10 ms in all with this). Since the subsystem request goes with
/// the channel's open, sshd sets `TCP_NODELAY` right after its confirmation
/// and holds nothing (first byte on loopback 24–25 ms without this, 25–28
/// ms with it): this is for sessions that do not guess the channel (see
/// [`start_sftp_eagerly`]). Linux only (`TCP_QUICKACK`); elsewhere a no-op.
#[cfg(target_os = "linux")]
fn ack_at_once(socket: &TcpStream) {
    let _ = socket2::SockRef::from(socket).set_tcp_quickack(true);
}

#[cfg(not(target_os = "linux"))]
fn ack_at_once(_socket: &TcpStream) {}

/// libssh2's "would block" (`LIBSSH2_ERROR_EAGAIN`), in non-blocking mode.
fn would_block(error: &ssh2::Error) -> bool {
    error.code() == ssh2::ErrorCode::Session(libssh2_sys::LIBSSH2_ERROR_EAGAIN)
}

fn handshake(endpoint: &Endpoint, timeouts: &Timeouts) -> Result<EarlyConnection, TransferError> {
    let addrs = (endpoint.host.as_str(), endpoint.port)
        .to_socket_addrs()
        .map_err(|e| network(&format!("cannot resolve {}", endpoint.host), e))?;
    let mut last = None;
    let mut tcp = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeouts.connect) {
            Ok(stream) => {
                tcp = Some(stream);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let tcp = tcp.ok_or_else(|| {
        network(
            &format!("cannot connect to {}:{}", endpoint.host, endpoint.port),
            last.map(|e| e.to_string())
                .unwrap_or_else(|| "no address".into()),
        )
    })?;
    let _ = tcp.set_nodelay(true);
    let connected = std::time::Instant::now();
    let socket = tcp.try_clone().map_err(|e| network("socket", e))?;
    let mut session = Session::new().map_err(|e| network("ssh session", e))?;
    // libssh2 is fastest with chacha20-poly1305 or AES-CTR; its GCM path is slow.
    // Prefer Ed25519 host keys as OpenSSH does, so a pin is stable.
    let _ = session.method_pref(
        MethodType::HostKey,
        "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa",
    );
    let ciphers = "chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr,aes192-ctr";
    let _ = session.method_pref(MethodType::CryptCs, ciphers);
    let _ = session.method_pref(MethodType::CryptSc, ciphers);
    let _ = session.method_pref(MethodType::MacCs, "hmac-sha2-256,hmac-sha2-512,hmac-sha1");
    let _ = session.method_pref(MethodType::MacSc, "hmac-sha2-256,hmac-sha2-512,hmac-sha1");
    session.set_timeout(timeouts.operation.as_millis().min(u32::MAX as u128) as u32);
    session.set_tcp_stream(tcp);
    session
        .handshake()
        .map_err(|e| network("SSH handshake", e))?;
    let hash = session
        .host_key_hash(HashType::Sha256)
        .ok_or_else(|| network("SSH handshake", "the server presented no host key"))?;
    let fingerprint = hostkey::fingerprint_from_sha256(hash);
    let key_type = session
        .host_key()
        .map_or("unknown", |(_, kind)| hostkey::key_type_name(kind));
    Ok(EarlyConnection {
        host: endpoint.host.clone(),
        port: endpoint.port,
        session,
        socket,
        fingerprint,
        key_type,
        sftp: None,
        handshake_took: connected.elapsed(),
    })
}

fn refused(endpoint: &Endpoint) -> TransferError {
    TransferError::AuthFailed(format!(
        "The server did not accept this key for user {:?}. Check the username, and that your provider has the key's public part.",
        endpoint.username
    ))
}

/// Turns libssh2's key errors into words a user understands.
pub(crate) fn explain_auth_error(
    message: &str,
    key: &PrivateKey,
    endpoint: &Endpoint,
) -> TransferError {
    let lower = message.to_lowercase();
    let key_unreadable = lower.contains("unsupported private key format")
        || lower.contains("unable to extract public key")
        || lower.contains("wrong passphrase")
        || lower.contains("unable to decrypt")
        || lower.contains("invalid key data");
    if key_unreadable && key.is_encrypted() {
        return TransferError::AuthFailed(match key.passphrase {
            Some(_) => {
                "The key's passphrase is wrong. Enter it again, or import the key again.".into()
            }
            None => "This key is protected by a passphrase; enter it to use the key.".into(),
        });
    }
    if key_unreadable {
        return TransferError::AuthFailed(
            "The private key could not be read: it is damaged or in a format that is not supported (import it again: a PEM, OpenSSH or PuTTY .ppk key, RSA, ECDSA or Ed25519).".into(),
        );
    }
    // "bad username/public key combination": libssh2 (patched, see
    // vendor/libssh2-sys) signs at once, and the refusal answers the signature.
    if lower.contains("authentication failed")
        || lower.contains("username/publickey combination invalid")
        || lower.contains("bad username/public key combination")
    {
        return refused(endpoint);
    }
    TransferError::Network(format!("authentication: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> Endpoint {
        Endpoint {
            host: "h".into(),
            port: 22,
            username: "u".into(),
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn waiting_on_the_server_acknowledges_at_once() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
        let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let _server = listener.accept().expect("accept");
        let socket = socket2::SockRef::from(&client);
        socket.set_tcp_quickack(false).expect("delayed");
        assert!(!socket.tcp_quickack().expect("read"));
        ack_at_once(&client);
        assert!(socket.tcp_quickack().expect("read"));
    }

    /// A server that numbers SFTP's channel otherwise than the subsystem
    /// request sent with the channel's open said gets a new connection,
    /// which does not guess; remembered for the next ones. Made with a wrong
    /// guess (1) against OpenSSH's sshd, whose first channel is 0 (the right
    /// guess is every other test's).
    #[test]
    fn a_subsystem_request_sent_to_a_channel_the_server_did_not_give_goes_again_without_a_guess() {
        use std::io::Read;
        use test_support::sshd::{ClientKey, KeyKind, SshServer};

        let client = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
        let server = SshServer::start(&[&client]).expect("sshd");
        let remote = server.put_file("a.bin", b"the archive").expect("put");
        let endpoint = Endpoint {
            host: "127.0.0.1".into(),
            port: server.port,
            username: server.user.clone(),
        };
        let pem = String::from_utf8(client.private_pem.clone()).expect("pem");
        let key = PrivateKey::new(pem, None);
        let policy = HostKeyPolicy {
            pinned: Some(server.host_key_fingerprints[0].clone()),
            ..HostKeyPolicy::default()
        };
        let timeouts = Timeouts::default();
        let wrong = Some(1);

        // The login with a wrong guess: no SFTP, and the server remembered.
        assert_eq!(channel_guesses::guess(&endpoint), Some(0));
        let early = connect_early(&endpoint, &timeouts).expect("handshake");
        let sftp = log_in(
            &early.session,
            &early.socket,
            &endpoint,
            &key,
            &timeouts,
            wrong,
        );
        assert!(matches!(sftp, Ok(None)), "not started");
        assert_eq!(channel_guesses::guess(&endpoint), None, "remembered");
        assert_eq!(server.logins(), 1);

        // A connection with a wrong guess: the first one ends, a second one
        // (without a guess) starts SFTP.
        let connected = connect_early(&endpoint, &timeouts)
            .expect("handshake")
            .finish_guessing(&endpoint, &key, &policy, &timeouts, wrong)
            .expect("connected again");
        let mut contents = Vec::new();
        connected
            .sftp
            .open(std::path::Path::new(&remote))
            .expect("open")
            .read_to_end(&mut contents)
            .expect("read");
        assert_eq!(contents, b"the archive");
        assert_eq!(server.logins(), 3, "one more connection, not a loop");
    }

    #[test]
    fn a_wrong_passphrase_is_said_in_plain_words() {
        let key = PrivateKey::new(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n",
            Some("x".into()),
        );
        let error = explain_auth_error(
            "[Session(-16)] Unsupported private key format",
            &key,
            &endpoint(),
        );
        assert!(error.to_string().contains("passphrase is wrong"), "{error}");
        let no_pass = PrivateKey::new("-----BEGIN ENCRYPTED PRIVATE KEY-----\n", None);
        let error = explain_auth_error(
            "Unable to extract public key from private key file",
            &no_pass,
            &endpoint(),
        );
        assert!(
            error.to_string().contains("protected by a passphrase"),
            "{error}"
        );
    }

    #[test]
    fn debug_never_prints_the_key_or_passphrase() {
        let key = PrivateKey::new(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRETBYTES\n",
            Some("hunter2".into()),
        );
        let shown = format!("{key:?}");
        assert!(
            !shown.contains("SECRETBYTES") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
