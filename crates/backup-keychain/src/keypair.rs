//! Where every key format ends: the key as OpenSSL holds it, checked to be
//! whole and of a type SSH servers accept.
//!
//! From it come what the user sees (type and SHA256 fingerprint, computed
//! from the public half as `ssh-keygen -l` does) and the one form that is
//! stored: unencrypted PKCS#8 PEM. The SFTP engine hands that text to
//! libssh2, which reads it with OpenSSL's own PEM reader for RSA, ECDSA and
//! Ed25519 alike, so a key accepted here is a key the engine can use.

use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey, EcPoint, PointConversionForm};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Rsa;
use ssh_key::public::{EcdsaPublicKey, Ed25519PublicKey, KeyData, RsaPublicKey};
use ssh_key::{HashAlg, Mpint, PublicKey};
use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::wire::damaged;

/// OpenSSH refuses shorter RSA keys (`SSH_RSA_MINIMUM_MODULUS_SIZE`).
const MIN_RSA_BITS: u32 = 1024;

/// A key file read by one of the format readers.
pub(crate) struct Parsed {
    pub(crate) keypair: Keypair,
    /// "OpenSSH", "PEM (PKCS#8)", "PuTTY (PPK 3)"…
    pub(crate) format: &'static str,
    /// Whether the file was protected by a passphrase.
    pub(crate) encrypted: bool,
}

/// A private key that SSH can use, with its public half in SSH terms.
pub(crate) struct Keypair {
    key: PKey<Private>,
    public: KeyData,
    key_type: String,
}

fn unreadable<E>(_: E) -> KeyError {
    damaged("the key's numbers cannot be read")
}

impl Keypair {
    /// Checks a key OpenSSL has read: its type, size and that its parts agree.
    pub(crate) fn new(key: PKey<Private>) -> Result<Keypair, KeyError> {
        let (key_type, public) = match key.id() {
            Id::RSA => {
                let rsa = key.rsa().map_err(unreadable)?;
                let bits = rsa.n().num_bits().unsigned_abs();
                if bits < MIN_RSA_BITS {
                    return Err(KeyError::RsaTooShort(bits));
                }
                if !rsa.check_key().unwrap_or(false) {
                    return Err(damaged("the RSA key's numbers do not fit together"));
                }
                let mpint = |n: &openssl::bn::BigNumRef| Mpint::from_positive_bytes(&n.to_vec());
                let public = RsaPublicKey {
                    e: mpint(rsa.e()).map_err(unreadable)?,
                    n: mpint(rsa.n()).map_err(unreadable)?,
                };
                (format!("RSA {bits}"), KeyData::Rsa(public))
            }
            Id::EC => {
                let ec = key.ec_key().map_err(unreadable)?;
                let name = match ec.group().curve_name() {
                    Some(Nid::X9_62_PRIME256V1) => "P-256",
                    Some(Nid::SECP384R1) => "P-384",
                    Some(Nid::SECP521R1) => "P-521",
                    _ => {
                        return Err(KeyError::UnsupportedType(
                            "an elliptic curve other than P-256, P-384 or P-521".into(),
                        ));
                    }
                };
                ec.check_key()
                    .map_err(|_| damaged("the elliptic-curve key's numbers do not fit together"))?;
                let mut ctx = BigNumContext::new().map_err(unreadable)?;
                let point = ec
                    .public_key()
                    .to_bytes(ec.group(), PointConversionForm::UNCOMPRESSED, &mut ctx)
                    .map_err(unreadable)?;
                let public = EcdsaPublicKey::from_sec1_bytes(&point).map_err(unreadable)?;
                (format!("ECDSA {name}"), KeyData::Ecdsa(public))
            }
            Id::ED25519 => {
                let raw = key.raw_public_key().map_err(unreadable)?;
                let bytes: [u8; 32] = raw.try_into().map_err(unreadable)?;
                ("Ed25519".into(), KeyData::Ed25519(Ed25519PublicKey(bytes)))
            }
            Id::DSA => return Err(KeyError::UnsupportedDsa),
            Id::ED448 => return Err(KeyError::UnsupportedType("Ed448".into())),
            Id::X25519 | Id::X448 | Id::DH => {
                return Err(KeyError::UnsupportedType(
                    "a key-agreement key, which cannot log in".into(),
                ));
            }
            _ => {
                return Err(KeyError::UnsupportedType(
                    "an algorithm SSH does not use".into(),
                ));
            }
        };
        Ok(Keypair {
            key,
            public,
            key_type,
        })
    }

    /// An RSA key from the numbers OpenSSH and PuTTY store (`iqmp` = q⁻¹ mod p).
    pub(crate) fn rsa(
        n: BigNum,
        e: BigNum,
        d: BigNum,
        p: BigNum,
        q: BigNum,
        iqmp: BigNum,
    ) -> Result<Keypair, KeyError> {
        let mut ctx = BigNumContext::new().map_err(unreadable)?;
        let one = BigNum::from_u32(1).map_err(unreadable)?;
        let crt_exponent = |prime: &BigNum, ctx: &mut BigNumContext| {
            let mut less_one = BigNum::new()?;
            less_one.checked_sub(prime, &one)?;
            let mut exponent = BigNum::new()?;
            exponent.nnmod(&d, &less_one, ctx)?;
            Ok::<_, openssl::error::ErrorStack>(exponent)
        };
        let dmp1 = crt_exponent(&p, &mut ctx).map_err(unreadable)?;
        let dmq1 = crt_exponent(&q, &mut ctx).map_err(unreadable)?;
        let rsa =
            Rsa::from_private_components(n, e, d, p, q, dmp1, dmq1, iqmp).map_err(unreadable)?;
        Keypair::new(PKey::from_rsa(rsa).map_err(unreadable)?)
    }

