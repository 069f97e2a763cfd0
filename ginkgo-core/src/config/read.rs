//! How a setting's type reads a value, whichever source it came from.
//!
//! A typed value (a number, a bool, a list from a file) is read as it is. A string is text, and
//! the type that asks for it decides what the text means: `077` is the number 77 to a `u32`,
//! the mask 0o077 to a `Umask`, the path `077` to a `PathBuf`; `yes` is true to a `bool` and the
//! word "yes" to a `String`. So one text means the same from a file, the environment or
//! `--set`: nothing guesses a type before the setting's own type has seen it.

use std::fmt;

use figment::error::{Actual, Kind};
use figment::value::{Dict, Empty, Num, Tag, Value};
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, Visitor};

use super::text::{self, Shape};

/// Why a value could not be read: the kind, where in the value (keys and indexes), and the tag
/// of the value that was wrong (which names its source).
#[derive(Debug)]
pub struct ReadError {
    pub(crate) kind: Kind,
    pub(crate) path: Vec<String>,
    pub(crate) tag: Option<Tag>,
}

impl ReadError {
    pub(crate) fn new(kind: Kind) -> Self {
        ReadError { kind, path: Vec::new(), tag: None }
    }

    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        de::Error::invalid_type(unexpected, expected)
    }

    /// Marks the error as being about the value tagged `tag`, unless a deeper value was named.
    pub(crate) fn at(mut self, tag: Tag) -> Self {
        self.tag.get_or_insert(tag);
        self
    }

    fn within(mut self, key: String) -> Self {
        self.path.insert(0, key);
        self
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl std::error::Error for ReadError {}

impl de::Error for ReadError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        ReadError::new(Kind::Message(message.to_string()))
    }

    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        ReadError::new(Kind::InvalidType(unexpected.into(), expected.to_string()))
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        ReadError::new(Kind::InvalidValue(unexpected.into(), expected.to_string()))
    }

    fn invalid_length(length: usize, expected: &dyn de::Expected) -> Self {
        ReadError::new(Kind::InvalidLength(length, expected.to_string()))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        ReadError::new(Kind::UnknownVariant(variant.into(), expected))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        ReadError::new(Kind::UnknownField(field.into(), expected))
    }

    fn missing_field(field: &'static str) -> Self {
        ReadError::new(Kind::MissingField(field.into()))
    }

    fn duplicate_field(field: &'static str) -> Self {
        ReadError::new(Kind::DuplicateField(field))
    }
}

/// Reads `value` as a `T`.
pub(crate) fn read<T: de::DeserializeOwned>(value: &Value) -> Result<T> {
    T::deserialize(Reader(value))
}

/// A serde deserializer over one configuration value.
struct Reader<'v>(&'v Value);

type Result<T> = std::result::Result<T, ReadError>;

