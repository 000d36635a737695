//! Rules for text: which characters free text may hold, how text is
//! compared, and enumerations written as fixed words in the API and in the
//! table.

use icu_normalizer::ComposingNormalizerBorrowed;

/// Whether `c` is a bidirectional control (U+202A to U+202E, U+2066 to
/// U+2069) or an invisible character with no place in text (U+200B zero
/// width space, U+2060 word joiner, U+FEFF byte order mark). Such characters
/// make a name or a label look like another, or reorder what is shown around
/// it. The zero width joiner and non-joiner (U+200C, U+200D) are not among
/// them: Persian and Indic names need them.
pub fn is_hidden(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}')
}

/// Whether `c` has no place in one line of free text (a name, a label): a
/// control character or a [hidden](is_hidden) one.
pub fn refused_in_line(c: char) -> bool {
    c.is_control() || is_hidden(c)
}

/// Whether `c` has no place in free text of several lines (a note, a
/// reason): as [`refused_in_line`], but a line break (`\n`) is allowed.
pub fn refused_in_text(c: char) -> bool {
    c != '\n' && refused_in_line(c)
}

/// One line of free text (a role, a label, a subject): trimmed, 1 to `max`
/// characters, none of them [refused in a line](refused_in_line).
pub fn one_line(text: &str, max: usize) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(refused_in_line) {
        return Err(format!(
            "must be 1 to {max} characters, without control, bidirectional or invisible characters"
        ));
    }
    Ok(t.to_owned())
}

/// Text as it is compared: NFKC-normalised (so the ligature "ﬁ" is "fi" and
/// a full-width "Ａ" is "A"), trimmed and lower-cased. Uniqueness of emails
/// and tag labels, and name search, are decided on this form.
pub fn fold(text: &str) -> String {
    ComposingNormalizerBorrowed::new_nfkc()
        .normalize(text.trim())
        .trim()
        .to_lowercase()
}

/// The fold used before text was compared NFKC-normalised: trimmed and
/// lower-cased. Only the migration that rewrites keys made with it uses it.
pub fn fold_before_nfkc(text: &str) -> String {
    text.trim().to_lowercase()
}

/// Why a string is not one of an enumeration's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of: {allowed}")]
pub struct NotOneOf {
    pub(crate) allowed: String,
}

/// Declares an enumeration written as fixed lower-case words, with
/// `ALL`, `as_str`, `FromStr` (refusing with [`NotOneOf`]) and `Display`.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value's text form.
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::text::NotOneOf;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::text::NotOneOf {
                        allowed: Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use text_enum;

/// For a text newtype `$name(String)` with `parse(&str) -> Result<Self, $error>`:
/// the conversions serde's `try_from = "String", into = "String"` use.
macro_rules! parsed_text {
    ($name:ident, $error:ty) => {
        impl TryFrom<String> for $name {
            type Error = $error;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

pub(crate) use parsed_text;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Email, FullName, NoteContent, TagLabel, lifecycle::Reason};

    #[test]
    fn text_that_looks_the_same_compares_the_same() {
        assert_eq!(fold(" Ｖｉｐ "), "vip");
        assert_eq!(fold("ﬁne"), "fine");
        // A precomposed é and an e with a combining acute are one letter.
        assert_eq!(fold("Cafe\u{301}"), fold("Café"));
        assert_eq!(fold("ＡＬＩＣＥ@example.com"), "alice@example.com");
        assert_eq!(fold_before_nfkc("ＡＬＩＣＥ"), "ａｌｉｃｅ");
    }

    #[test]
    fn bidirectional_and_invisible_characters_are_refused_in_names_labels_notes_and_reasons() {
        for hidden in [
            '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200B}', '\u{2060}', '\u{FEFF}',
        ] {
            let text = format!("Ann{hidden}a");
            assert!(FullName::parse(&text).is_err(), "{hidden:?} in a name");
            assert!(TagLabel::parse(&text).is_err(), "{hidden:?} in a label");
            assert!(NoteContent::parse(&text).is_err(), "{hidden:?} in a note");
            assert!(Reason::parse(&text).is_err(), "{hidden:?} in a reason");
            assert!(
                Email::parse(&format!("ann{hidden}a@example.com")).is_err(),
                "{hidden:?} in an email"
            );
        }
    }

    #[test]
    fn joiners_that_names_need_are_kept() {
        // Persian: "mi" + ZWNJ + "khaham"; Devanagari with a ZWJ.
        for name in ["می\u{200C}خواهم", "क्\u{200D}ष"] {
            assert_eq!(
                FullName::parse(name).map(|n| n.as_str().to_owned()),
                Ok(name.to_owned())
            );
            assert!(TagLabel::parse(name).is_ok());
        }
        assert!(NoteContent::parse("line one\nline two").is_ok());
    }
}
