//! `SocketMode`: the permissions a server gives the file of its Unix socket.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The permission bits of a Unix socket's file, written in octal (`"0660"`, `0o660`, `660`):
/// who may connect (connecting takes write permission). In a config file, a quoted string or a
/// TOML octal number; a plain number's decimal digits are read as the octal digits.
///
/// ```
/// use ginkgo::net::SocketMode;
///
/// assert_eq!(SocketMode::new(0o660).bits(), 0o660);
/// assert_eq!(SocketMode::new(0o660).to_string(), "0660");
/// assert_eq!(serde_json::from_str::<SocketMode>("\"0600\"").unwrap(), SocketMode::new(0o600));
/// assert_eq!(serde_json::from_str::<SocketMode>("640").unwrap(), SocketMode::new(0o640));
/// assert!(serde_json::from_str::<SocketMode>("\"0888\"").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketMode(u32);

impl SocketMode {
    /// Read and write for the owner and the group: the default.
    pub const DEFAULT: SocketMode = SocketMode(0o660);

    /// The mode `bits`, of which only the permission bits (0o777) count.
    pub const fn new(bits: u32) -> Self {
        SocketMode(bits & 0o777)
    }

    /// The permission bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// The mode whose octal digits are `digits` (`0660`, `0o660`, `660`).
    fn from_octal(digits: &str) -> Option<Self> {
        let digits = digits.trim();
        let digits = digits.strip_prefix("0o").unwrap_or(digits);
        let octal = !digits.is_empty() && digits.bytes().all(|digit| matches!(digit, b'0'..=b'7'));
        match u32::from_str_radix(digits, 8) {
            Ok(bits) if octal && bits <= 0o777 => Some(SocketMode(bits)),
            _ => None,
        }
    }
}

impl fmt::Display for SocketMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04o}", self.0)
    }
}

impl Serialize for SocketMode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SocketMode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OctalDigits)
    }
}

/// Reads whatever it is given as octal digits: text as written, a number by its decimal digits
/// (TOML's `0o660` reaches a setting as its text).
struct OctalDigits;

const EXPECTED: &str = "a file mode in octal, from 0000 to 0777 (\"0660\")";

impl Visitor<'_> for OctalDigits {
    type Value = SocketMode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<SocketMode, E> {
        SocketMode::from_octal(text).ok_or_else(|| E::invalid_value(de::Unexpected::Str(text), &EXPECTED))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<SocketMode, E> {
        SocketMode::from_octal(&number.to_string())
            .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(number), &EXPECTED))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<SocketMode, E> {
        match u64::try_from(number) {
            Ok(number) => self.visit_u64(number),
            Err(_) => Err(E::invalid_value(de::Unexpected::Signed(number), &EXPECTED)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_digits_however_they_are_written() {
        for written in ["0660", "0o660", "660", " 660 "] {
            assert_eq!(SocketMode::from_octal(written), Some(SocketMode(0o660)), "{written}");
        }
        for bad in ["", "0o", "8", "1000", "-1", "0x1f", "6 6", "rw"] {
            assert_eq!(SocketMode::from_octal(bad), None, "{bad}");
        }
    }

    #[test]
    fn it_reads_back_what_it_writes() {
        for mode in [SocketMode::DEFAULT, SocketMode::new(0o7), SocketMode::new(0o777)] {
            let text = serde_json::to_string(&mode).unwrap();
            assert_eq!(serde_json::from_str::<SocketMode>(&text).unwrap(), mode, "{text}");
        }
        let err = serde_json::from_str::<SocketMode>("1.5").unwrap_err().to_string();
        assert!(err.contains(EXPECTED), "{err}");
    }
}