impl Reader<'_> {
    fn text(&self) -> Option<&str> {
        match self.0 {
            Value::String(_, text) => Some(text.trim()),
            _ => None,
        }
    }

    fn mismatch(&self, expected: &dyn de::Expected) -> ReadError {
        ReadError::new(Kind::InvalidType(self.0.to_actual(), expected.to_string())).at(self.0.tag())
    }

    /// A text read as a list or a table; `None` when it is no text.
    fn structure(&self, shape: Shape) -> Option<Result<Value>> {
        let Value::String(tag, text) = self.0 else { return None };
        let reason = match text::parse(text, shape, *tag)? {
            Ok(value) => return Some(Ok(value)),
            Err(reason) => reason,
        };
        let what = match shape {
            Shape::List => "list",
            Shape::Table => "table",
        };
        Some(Err(ReadError::new(Kind::Message(format!("{reason} in the {what} {text:?}"))).at(*tag)))
    }

    /// An integer from a text: decimal (leading zeros allowed), or with TOML's `0x`, `0o` or
    /// `0b` prefix; `_` between digits.
    fn integer<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let tag = self.0.tag();
        let Some(text) = self.text() else { return self.any(visitor) };
        let Some((negative, magnitude)) = integer_text(text) else {
            return Err(ReadError::invalid_type(de::Unexpected::Str(text), &visitor).at(tag));
        };
        let result = match (negative, u64::try_from(magnitude), i64::try_from(magnitude), i128::try_from(magnitude)) {
            (false, Ok(small), _, _) => visitor.visit_u64(small),
            (false, Err(_), _, _) => visitor.visit_u128(magnitude),
            (true, _, Ok(small), _) => visitor.visit_i64(-small),
            (true, _, Err(_), Ok(large)) => visitor.visit_i128(-large),
            (true, _, Err(_), Err(_)) => Err(ReadError::invalid_type(de::Unexpected::Str(text), &visitor)),
        };
        result.map_err(|e: ReadError| e.at(tag))
    }

    fn float<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let tag = self.0.tag();
        let result = match self.0 {
            Value::String(_, text) => match text.trim().replace('_', "").parse::<f64>() {
                Ok(number) => visitor.visit_f64(number),
                Err(_) => Err(de::Error::invalid_type(de::Unexpected::Str(text), &visitor)),
            },
            Value::Num(_, number) => match number.to_f64() {
                Some(number) => visitor.visit_f64(number),
                None => return self.any(visitor),
            },
            _ => return self.any(visitor),
        };
        result.map_err(|e: ReadError| e.at(tag))
    }

    fn any<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let tag = self.0.tag();
        let result = match self.0 {
            Value::String(_, text) => visitor.visit_str(text),
            Value::Char(_, c) => visitor.visit_char(*c),
            Value::Bool(_, b) => visitor.visit_bool(*b),
            Value::Num(_, number) => visit_number(*number, visitor),
            Value::Empty(_, Empty::None) => visitor.visit_none(),
            Value::Empty(_, Empty::Unit) => visitor.visit_unit(),
            Value::Dict(_, dict) => visitor.visit_map(Entries::new(dict)),
            Value::Array(_, items) => visitor.visit_seq(Items::new(items)),
        };
        result.map_err(|e: ReadError| e.at(tag))
    }
}

/// Whether `text` is negative, and its magnitude, if it is an integer as [`Reader::integer`]
/// reads one.
fn integer_text(text: &str) -> Option<(bool, u128)> {
    if text.starts_with('_') || text.ends_with('_') {
        return None;
    }
    let digits = text.replace('_', "");
    let (negative, unsigned) = match digits.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, digits.strip_prefix('+').unwrap_or(&digits)),
    };
    let (radix, body) = match unsigned.get(..2) {
        Some("0x") if !negative => (16, &unsigned[2..]),
        Some("0o") if !negative => (8, &unsigned[2..]),
        Some("0b") if !negative => (2, &unsigned[2..]),
        _ => (10, unsigned),
    };
    // `from_str_radix` takes a sign of its own; one sign is all a text may have.
    if body.starts_with(['+', '-']) {
        return None;
    }
    u128::from_str_radix(body, radix).ok().map(|magnitude| (negative, magnitude))
}

fn visit_number<'de, V: Visitor<'de>>(number: Num, visitor: V) -> Result<V::Value> {
    match number {
        Num::F32(f) => visitor.visit_f32(f),
        Num::F64(f) => visitor.visit_f64(f),
        Num::U8(_) | Num::U16(_) | Num::U32(_) | Num::U64(_) | Num::USize(_) | Num::U128(_) => {
            match number.to_u128().map(u64::try_from) {
                Some(Ok(small)) => visitor.visit_u64(small),
                _ => visitor.visit_u128(number.to_u128().unwrap_or_default()),
            }
        }
        Num::I8(_) | Num::I16(_) | Num::I32(_) | Num::I64(_) | Num::ISize(_) | Num::I128(_) => {
            match number.to_i128().map(i64::try_from) {
                Some(Ok(small)) => visitor.visit_i64(small),
                _ => visitor.visit_i128(number.to_i128().unwrap_or_default()),
            }
        }
    }
}

