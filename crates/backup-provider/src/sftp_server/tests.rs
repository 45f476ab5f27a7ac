//! The embedded SFTP server against OpenSSH's `sftp` client.
use super::*;
use std::process::{Command, Output, Stdio};

struct Fixture {
    dir: tempfile::TempDir,
    /// The served directory.
    served: PathBuf,
    /// acme's folder in it: what `key` may read.
    root: PathBuf,
    key: PathBuf,
    /// A key of another account (globex).
    other_key: PathBuf,
    server: EmbeddedSftpServer,
}

/// A fresh `ssh-keygen` Ed25519 key pair at `dir/name` (and `dir/name.pub`).
fn keygen(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
        .arg(&path)
        .stdin(Stdio::null())
        .status()
        .expect("ssh-keygen (openssh-client) must be installed");
    assert!(status.success(), "ssh-keygen failed");
    path
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = dir.path().join("archives");
    let root = served.join("acme");
    std::fs::create_dir_all(&root).expect("root");
    std::fs::create_dir_all(served.join("globex")).expect("globex");
    let key = keygen(dir.path(), "id");
    let other_key = keygen(dir.path(), "other");
    let public = |name: &str| {
        std::fs::read_to_string(dir.path().join(format!("{name}.pub"))).expect("public key")
    };
    let server = EmbeddedSftpServer::start(SftpServerOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        root: served.clone(),
        host_key_path: dir.path().join("host_key"),
        authorized_keys: vec![
            ("acme".into(), public("id")),
            ("globex".into(), public("other")),
        ],
    })
    .await
    .expect("the SFTP server starts");
    Fixture {
        dir,
        served,
        root,
        key,
        other_key,
        server,
    }
}

/// Runs OpenSSH's `sftp` in batch mode against the fixture's server; with
/// acme's key, from acme's folder.
async fn sftp(fx: &Fixture, key: &Path, commands: &str) -> Output {
    let mut batch = tempfile::NamedTempFile::new_in(fx.dir.path()).expect("batch file");
    if key == fx.key {
        batch.write_all(b"cd /acme\n").expect("batch written");
    }
    batch.write_all(commands.as_bytes()).expect("batch written");
    let port = fx.server.addr.port().to_string();
    let key = key.to_path_buf();
    let run = tokio::task::spawn_blocking(move || {
        Command::new("sftp")
            .arg("-b")
            .arg(batch.path())
            .args([
                "-P",
                port.as_str(),
                "-F",
                "/dev/null",
                "-o",
                "BatchMode=yes",
            ])
            .args([
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
            ])
            .args(["-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10"])
            .args(["-o", "LogLevel=ERROR", "-i"])
            .arg(&key)
            .arg("test@127.0.0.1")
            .env_remove("SSH_AUTH_SOCK")
            .stdin(Stdio::null())
            .output()
    });
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("sftp finishes within 2 minutes")
        .expect("join");
    output.expect("sftp (openssh-client) must be installed")
}

