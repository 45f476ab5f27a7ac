//! Keys made by the real tools (ssh-keygen, openssl, puttygen from Debian's
//! putty-tools) in a temp dir, and what `ssh-keygen -l` says of them: the
//! type and fingerprint the import must show.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A private key file as a tool wrote it, and what ssh-keygen sees in it.
#[derive(Debug, Clone)]
pub struct Made {
    /// Which tool, type and format, for failure messages.
    pub label: String,
    pub private: Vec<u8>,
    /// The `authorized_keys` line of its public half.
    pub public_line: String,
    pub passphrase: Option<&'static str>,
    /// "RSA 2048", "ECDSA P-521", "Ed25519", from `ssh-keygen -l`.
    pub key_type: String,
    /// `SHA256:…` from `ssh-keygen -l`.
    pub fingerprint: String,
}

impl Made {
    /// The same file saved by an editor that adds a UTF-8 byte-order mark
    /// and Windows line endings.
    pub fn with_bom(&self) -> Vec<u8> {
        let text = String::from_utf8(self.private.clone()).expect("key files are text");
        let mut out = b"\xEF\xBB\xBF".to_vec();
        out.extend_from_slice(text.replace('\n', "\r\n").as_bytes());
        out
    }
}

/// Where keys are made.
pub struct Workshop {
    dir: tempfile::TempDir,
    count: AtomicUsize,
}

/// Output forms of `puttygen`.
#[derive(Debug, Clone, Copy)]
pub enum Putty {
    /// A `.ppk` of format 2 or 3.
    Ppk(u8),
    /// `-O private-openssh-new`: what "Export OpenSSH key" writes.
    OpenSshNew,
    /// `-O private-openssh`: PEM for RSA and ECDSA.
    OpenSshPem,
}

fn run(command: &mut Command) -> Vec<u8> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e} (scripts/deps.sh test installs the tools)"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

impl Workshop {
    pub fn new() -> Workshop {
        Workshop {
            dir: tempfile::tempdir().expect("temp dir"),
            count: AtomicUsize::new(0),
        }
    }

    /// A fresh path in the workshop.
    pub fn path(&self, name: &str) -> PathBuf {
        let n = self.count.fetch_add(1, Ordering::SeqCst);
        self.dir.path().join(format!("{n}-{name}"))
    }

    fn pass_file(&self, passphrase: Option<&str>) -> PathBuf {
        let path = self.path("pass");
        std::fs::write(&path, passphrase.unwrap_or("")).expect("pass file");
        path
    }

    /// `ssh-keygen -t … [-m PEM|PKCS8]`. An OpenSSH-format key gets 2
    /// bcrypt rounds instead of 16, which the unoptimised test build would
    /// take a second over; the harness's `ClientKey`s keep the default.
    pub fn ssh_keygen(&self, args: &[&str], passphrase: Option<&'static str>) -> Made {
        let path = self.path("id");
        run(Command::new("ssh-keygen")
            .args([
                "-q",
                "-a",
                "2",
                "-C",
                "test",
                "-N",
                passphrase.unwrap_or(""),
                "-f",
            ])
            .arg(&path)
            .args(args));
        let public = std::fs::read_to_string(path.with_extension("pub")).expect("pub");
        self.made(
            format!("ssh-keygen {}", args.join(" ")),
            &path,
            public.trim(),
            passphrase,
        )
    }

    /// Describes a PEM file: its public half via ssh-keygen or, for
    /// Ed25519, which ssh-keygen cannot read from PEM, via openssl.
    pub fn describe_pem(
        &self,
        label: String,
        path: &Path,
        passphrase: Option<&'static str>,
    ) -> Made {
        let pass_arg = format!("pass:{}", passphrase.unwrap_or(""));
        let text = run(Command::new("openssl")
            .args(["pkey", "-noout", "-text", "-passin", &pass_arg, "-in"])
            .arg(path));
        let public = if String::from_utf8_lossy(&text).starts_with("ED25519") {
            let der = run(Command::new("openssl")
                .args([
                    "pkey", "-pubout", "-outform", "DER", "-passin", &pass_arg, "-in",
                ])
                .arg(path));
            let mut blob = Vec::new();
            for part in [b"ssh-ed25519".as_slice(), &der[der.len() - 32..]] {
                blob.extend_from_slice(&u32::try_from(part.len()).expect("len").to_be_bytes());
                blob.extend_from_slice(part);
            }
            format!("ssh-ed25519 {}", STANDARD.encode(blob))
        } else {
            return self.describe_file(label, path, passphrase);
        };
        self.made(label, path, &public, passphrase)
    }