impl<'de> Deserializer<'de> for Reader<'_> {
    type Error = ReadError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.any(visitor)
    }

    /// `true`, `yes`, `on`, `1` and `false`, `no`, `off`, `0`, in any case; or a bool, or the
    /// number 0 or 1.
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let tag = self.0.tag();
        let truth = match self.0 {
            Value::String(_, text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Some(true),
                "false" | "no" | "off" | "0" => Some(false),
                _ => None,
            },
            Value::Num(_, number) => match number.to_u128_lossy() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => None,
            },
            _ => return self.any(visitor),
        };
        match truth {
            Some(truth) => visitor.visit_bool(truth).map_err(|e: ReadError| e.at(tag)),
            None => Err(self.mismatch(&visitor)),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.float(visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.float(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.any(visitor)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.any(visitor)
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.any(visitor)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.any(visitor)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.any(visitor)
    }

    /// Nothing, or an empty text: there is no other way to unset a value from the environment
    /// or `--set`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let tag = self.0.tag();
        match self.0 {
            Value::Empty(..) => visitor.visit_none().map_err(|e: ReadError| e.at(tag)),
            Value::String(_, text) if text.trim().is_empty() => visitor.visit_none().map_err(|e: ReadError| e.at(tag)),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.text() {
            Some("") => visitor.visit_unit().map_err(|e: ReadError| e.at(self.0.tag())),
            _ => self.any(visitor),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.structure(Shape::List) {
            Some(parsed) => Reader(&parsed?).any(visitor),
            None => self.any(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.structure(Shape::Table) {
            Some(parsed) => Reader(&parsed?).any(visitor),
            None => self.any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    /// A unit variant by name, or a table of one key: the variant and its content.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let tag = self.0.tag();
        let table = match self.structure(Shape::Table) {
            Some(parsed) => Some(parsed?),
            None => None,
        };
        let one_key = match table.as_ref().unwrap_or(self.0) {
            Value::Dict(_, dict) if dict.len() == 1 => dict.iter().next(),
            _ => None,
        };
        let result = match (one_key, self.text()) {
            (Some((name, value)), _) => visitor.visit_enum(Variant { name, value }),
            (None, Some(name)) => visitor.visit_enum(name.into_deserializer()),
            (None, None) => Err(self.mismatch(&visitor)),
        };
        result.map_err(|e: ReadError| e.at(tag))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.any(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }
}

/// The items of a list, each read by the item type.
struct Items<'v> {
    items: std::iter::Enumerate<std::slice::Iter<'v, Value>>,
    left: usize,
}

impl<'v> Items<'v> {
    fn new(items: &'v [Value]) -> Self {
        Items { items: items.iter().enumerate(), left: items.len() }
    }
}

impl<'de> de::SeqAccess<'de> for Items<'_> {
    type Error = ReadError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let Some((index, item)) = self.items.next() else { return Ok(None) };
        self.left -= 1;
        seed.deserialize(Reader(item)).map(Some).map_err(|e| e.within(index.to_string()))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// The entries of a table: keys as strings, values read by the value type.
struct Entries<'v> {
    entries: std::collections::btree_map::Iter<'v, String, Value>,
    value: Option<(&'v String, &'v Value)>,
}

impl<'v> Entries<'v> {
    fn new(dict: &'v Dict) -> Self {
        Entries { entries: dict.iter(), value: None }
    }
}

impl<'de> de::MapAccess<'de> for Entries<'_> {
    type Error = ReadError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some((key, value)) = self.entries.next() else { return Ok(None) };
        self.value = Some((key, value));
        // The key is named by the value's tag: it came from the same place.
        let key_text = Value::String(value.tag(), key.clone());
        seed.deserialize(Reader(&key_text)).map(Some).map_err(|e| e.within(key.clone()))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let (key, value) = self.value.take().ok_or_else(|| de::Error::custom("a value without its key"))?;
        seed.deserialize(Reader(value)).map_err(|e| e.within(key.clone()))
    }
}

/// An enum written as a table of one key.
struct Variant<'v> {
    name: &'v String,
    value: &'v Value,
}

impl<'de, 'v> de::EnumAccess<'de> for Variant<'v> {
    type Error = ReadError;
    type Variant = Reader<'v>;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Reader<'v>)> {
        let name = Value::String(self.value.tag(), self.name.clone());
        Ok((seed.deserialize(Reader(&name))?, Reader(self.value)))
    }
}

impl<'de> de::VariantAccess<'de> for Reader<'_> {
    type Error = ReadError;

    fn unit_variant(self) -> Result<()> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], visitor: V) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }
}