fn describe(output: &Output) -> String {
    let (out, err) = (&output.stdout, &output.stderr);
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(out),
        String::from_utf8_lossy(err)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn get_downloads_a_large_file_byte_exact() {
    let fx = fixture().await;
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let content: Vec<u8> = (0..3 * 1024 * 1024 + 7)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    std::fs::write(fx.root.join("big.bin"), &content).expect("big.bin");
    let local = fx.dir.path().join("downloaded.bin");
    let commands = format!("ls -l\nget big.bin \"{}\"\n", local.display());
    let output = sftp(&fx, &fx.key, &commands).await;
    assert!(output.status.success(), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("big.bin"));
    let downloaded = std::fs::read(&local).expect("downloaded");
    assert!(
        downloaded == content,
        "the download differs ({} bytes)",
        downloaded.len()
    );
    fx.server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_that_is_not_authorized_is_refused() {
    let fx = fixture().await;
    let stranger = keygen(fx.dir.path(), "stranger");
    let output = sftp(&fx, &stranger, "ls\n").await;
    assert!(!output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Permission denied"), "{stderr}");
    fx.server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paths_never_escape_the_root() {
    let fx = fixture().await;
    std::fs::write(fx.dir.path().join("outside.txt"), "secret").expect("outside");
    std::fs::write(fx.root.join("inside.txt"), "archive").expect("inside");
    #[cfg(unix)]
    std::os::unix::fs::symlink(fx.dir.path().join("outside.txt"), fx.root.join("link"))
        .expect("symlink");
    let out = |name: &str| fx.dir.path().join(name);
    let commands = format!(
        "-get ../outside.txt \"{}\"\n-get /../../outside.txt \"{}\"\n-get link \"{}\"\n\
         get inside.txt \"{}\"\n",
        out("1").display(),
        out("2").display(),
        out("3").display(),
        out("4").display(),
    );
    let output = sftp(&fx, &fx.key, &commands).await;
    assert!(output.status.success(), "{}", describe(&output));
    for escaped in ["1", "2", "3"] {
        assert!(!out(escaped).exists(), "escape {escaped} succeeded");
    }
    assert_eq!(
        std::fs::read_to_string(out("4")).expect("inside"),
        "archive"
    );
    let commands = format!("get ../outside.txt \"{}\"\n", out("5").display());
    let output = sftp(&fx, &fx.key, &commands).await;
    assert!(!output.status.success(), "{}", describe(&output));
    fx.server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_sees_and_reads_only_its_own_folder() {
    let fx = fixture().await;
    std::fs::write(fx.root.join("acme-secret.zip"), "acme's data").expect("acme archive");
    std::fs::write(fx.served.join("globex").join("mine.zip"), "globex").expect("globex archive");
    let listed = sftp(&fx, &fx.other_key, "ls -1 /\nls -1 /globex\n").await;
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success(), "{text}");
    assert!(text.contains("mine.zip"), "its own archive: {text}");
    assert!(
        !text.contains("acme"),
        "another tenant's folder is never listed: {text}"
    );
    let local = fx.dir.path().join("stolen.zip");
    let stolen = sftp(
        &fx,
        &fx.other_key,
        &format!("get /acme/acme-secret.zip {}\n", local.display()),
    )
    .await;
    assert!(
        !stolen.status.success() && !local.exists(),
        "globex's key cannot read acme's archive"
    );
    let peek = sftp(&fx, &fx.other_key, "ls /acme\n").await;
    assert!(!peek.status.success(), "nor list acme's folder");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_is_read_only() {
    let fx = fixture().await;
    std::fs::write(fx.root.join("keep.txt"), "keep").expect("keep");
    let local = fx.dir.path().join("local.txt");
    std::fs::write(&local, "upload").expect("local");
    let commands = format!(
        "-mkdir made\n-rm keep.txt\n-rename keep.txt moved.txt\nput \"{}\" up.txt\n",
        local.display()
    );
    let output = sftp(&fx, &fx.key, &commands).await;
    assert!(
        !output.status.success(),
        "put must fail: {}",
        describe(&output)
    );
    assert!(!fx.root.join("up.txt").exists());
    assert!(!fx.root.join("made").exists());
    assert!(!fx.root.join("moved.txt").exists());
    assert_eq!(
        std::fs::read_to_string(fx.root.join("keep.txt")).expect("kept"),
        "keep"
    );
    fx.server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fingerprint_matches_ssh_keygen_and_the_key_persists() {
    let fx = fixture().await;
    let host_key = fx.dir.path().join("host_key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&host_key)
            .expect("host key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let public = Command::new("ssh-keygen")
        .arg("-y")
        .arg("-f")
        .arg(&host_key)
        .output();
    let public = public.expect("ssh-keygen -y");
    assert!(public.status.success(), "{}", describe(&public));
    let public_path = fx.dir.path().join("host_key.pub");
    std::fs::write(&public_path, &public.stdout).expect("host_key.pub");
    let listed = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(&public_path)
        .output()
        .expect("ssh-keygen -l");
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    let printed = listed.split_whitespace().nth(1);
    assert_eq!(
        printed,
        Some(fx.server.host_key_fingerprint.as_str()),
        "{listed}"
    );
    let first = fx.server.host_key_fingerprint.clone();
    fx.server.stop().await;
    let again = EmbeddedSftpServer::start(SftpServerOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        root: fx.served.clone(),
        host_key_path: host_key,
        authorized_keys: Vec::new(),
    })
    .await
    .expect("restarts");
    assert_eq!(again.host_key_fingerprint, first, "the host key is reused");
    again.stop().await;
}

#[tokio::test]
async fn a_damaged_host_key_stops_the_start_with_what_to_do_and_a_stale_temp_file_is_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = |host_key: &Path| SftpServerOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        root: dir.path().to_path_buf(),
        host_key_path: host_key.to_path_buf(),
        authorized_keys: Vec::new(),
    };
    let torn = dir.path().join("torn_key");
    std::fs::write(&torn, "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn").expect("torn");
    let error = EmbeddedSftpServer::start(options(&torn))
        .await
        .expect_err("a damaged key is not replaced silently");
    let message = error.to_string();
    assert!(
        message.contains("damaged") && message.contains("delete it"),
        "{message}"
    );
    assert!(torn.exists(), "the damaged key is left for the operator");
    // A crash after writing the temp file, before linking it: the next start makes a key.
    let fresh = dir.path().join("fresh_key");
    std::fs::write(dir.path().join("fresh_key.tmp"), "half").expect("stale tmp");
    let server = EmbeddedSftpServer::start(options(&fresh))
        .await
        .expect("starts");
    assert!(fresh.is_file());
    assert!(
        !dir.path().join("fresh_key.tmp").exists(),
        "no temp file left"
    );
    server.stop().await;
}
