//! The checks of a server's own certificate that rustls leaves to its clients: within its dates,
//! meant for servers. Done when the certificate is loaded, so that a certificate every client
//! would refuse is an error that names the file, not a stream of failed handshakes.

use std::path::Path;

use rustls::pki_types::{CertificateDer, UnixTime};

use super::error::{FileRole, TlsError, TlsErrorKind};

/// Checks the first certificate of a server's chain at time `now`, as a client would before
/// looking for its issuer. `Ok(Some(warning))` for a certificate that some clients accept and
/// others refuse: a CA certificate serving as a server's own.
pub(crate) fn check_server_certificate(
    certificate: &CertificateDer<'_>,
    path: &Path,
    now: UnixTime,
) -> Result<Option<String>, TlsError> {
    let refused = |kind, problem: String| TlsError::in_file(kind, FileRole::Certificate, path, problem);
    let parsed = webpki::EndEntityCert::try_from(certificate).map_err(|err| {
        refused(TlsErrorKind::BadCertificate, "the first certificate cannot be parsed".to_string()).with_source(err)
    })?;
    let algorithms = rustls::crypto::ring::default_provider().signature_verification_algorithms.all;
    // With no trust anchor the search for an issuer fails, after the checks of the certificate
    // alone: those are the ones wanted here.
    let outcome = parsed.verify_for_usage(algorithms, &[], &[], now, webpki::KeyUsage::server_auth(), None, None);
    match outcome.map(|_| ()) {
        Ok(()) | Err(webpki::Error::UnknownIssuer) => Ok(None),
        Err(webpki::Error::CertExpired { not_after, .. }) => {
            Err(refused(TlsErrorKind::Expired, format!("the certificate expired on {}", utc(not_after))))
        }
        Err(webpki::Error::CertNotValidYet { not_before, .. }) => {
            Err(refused(TlsErrorKind::NotYetValid, format!("the certificate is not valid before {}", utc(not_before))))
        }
        #[allow(deprecated)]
        Err(webpki::Error::RequiredEkuNotFound | webpki::Error::RequiredEkuNotFoundContext(_)) => Err(refused(
            TlsErrorKind::BadCertificate,
            "the certificate is not for servers (its extended key usage lacks serverAuth)".to_string(),
        )),
        Err(webpki::Error::CaUsedAsEndEntity) => Ok(Some(format!(
            "{} {}: the server's certificate is a CA certificate (basicConstraints CA:TRUE); clients that verify \
             with rustls refuse it: make it with CA:FALSE",
            FileRole::Certificate,
            path.display()
        ))),
        Err(err) => {
            Err(refused(TlsErrorKind::BadCertificate, "the certificate cannot be used".to_string()).with_source(err))
        }
    }
}

/// `2024-03-01 00:00:00 UTC`.
fn utc(time: UnixTime) -> String {
    let seconds = time.as_secs();
    let (days, of_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", of_day / 3600, of_day % 3600 / 60, of_day % 60)
}

/// The date `days` days after 1970-01-01, in the proleptic Gregorian calendar (Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_shown_in_utc() {
        let at = |seconds| utc(UnixTime::since_unix_epoch(std::time::Duration::from_secs(seconds)));
        assert_eq!(at(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(at(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(at(1_709_251_199), "2024-02-29 23:59:59 UTC");
        assert_eq!(at(4_102_444_800), "2100-01-01 00:00:00 UTC");
        assert_eq!(at(253_402_300_799), "9999-12-31 23:59:59 UTC");
    }

    #[test]
    fn a_ca_certificate_serving_as_a_servers_own_is_a_warning() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let certificate = params.self_signed(&key).unwrap();
        let warning = check_server_certificate(certificate.der(), Path::new("ca.pem"), UnixTime::now()).unwrap();
        assert_eq!(
            warning.as_deref(),
            Some(
                "certificate file ca.pem: the server's certificate is a CA certificate (basicConstraints CA:TRUE); \
                 clients that verify with rustls refuse it: make it with CA:FALSE"
            )
        );

        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        let certificate = params.self_signed(&key).unwrap();
        assert_eq!(check_server_certificate(certificate.der(), Path::new("leaf.pem"), UnixTime::now()).unwrap(), None);
    }
}
