//! Certificates and keys made by the tests: a CA, the certificates it signs, self-signed ones,
//! written as PEM files into a folder of their own.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, date_time_ymd,
};
use rustls::pki_types::CertificateDer;

/// A certificate and its private key, in PEM and DER.
pub(crate) struct Leaf {
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
    pub(crate) der: CertificateDer<'static>,
}

/// A certificate authority that signs leaves.
pub(crate) struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pub(crate) pem: String,
}

impl Ca {
    pub(crate) fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let pem = params.self_signed(&key).unwrap().pem();
        Ca { issuer: Issuer::new(params, key), pem }
    }

    /// A certificate for `params`, signed by this CA.
    pub(crate) fn sign(&self, params: CertificateParams) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        Leaf { cert_pem: certificate.pem(), key_pem: key.serialize_pem(), der: certificate.der().clone() }
    }
}

/// A server's certificate parameters: the names (DNS names or IP addresses), no CA.
pub(crate) fn server(names: &[&str]) -> CertificateParams {
    let mut params = CertificateParams::new(names.iter().map(|name| name.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names.first().copied().unwrap_or("server"));
    params.is_ca = IsCa::ExplicitNoCa;
    params
}

/// Valid from `from` to `until`, both January 1st.
pub(crate) fn valid(mut params: CertificateParams, from: i32, until: i32) -> CertificateParams {
    params.not_before = date_time_ymd(from, 1, 1);
    params.not_after = date_time_ymd(until, 1, 1);
    params
}

/// Meant for clients only (extended key usage `clientAuth`).
pub(crate) fn for_clients_only(mut params: CertificateParams) -> CertificateParams {
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params
}

/// A self-signed certificate for `params`.
pub(crate) fn self_signed(params: CertificateParams) -> Leaf {
    let key = KeyPair::generate().unwrap();
    let certificate = params.self_signed(&key).unwrap();
    Leaf { cert_pem: certificate.pem(), key_pem: key.serialize_pem(), der: certificate.der().clone() }
}

/// Writes `contents` to `name` in `dir`.
pub(crate) fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}