    /// `openssl` commands in a row, each reading (`-in`) what the one before
    /// wrote (`-out`): e.g. generate, then re-encrypt in another format.
    pub fn openssl_steps(&self, steps: &[Vec<String>], passphrase: Option<&'static str>) -> Made {
        let mut previous: Option<PathBuf> = None;
        for step in steps {
            let path = self.path("step.pem");
            let mut command = Command::new("openssl");
            command.args(step);
            if let Some(input) = &previous {
                command.arg("-in").arg(input);
            }
            run(command.arg("-out").arg(&path));
            previous = Some(path);
        }
        let path = previous.expect("at least one step");
        let label = steps
            .iter()
            .map(|s| s.join(" "))
            .collect::<Vec<_>>()
            .join(" | ");
        self.describe_pem(format!("openssl {label}"), &path, passphrase)
    }

    /// A private key file ssh-keygen can read, described by ssh-keygen.
    pub fn describe_file(
        &self,
        label: String,
        path: &Path,
        passphrase: Option<&'static str>,
    ) -> Made {
        set_private(path);
        let out = run(Command::new("ssh-keygen")
            .args(["-y", "-P", passphrase.unwrap_or(""), "-f"])
            .arg(path));
        let public = String::from_utf8(out).expect("text");
        self.made(label, path, public.trim(), passphrase)
    }

    /// `puttygen -t TYPE [-b BITS]` (or `puttygen FILE` to save an existing
    /// unencrypted key again), written as `out`, with cheap Argon2
    /// settings that keep the suite fast (see [`Workshop::puttygen_with`]).
    pub fn puttygen(&self, args: &[&str], out: Putty, passphrase: Option<&'static str>) -> Made {
        self.puttygen_with(args, out, passphrase, "memory=64,passes=1")
    }

    /// `puttygen` with `--ppk-param` settings of one's own ("" for its defaults).
    pub fn puttygen_with(
        &self,
        args: &[&str],
        out: Putty,
        passphrase: Option<&'static str>,
        ppk_param: &str,
    ) -> Made {
        let pass = self.pass_file(passphrase);
        let ppk = self.path("key.ppk");
        let version = match out {
            Putty::Ppk(v) => v,
            _ => 3,
        };
        let params = match ppk_param {
            "" => format!("version={version}"),
            more => format!("version={version},{more}"),
        };
        run(Command::new("puttygen")
            .args(["-q"])
            .args(args)
            // A new comment and -P make re-saving a file a "useful action".
            .args(["-O", "private", "-C", "test", "-P", "--ppk-param", &params])
            .arg("--new-passphrase")
            .arg(&pass)
            .arg("-o")
            .arg(&ppk));
        let public = run(Command::new("puttygen")
            .arg(&ppk)
            .arg("--old-passphrase")
            .arg(&pass)
            .arg("-L"));
        let public = String::from_utf8(public).expect("text");
        let label = format!("puttygen {} {out:?}", args.join(" "));
        let file = match out {
            Putty::Ppk(_) => ppk,
            Putty::OpenSshNew | Putty::OpenSshPem => {
                let exported = self.path("export");
                let format = match out {
                    Putty::OpenSshNew => "private-openssh-new",
                    _ => "private-openssh",
                };
                run(Command::new("puttygen")
                    .arg(&ppk)
                    .arg("--old-passphrase")
                    .arg(&pass)
                    .arg("--new-passphrase")
                    .arg(&pass)
                    .args(["-O", format, "-o"])
                    .arg(&exported));
                exported
            }
        };
        self.made(label, &file, public.trim(), passphrase)
    }

    fn made(
        &self,
        label: String,
        private: &Path,
        public_line: &str,
        passphrase: Option<&'static str>,
    ) -> Made {
        let (key_type, fingerprint) = self.ssh_keygen_sees(public_line);
        Made {
            label,
            private: std::fs::read(private).expect("private key"),
            public_line: public_line.to_owned(),
            passphrase,
            key_type,
            fingerprint,
        }
    }

    /// What `ssh-keygen -l` prints for a public key line, as our type names.
    pub fn ssh_keygen_sees(&self, public_line: &str) -> (String, String) {
        let path = self.path("seen.pub");
        std::fs::write(&path, format!("{public_line}\n")).expect("pub");
        let out = run(Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(&path));
        let text = String::from_utf8(out).expect("text");
        let words: Vec<&str> = text.split_whitespace().collect();
        let (bits, fingerprint, kind) = (words[0], words[1], words[words.len() - 1]);
        let key_type = match kind {
            "(RSA)" => format!("RSA {bits}"),
            "(ECDSA)" => format!("ECDSA P-{bits}"),
            "(ED25519)" => "Ed25519".to_owned(),
            "(DSA)" => format!("DSA {bits}"),
            other => panic!("unexpected type {other} in {text}"),
        };
        (key_type, fingerprint.to_owned())
    }
}

/// ssh-keygen refuses to read private keys others can read (a Unix mode; nothing
/// to do elsewhere).
#[cfg_attr(not(unix), allow(unused_variables))]
pub fn set_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
}
