//! Notes: what staff write about a customer, at most 500 characters.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::id::{BusinessId, CustomerId, NoteId};
use crate::time::Timestamp;
use crate::validation::{ObjectReader, ValidationErrors};

/// Longest note, in characters (not bytes).
pub const NOTE_MAX_CHARS: usize = 500;
/// Most notes one customer may have: with [`NOTE_MAX_CHARS`], what an export
/// holds about them stays well under a megabyte.
pub const MAX_NOTES_PER_CUSTOMER: usize = 1_000;

/// A note's text: line breaks written `\n` (a `\r\n` is read as one), trimmed,
/// 1 to 500 characters, and no control characters but line breaks, no
/// bidirectional or invisible characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NoteContent(String);

/// Why a string is not a note.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidNoteContent {
    /// Nothing but whitespace.
    #[error("must not be empty")]
    Empty,
    /// Over the limit.
    #[error("must be at most {NOTE_MAX_CHARS} characters")]
    TooLong,
    /// A control character other than a line break, a bidirectional control
    /// or an invisible character.
    #[error("must not contain control characters other than line breaks, nor bidirectional or invisible characters")]
    ControlCharacter,
}

impl NoteContent {
    /// Parses a note.
    pub fn parse(input: &str) -> Result<Self, InvalidNoteContent> {
        let text = input.replace("\r\n", "\n");
        let text = text.trim();
        if text.is_empty() {
            return Err(InvalidNoteContent::Empty);
        }
        if text.chars().count() > NOTE_MAX_CHARS {
            return Err(InvalidNoteContent::TooLong);
        }
        if text.chars().any(crate::text::refused_in_text) {
            return Err(InvalidNoteContent::ControlCharacter);
        }
        Ok(Self(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::text::parsed_text!(NoteContent, InvalidNoteContent);

/// A note about a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The note's id; ids sort in the order notes were written.
    pub id: NoteId,
    /// The customer it is about.
    pub customer_id: CustomerId,
    /// The customer's business.
    pub business_id: BusinessId,
    /// The text.
    pub content: NoteContent,
    /// The principal who wrote it.
    pub created_by: String,
    /// When it was written.
    pub created_at: Timestamp,
}

/// A validated note to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNote {
    /// The text.
    pub content: NoteContent,
}

impl NewNote {
    /// Reads a note body, reporting every offending field.
    pub fn from_json(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut reader = ObjectReader::new(body);
        let content = reader.required("content", NoteContent::parse);
        reader.refuse(
            &["id", "customer_id", "created_by", "created_at"],
            "is set by the server and cannot be written",
        );
        reader.refuse_unknown(&["content", "id", "customer_id", "created_by", "created_at"]);
        reader.finish().into_result(|| Some(Self { content: content? }))
    }

    /// The note this becomes about `customer`, written by `created_by` at `now`.
    pub fn into_note(self, customer_id: CustomerId, business_id: BusinessId, created_by: &str, now: Timestamp) -> Note {
        Note {
            id: NoteId::at(now),
            customer_id,
            business_id,
            content: self.content,
            created_by: created_by.to_owned(),
            created_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::object;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn content_is_counted_in_characters_and_trimmed() {
        assert_eq!(NoteContent::parse("  hello  ").unwrap().as_str(), "hello");
        assert!(
            NoteContent::parse(&"é".repeat(500)).is_ok(),
            "500 two-byte characters fit"
        );
        assert_eq!(NoteContent::parse(&"é".repeat(501)), Err(InvalidNoteContent::TooLong));
        assert_eq!(NoteContent::parse(" \n "), Err(InvalidNoteContent::Empty));
    }

    #[test]
    fn only_line_breaks_among_control_characters() {
        assert_eq!(
            NoteContent::parse("one\r\ntwo\nthree").unwrap().as_str(),
            "one\ntwo\nthree"
        );
        for bad in ["tab\there", "bell\u{7}", "lone\rreturn", "nul\u{0}"] {
            assert_eq!(
                NoteContent::parse(bad),
                Err(InvalidNoteContent::ControlCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_original_note_example_is_valid() {
        let body = object(json!({"content": "Clientul a solicitat un apel de urmărire săptămâna viitoare."}));
        assert!(NewNote::from_json(&body).is_ok());
        let errors = NewNote::from_json(&object(json!({"content": 5, "created_by": "me", "x": 1}))).unwrap_err();
        assert_eq!(errors.fields(), vec!["content", "created_by", "x"]);
    }

    proptest! {
        #[test]
        fn accepted_notes_are_within_the_rules(input in "\\PC{0,600}") {
            if let Ok(note) = NoteContent::parse(&input) {
                let count = note.as_str().chars().count();
                prop_assert!((1..=NOTE_MAX_CHARS).contains(&count));
                prop_assert!(!note.as_str().chars().any(|c| c.is_control() && c != '\n'));
            }
        }
    }
}
