//! A customer's name, email address and phone number: each parsed once, valid
//! from then on.

use std::fmt;

use email_address::{EmailAddress, Options};
use serde::{Deserialize, Serialize};

macro_rules! string_value {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s).map_err(|e| e.to_string())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.as_str().to_owned()
            }
        }
    };
}

/// Longest full name accepted, in characters.
pub const FULL_NAME_MAX_CHARS: usize = 200;

/// A customer's full name: trimmed, 1 to 200 characters, no control,
/// bidirectional or invisible characters ([`crate::text::refused_in_line`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FullName(String);

/// Why a string is not a full name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidFullName {
    /// Nothing but whitespace.
    #[error("must not be empty")]
    Empty,
    /// Over the limit.
    #[error("must be at most {FULL_NAME_MAX_CHARS} characters")]
    TooLong,
    /// Holds a control character (a newline, a tab, ...), a bidirectional
    /// control or an invisible character.
    #[error("must not contain control, bidirectional or invisible characters")]
    ControlCharacter,
}

impl FullName {
    /// Parses a full name.
    pub fn parse(input: &str) -> Result<Self, InvalidFullName> {
        let name = input.trim();
        if name.is_empty() {
            return Err(InvalidFullName::Empty);
        }
        if name.chars().count() > FULL_NAME_MAX_CHARS {
            return Err(InvalidFullName::TooLong);
        }
        if name.chars().any(crate::text::refused_in_line) {
            return Err(InvalidFullName::ControlCharacter);
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name NFKC-normalised and folded to lower case, for
    /// case-insensitive prefix search.
    pub fn folded(&self) -> String {
        fold(&self.0)
    }
}
string_value!(FullName);

pub use crate::text::fold;

/// Longest email address accepted (RFC 5321's path limit less the brackets).
pub const EMAIL_MAX_CHARS: usize = 254;

/// An email address: trimmed, at most 254 characters, a plain `local@domain.tld`
/// (no display name, no IP-literal domain). Compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// Why a string is not an email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEmail {
    /// Over the limit.
    #[error("must be at most {EMAIL_MAX_CHARS} characters")]
    TooLong,
    /// Not an address.
    #[error("must be a valid email address, like name@example.com")]
    Malformed,
}

impl Email {
    /// Parses an email address.
    pub fn parse(input: &str) -> Result<Self, InvalidEmail> {
        let address = input.trim();
        if address.chars().count() > EMAIL_MAX_CHARS {
            return Err(InvalidEmail::TooLong);
        }
        if address.chars().any(crate::text::refused_in_line) {
            return Err(InvalidEmail::Malformed);
        }
        let options = Options::default()
            .with_required_tld()
            .without_domain_literal()
            .without_display_text();
        EmailAddress::parse_with_options(address, options)
            .map(|_| Self(address.to_owned()))
            .map_err(|_| InvalidEmail::Malformed)
    }

    /// The address as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address NFKC-normalised and folded to lower case: what uniqueness
    /// is decided on.
    pub fn folded(&self) -> String {
        fold(&self.0)
    }
}
string_value!(Email);

/// A phone number: an optional leading `+`, then 7 to 15 digits, which may be
/// grouped with spaces, hyphens, dots and parentheses. Kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// Why a string is not a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "must be a phone number of 7 to 15 digits, optionally starting with + and grouped with spaces, hyphens, dots or parentheses"
)]
pub struct InvalidPhone;

/// Longest phone number accepted, separators included.
pub const PHONE_MAX_CHARS: usize = 32;

impl Phone {
    /// Parses a phone number.
    pub fn parse(input: &str) -> Result<Self, InvalidPhone> {
        let phone = input.trim();
        if phone.len() > PHONE_MAX_CHARS {
            return Err(InvalidPhone);
        }
        let body = phone.strip_prefix('+').unwrap_or(phone);
        let mut digits = 0;
        for c in body.chars() {
            match c {
                '0'..='9' => digits += 1,
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(InvalidPhone),
            }
        }
        let starts_well = body.starts_with(|c: char| c.is_ascii_digit() || c == '(');
        if !(7..=15).contains(&digits) || !starts_well {
            return Err(InvalidPhone);
        }
        Ok(Self(phone.to_owned()))
    }

    /// The number as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_value!(Phone);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn full_names_are_trimmed_and_bounded() {
        assert_eq!(FullName::parse("  John Doe ").unwrap().as_str(), "John Doe");
        assert_eq!(FullName::parse("   "), Err(InvalidFullName::Empty));
        assert_eq!(FullName::parse("a\nb"), Err(InvalidFullName::ControlCharacter));
        assert!(FullName::parse(&"é".repeat(200)).is_ok());
        assert_eq!(FullName::parse(&"é".repeat(201)), Err(InvalidFullName::TooLong));
    }

    #[test]
    fn emails_of_the_original_examples_parse_and_fold() {
        let email = Email::parse(" John.Doe@Example.com ").unwrap();
        assert_eq!(email.as_str(), "John.Doe@Example.com");
        assert_eq!(email.folded(), "john.doe@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for input in [
            "",
            "john",
            "john@",
            "@example.com",
            "john@localhost",
            "John <john@example.com>",
            "john@[127.0.0.1]",
            "john@@example.com",
        ] {
            assert!(Email::parse(input).is_err(), "{input:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(InvalidEmail::TooLong));
    }

    #[test]
    fn phones_accept_common_forms() {
        for input in ["0712345678", "+40 712 345 678", "(021) 555-0134", "+1.202.555.0123"] {
            assert!(Phone::parse(input).is_ok(), "{input:?}");
        }
        for input in [
            "",
            "12345",
            "+",
            "phone",
            "0712345678x12",
            "++40712345678",
            "-0712345678",
            "1234567890123456",
        ] {
            assert_eq!(Phone::parse(input), Err(InvalidPhone), "{input:?}");
        }
    }

    proptest! {
        #[test]
        fn parsers_never_panic(input in "\\PC*") {
            let _ = FullName::parse(&input);
            let _ = Email::parse(&input);
            let _ = Phone::parse(&input);
        }

        #[test]
        fn any_accepted_phone_has_7_to_15_digits(input in "[+]?[0-9 ().-]{0,40}") {
            if let Ok(phone) = Phone::parse(&input) {
                let digits = phone.as_str().chars().filter(char::is_ascii_digit).count();
                prop_assert!((7..=15).contains(&digits));
            }
        }

        #[test]
        fn accepted_names_round_trip_through_serde(input in "\\PC{1,60}") {
            if let Ok(name) = FullName::parse(&input) {
                let json = serde_json::to_string(&name).unwrap();
                prop_assert_eq!(serde_json::from_str::<FullName>(&json).unwrap(), name);
            }
        }
    }
}