    /// An ECDSA key on the curve OpenSSH names `nistp256`, `nistp384` or
    /// `nistp521`, from its public point and private scalar.
    pub(crate) fn ecdsa(curve: &str, point: &[u8], scalar: &BigNum) -> Result<Keypair, KeyError> {
        let nid = match curve {
            "nistp256" => Nid::X9_62_PRIME256V1,
            "nistp384" => Nid::SECP384R1,
            "nistp521" => Nid::SECP521R1,
            other => return Err(KeyError::UnsupportedType(format!("ECDSA on {other}"))),
        };
        let group = EcGroup::from_curve_name(nid).map_err(unreadable)?;
        let mut ctx = BigNumContext::new().map_err(unreadable)?;
        let point = EcPoint::from_bytes(&group, point, &mut ctx)
            .map_err(|_| damaged("the public point is not on the curve"))?;
        let ec = EcKey::from_private_components(&group, scalar, &point).map_err(unreadable)?;
        Keypair::new(PKey::from_ec_key(ec).map_err(unreadable)?)
    }

    /// An Ed25519 key from its 32-byte seed; `public` must be the seed's.
    pub(crate) fn ed25519(seed: &[u8], public: &[u8]) -> Result<Keypair, KeyError> {
        let key = PKey::private_key_from_raw_bytes(seed, Id::ED25519)
            .map_err(|_| damaged("the Ed25519 private key has the wrong size"))?;
        let pair = Keypair::new(key)?;
        if pair.key.raw_public_key().map_err(unreadable)? != public {
            return Err(mismatch());
        }
        Ok(pair)
    }

    /// Checks that `blob` (an SSH public key) is this key's public half.
    pub(crate) fn check_public(&self, blob: &[u8]) -> Result<(), KeyError> {
        let stated = PublicKey::from_bytes(blob)
            .map_err(|_| damaged("its public key part cannot be read"))?;
        if stated.key_data() == &self.public {
            Ok(())
        } else {
            Err(mismatch())
        }
    }

    /// "RSA 4096", "ECDSA P-256", "Ed25519".
    pub(crate) fn key_type(&self) -> &str {
        &self.key_type
    }

    /// `SHA256:…` as `ssh-keygen -l` prints it.
    pub(crate) fn fingerprint(&self) -> String {
        PublicKey::from(self.public.clone())
            .fingerprint(HashAlg::Sha256)
            .to_string()
    }

    /// The stored form: unencrypted PKCS#8 PEM.
    pub(crate) fn to_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        let pem = Zeroizing::new(
            self.key
                .private_key_to_pem_pkcs8()
                .map_err(|_| damaged("the key cannot be written as PEM"))?,
        );
        std::str::from_utf8(&pem)
            .map(|text| Zeroizing::new(text.to_owned()))
            .map_err(|_| damaged("the key cannot be written as PEM"))
    }
}

fn mismatch() -> KeyError {
    damaged("its private and public parts do not belong together")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_on_curves_ssh_does_not_use_are_refused_not_mislabelled() {
        // secp256k1's points have P-256's length: judging by length alone
        // would show a wrong type and a fingerprint no server knows.
        let group = EcGroup::from_curve_name(Nid::SECP256K1).expect("group");
        let key = PKey::from_ec_key(EcKey::generate(&group).expect("key")).expect("pkey");
        assert!(
            matches!(Keypair::new(key), Err(KeyError::UnsupportedType(_))),
            "secp256k1 is not an SSH curve"
        );
    }

    #[test]
    fn rsa_keys_shorter_than_openssh_accepts_are_refused() {
        let key = PKey::from_rsa(Rsa::generate(768).expect("rsa")).expect("pkey");
        assert_eq!(
            Keypair::new(key).err(),
            Some(KeyError::RsaTooShort(768)),
            "sshd would refuse it at every download"
        );
    }

    #[test]
    fn rsa_numbers_that_do_not_fit_together_are_damage() {
        let a = Rsa::generate(1024).expect("rsa");
        let b = Rsa::generate(1024).expect("rsa");
        let own = |n: &openssl::bn::BigNumRef| n.to_owned().expect("bn");
        let iqmp = a.iqmp().map(own).expect("iqmp");
        let result = Keypair::rsa(
            own(a.n()),
            own(a.e()),
            own(b.d()),
            a.p().map(own).expect("p"),
            a.q().map(own).expect("q"),
            iqmp,
        );
        assert!(
            matches!(result, Err(KeyError::Garbled(_))),
            "a key that cannot sign must not be stored"
        );
    }
}