/// A value (`found`, as it is shown) that is not among the values a setting accepts.
pub(crate) fn out_of_range(found: String, expected: String) -> ReadError {
    ReadError::new(Kind::InvalidValue(Actual::Other(found), expected))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use serde::Deserialize;

    use super::*;

    fn text(text: &str) -> Value {
        Value::from(text)
    }

    #[test]
    fn a_text_is_read_by_the_type_that_asks_for_it() {
        assert_eq!(read::<u32>(&text("077")).unwrap(), 77);
        assert_eq!(read::<u32>(&text("0o17")).unwrap(), 15);
        assert_eq!(read::<i64>(&text("-0x10")).unwrap_or(0), 0, "TOML has no signed prefixes");
        assert_eq!(read::<i64>(&text(" -1_000 ")).unwrap(), -1000);
        assert_eq!(read::<String>(&text("077")).unwrap(), "077");
        assert_eq!(read::<PathBuf>(&text("123")).unwrap(), PathBuf::from("123"));
        assert_eq!(read::<f64>(&text("1e20")).unwrap(), 1e20);
        assert!(read::<f64>(&text("NaN")).unwrap().is_nan());
        assert!(read::<bool>(&text("Yes")).unwrap());
        assert!(!read::<bool>(&text("0")).unwrap());
        assert!(read::<bool>(&Value::from(1)).unwrap());
        assert_eq!(read::<String>(&text("true")).unwrap(), "true");
        assert_eq!(read::<Option<String>>(&text("")).unwrap(), None);
        assert_eq!(read::<Option<u16>>(&text("8")).unwrap(), Some(8));
        assert_eq!(read::<Vec<u8>>(&text("[1, 0x2, \"3\"]")).unwrap(), [1, 2, 3]);
        let table: BTreeMap<String, Vec<String>> = read(&text("{a = [x, y], \"b c\" = []}")).unwrap();
        assert_eq!(table["a"], ["x", "y"]);
        assert!(table["b c"].is_empty());
    }

    #[test]
    fn structs_and_enums_read_from_tables_and_names() {
        #[derive(Debug, Deserialize, PartialEq)]
        #[serde(deny_unknown_fields)]
        struct Pair {
            low: u8,
            #[serde(default)]
            high: Option<u8>,
        }
        #[derive(Debug, Deserialize, PartialEq)]
        #[serde(rename_all = "lowercase")]
        enum Mode {
            Fast,
            Slow(u8),
        }
        assert_eq!(read::<Pair>(&text("{low = 1}")).unwrap(), Pair { low: 1, high: None });
        assert_eq!(read::<Mode>(&text("fast")).unwrap(), Mode::Fast);
        assert_eq!(read::<Mode>(&text("{slow = 3}")).unwrap(), Mode::Slow(3));
        let err = read::<Pair>(&text("{low = 1, hgih = 2}")).unwrap_err();
        assert_eq!(err.path, ["hgih"]);
        assert!(matches!(err.kind, Kind::UnknownField(..)), "{err}");
    }

    #[test]
    fn a_wrong_value_names_its_place_and_what_was_expected() {
        let err = read::<u32>(&text("fast")).unwrap_err();
        assert_eq!(err.to_string(), "invalid type: found string \"fast\", expected u32");
        let err = read::<u32>(&text("-3")).unwrap_err();
        assert_eq!(err.to_string(), "invalid value signed int `-3`, expected u32");
        let err = read::<Vec<u32>>(&text("[1, x]")).unwrap_err();
        assert_eq!(err.path, ["1"]);
        let err = read::<Vec<u32>>(&text("[1, 2")).unwrap_err();
        assert_eq!(err.to_string(), "unclosed `[` in the list \"[1, 2\"");
        assert!(read::<Vec<u32>>(&text("1, 2")).is_err(), "a list is written in brackets");
        assert!(read::<bool>(&text("maybe")).is_err());
        assert!(read::<u8>(&text("256")).is_err());
        assert!(read::<u128>(&text("-1")).is_err());
        assert!(read::<i128>(&text(&format!("-{}", u128::MAX))).is_err());
    }
}
