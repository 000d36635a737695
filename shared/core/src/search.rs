//! Search: the terms a customer or a contact is found by, and what a search
//! asks for.
//!
//! A customer is found by
//! - the words of its name, by prefix, with case and diacritics folded in any
//!   script ("andre" finds "André", "иван" finds "Иван"); a word written with
//!   an apostrophe or a hyphen is found both by its parts and whole
//!   ("obrien" and "brien" both find "O'Brien");
//! - its email address, whole, and its local part ("jane.doe" or "janedoe"
//!   finds "jane.doe@example.com");
//! - the digits of its phone number, from the start or from the end ("+40
//!   712" and "345 679" both find "+40 712 345 679").
//!
//! A query's words must all match. [`terms`] is what the store indexes, and
//! [`SearchQuery::matches`] checks a customer against the same terms, so a
//! result is always re-checked against the customer as it is now.

use icu_normalizer::DecomposingNormalizerBorrowed;
use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;

use crate::contact::{Email, Phone};
use crate::contact_person::Contact;
use crate::customer::Customer;
use crate::interaction::Interaction;

/// Namespace of words: of the name, the email and its local part.
pub const WORD: &str = "w:";
/// Namespace of a phone number's digits.
pub const DIGITS: &str = "p:";
/// Namespace of a phone number's digits backwards, so that its last digits
/// are a prefix.
pub const LAST_DIGITS: &str = "r:";
/// Namespace of the whole folded name, for the list's `name_prefix`.
pub const FULL_NAME: &str = "f:";

/// Most characters of a term (after its namespace), and of a word looked up:
/// a longer one is cut to this, so that an index key stays far under
/// DynamoDB's 1,024 bytes whatever the script (folding can multiply a
/// character: "ﷺ" is eighteen).
pub const MAX_TERM_CHARS: usize = 100;
/// Fewest characters a query has, and a word must have to be looked up.
pub const MIN_QUERY_CHARS: usize = 2;
/// Most characters a query has.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most words a query has.
pub const MAX_QUERY_WORDS: usize = 8;
/// Words of a name that are indexed: the first ones.
pub const MAX_NAME_TERMS: usize = 16;
/// Most terms one customer has: name words, three for the email, one for the
/// full name and two for the phone.
pub const MAX_TERMS: usize = MAX_NAME_TERMS + 3 + 1 + 2;
/// Words of an interaction's subject that are indexed: the first ones.
pub const MAX_SUBJECT_TERMS: usize = 16;
/// Words of a contact's name that are indexed: the first ones.
pub const MAX_CONTACT_NAME_TERMS: usize = 8;
/// Most terms one contact has: name words, three for each email and two for
/// each phone. A change of contact writes its old and new terms in one
/// transaction, so this stays well under half of DynamoDB's 100 writes.
pub const MAX_CONTACT_TERMS: usize = MAX_CONTACT_NAME_TERMS
    + 3 * crate::contact_person::MAX_CHANNELS_EACH
    + 2 * crate::contact_person::MAX_CHANNELS_EACH;

/// Text folded for search: compatibility-decomposed, marks removed, joiners
/// dropped, lower-cased.
pub fn fold(text: &str) -> String {
    let categories = CodePointMapData::<GeneralCategory>::new();
    DecomposingNormalizerBorrowed::new_nfkd()
        .normalize(text)
        .chars()
        .filter(|c| {
            !matches!(
                categories.get(*c),
                GeneralCategory::NonspacingMark | GeneralCategory::EnclosingMark
            ) && !matches!(c, '\u{200C}' | '\u{200D}')
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of folded text: its runs of letters and digits, and each
/// whitespace-separated chunk with what is not a letter or digit removed,
/// when that is another word.
fn words(folded: &str) -> Vec<String> {
    let mut words = Vec::new();
    for chunk in folded.split_whitespace() {
        let parts: Vec<&str> = chunk
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| !p.is_empty())
            .collect();
        let whole: String = parts.concat();
        words.extend(parts.iter().map(|p| (*p).to_owned()));
        if parts.len() > 1 {
            words.push(whole);
        }
    }
    words
}

/// `namespace` and `word`, cut to [`MAX_TERM_CHARS`].
fn term(namespace: &str, word: &str) -> String {
    let cut: String = word.chars().take(MAX_TERM_CHARS).collect();
    format!("{namespace}{cut}")
}

fn digits_of(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn reversed(text: &str) -> String {
    text.chars().rev().collect()
}

/// The terms of a name's words: the first `most` of at least
/// [`MIN_QUERY_CHARS`].
fn name_terms(name: &str, most: usize) -> impl Iterator<Item = String> {
    words(&fold(name))
        .into_iter()
        .filter(|w| w.chars().count() >= MIN_QUERY_CHARS)
        .take(most)
        .map(|w| term(WORD, &w))
}

/// The terms of an email address: whole, its local part, and its local part
/// without what is not a letter or digit.
fn email_terms(email: &Email, terms: &mut Vec<String>) {
    let email = fold(&email.folded());
    if let Some((local, _)) = email.rsplit_once('@') {
        let squashed: String = local.chars().filter(|c| c.is_alphanumeric()).collect();
        terms.push(term(WORD, local));
        if !squashed.is_empty() {
            terms.push(term(WORD, &squashed));
        }
    }
    terms.push(term(WORD, &email));
}

/// The terms of a phone number: its digits forwards and backwards.
fn phone_terms(phone: &Phone, terms: &mut Vec<String>) {
    let digits = digits_of(phone.as_str());
    terms.push(term(DIGITS, &digits));
    terms.push(term(LAST_DIGITS, &reversed(&digits)));
}

fn sorted(mut terms: Vec<String>, most: usize) -> Vec<String> {
    terms.sort();
    terms.dedup();
    terms.truncate(most);
    terms
}

/// Every term `customer` is found by, each with its namespace, sorted and
/// without repeats; at most [`MAX_TERMS`].
pub fn terms(customer: &Customer) -> Vec<String> {
    let mut terms: Vec<String> = name_terms(customer.full_name.as_str(), MAX_NAME_TERMS).collect();
    email_terms(&customer.email, &mut terms);
    terms.push(term(FULL_NAME, &customer.full_name.folded()));
    if let Some(phone) = &customer.phone {
        phone_terms(phone, &mut terms);
    }
    sorted(terms, MAX_TERMS)
}

/// Every term a contact is found by, as [`terms`] gives a customer's (by
/// the words of its name, its emails and its phones' digits); at most
/// [`MAX_CONTACT_TERMS`].
pub fn contact_terms(contact: &Contact) -> Vec<String> {
    let mut terms: Vec<String> = name_terms(contact.full_name.as_str(), MAX_CONTACT_NAME_TERMS).collect();
    for email in &contact.emails {
        email_terms(&email.address, &mut terms);
    }
    for phone in &contact.phones {
        phone_terms(&phone.number, &mut terms);
    }
    sorted(terms, MAX_CONTACT_TERMS)
}

/// Every term an interaction is found by: the words of its subject; at
/// most [`MAX_SUBJECT_TERMS`].
pub fn interaction_terms(interaction: &Interaction) -> Vec<String> {
    sorted(
        name_terms(&interaction.subject, MAX_SUBJECT_TERMS).collect(),
        MAX_SUBJECT_TERMS,
    )
}

/// The first of `terms` (sorted) that starts with `prefix`: the one term a
/// customer is listed under when it has several that match, so a search
/// shows it once.
pub fn first_match<'a>(terms: &'a [String], prefix: &str) -> Option<&'a str> {
    let at = terms.partition_point(|t| t.as_str() < prefix);
    terms.get(at).filter(|t| t.starts_with(prefix)).map(String::as_str)
}

/// A search's words: what every match must have. Each word is one or more
/// term prefixes, any of which it matches (phone digits match from the
/// start or from the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    words: Vec<Vec<String>>,
}

/// Why a query is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidQuery {
    /// Too short, or no word long enough to look up.
    #[error("must hold a word of at least {MIN_QUERY_CHARS} letters or digits")]
    TooShort,
    /// Too long.
    #[error("must be at most {MAX_QUERY_CHARS} characters and {MAX_QUERY_WORDS} words")]
    TooLong,
    /// Holds a control or invisible character.
    #[error("must not contain control, bidirectional or invisible characters")]
    ControlCharacter,
}

fn is_phone_like(chunk: &str) -> bool {
    chunk.chars().all(|c| c.is_ascii_digit() || "+-.()".contains(c)) && chunk.chars().any(|c| c.is_ascii_digit())
}

impl SearchQuery {
    /// Parses `q`: its whitespace-separated words; a word with `@` is an
    /// email address or its start; words of digits (and `+`, `-`, `.`, `(`,
    /// `)`) next to each other are one phone number's digits; any other is
    /// a word of a name or an email with what is not a letter or digit
    /// removed.
    pub fn parse(q: &str) -> Result<Self, InvalidQuery> {
        if q.chars().any(crate::text::refused_in_line) {
            return Err(InvalidQuery::ControlCharacter);
        }
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(InvalidQuery::TooLong);
        }
        let folded = fold(q);
        let mut words: Vec<Vec<String>> = Vec::new();
        let mut digits = String::new();
        let flush = |digits: &mut String, words: &mut Vec<Vec<String>>| {
            if !digits.is_empty() {
                words.push(vec![term(DIGITS, digits), term(LAST_DIGITS, &reversed(digits))]);
                digits.clear();
            }
        };
        for chunk in folded.split_whitespace() {
            if is_phone_like(chunk) {
                digits.push_str(&digits_of(chunk));
                continue;
            }
            flush(&mut digits, &mut words);
            if chunk.contains('@') {
                words.push(vec![term(WORD, chunk)]);
            } else {
                let squashed: String = chunk.chars().filter(|c| c.is_alphanumeric()).collect();
                if !squashed.is_empty() {
                    words.push(vec![term(WORD, &squashed)]);
                }
            }
        }
        flush(&mut digits, &mut words);
        words.dedup();
        if words.len() > MAX_QUERY_WORDS {
            return Err(InvalidQuery::TooLong);
        }
        let query = Self { words };
        if query.lookup().is_empty() {
            return Err(InvalidQuery::TooShort);
        }
        Ok(query)
    }

    /// A query for customers whose folded full name starts with `folded`
    /// (the list's `name_prefix`, already folded as names are).
    pub fn name_prefix(folded: &str) -> Self {
        Self {
            words: vec![vec![term(FULL_NAME, folded)]],
        }
    }

    /// The term prefixes to look up in the index, any of which a match has:
    /// those of the longest word (the likeliest to be rare), if one is long
    /// enough; none otherwise.
    pub fn lookup(&self) -> &[String] {
        self.words
            .iter()
            .filter(|alternatives| {
                alternatives.first().is_some_and(|p| {
                    let (namespace, word) = p.split_at(2);
                    namespace == FULL_NAME || word.chars().count() >= MIN_QUERY_CHARS
                })
            })
            .max_by_key(|alternatives| alternatives.first().map_or(0, |p| p.chars().count()))
            .map_or(&[], Vec::as_slice)
    }

    /// The query's words, each as its term prefixes.
    pub fn words(&self) -> &[Vec<String>] {
        &self.words
    }

    /// Whether a customer with these `terms` (as [`terms`] gives them) has
    /// every word.
    pub fn matches(&self, terms: &[String]) -> bool {
        self.words
            .iter()
            .all(|alternatives| alternatives.iter().any(|p| first_match(terms, p).is_some()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewCustomer;
    use crate::id::BusinessId;
    use crate::time::Timestamp;
    use proptest::prelude::*;

    fn customer(name: &str, email: &str, phone: Option<&str>) -> Customer {
        let mut body = serde_json::json!({
            "user_id": "123e4567-e89b-12d3-a456-426614174000",
            "full_name": name,
            "email": email,
            "gender": "other",
        });
        if let Some(phone) = phone {
            body["phone"] = phone.into();
        }
        NewCustomer::from_json(body.as_object().unwrap())
            .unwrap()
            .into_customer(BusinessId::random(), Timestamp::now())
    }

    fn finds(q: &str, c: &Customer) -> bool {
        SearchQuery::parse(q).unwrap().matches(&terms(c))
    }

    #[test]
    fn names_are_found_by_word_prefixes_in_any_script_without_case_or_diacritics() {
        let andre = customer("André Müller-Lüdenscheidt", "a@example.com", None);
        for q in [
            "andre",
            "ANDR",
            "müll",
            "mull",
            "ludensch",
            "mullerludenscheidt",
            "andré mül",
        ] {
            assert!(finds(q, &andre), "{q}");
        }
        assert!(!finds("andrea", &andre));
        assert!(!finds("andre smith", &andre), "every word must match");
        let ivan = customer("Иван Петров", "i@example.com", None);
        assert!(finds("иван", &ivan));
        assert!(finds("ИВА пет", &ivan));
        let greek = customer("Ελένη Παπαδοπούλου", "e@example.com", None);
        assert!(finds("ελενη", &greek));
        assert!(finds("παπαδοπουλ", &greek));
        let obrien = customer("Seán O'Brien", "s@example.com", None);
        assert!(finds("obrien", &obrien) && finds("brien", &obrien) && finds("o'brien", &obrien));
        let cjk = customer("王小明", "w@example.com", None);
        assert!(finds("王小", &cjk));
    }

    #[test]
    fn emails_are_found_whole_and_by_local_part() {
        let jane = customer("Jane Roe", "Jane.Doe@Example.com", None);
        for q in ["jane.doe@example.com", "jane.doe@ex", "janedoe", "jane.doe", "Jane.D"] {
            assert!(finds(q, &jane), "{q}");
        }
        assert!(!finds("doe@example.com", &jane));
    }

    #[test]
    fn phone_digits_are_found_from_the_start_or_the_end() {
        let c = customer("A B", "ab@example.com", Some("+40 712 345 679"));
        for q in [
            "5679",
            "+40712",
            "+40 712",
            "345 679",
            "0712 345 679",
            "712-345-679",
            "79",
            "40",
        ] {
            assert!(finds(q, &c), "{q}");
        }
        assert!(!finds("5678", &c));
        assert!(!finds("712 345", &c), "not from the middle");
        assert!(!finds("5679", &customer("A B", "ab@example.com", None)));
        assert!(
            finds("a 5679", &c) && !finds("z 5679", &c),
            "with a name word, both must match"
        );
    }

    #[test]
    fn a_query_needs_a_word_of_two_characters_and_has_bounds() {
        assert_eq!(SearchQuery::parse("a"), Err(InvalidQuery::TooShort));
        assert_eq!(SearchQuery::parse("a b c"), Err(InvalidQuery::TooShort));
        assert_eq!(SearchQuery::parse("  "), Err(InvalidQuery::TooShort));
        assert_eq!(SearchQuery::parse("-- ''"), Err(InvalidQuery::TooShort));
        assert!(SearchQuery::parse("a bc").is_ok());
        assert_eq!(SearchQuery::parse(&"x".repeat(201)), Err(InvalidQuery::TooLong));
        assert_eq!(SearchQuery::parse("a b c d e f g h ij"), Err(InvalidQuery::TooLong));
        assert_eq!(SearchQuery::parse("an\u{0}na"), Err(InvalidQuery::ControlCharacter));
    }

    #[test]
    fn the_longest_word_is_looked_up() {
        let q = SearchQuery::parse("jo smithson 5679").unwrap();
        assert_eq!(q.lookup(), ["w:smithson"]);
        let q = SearchQuery::parse("jo +40 712 345").unwrap();
        assert_eq!(q.lookup(), ["p:40712345", "r:54321704"]);
    }

    #[test]
    fn a_customer_has_few_terms_whatever_its_name() {
        let long = customer(&"ab ".repeat(66), "x@example.com", Some("+123456789012345"));
        assert!(terms(&long).len() <= MAX_TERMS);
        let many = customer(
            &(0..40).map(|i| format!("w{i:02}")).collect::<Vec<_>>().join(" "),
            "x@example.com",
            Some("+123456789012345"),
        );
        let found = terms(&many);
        assert!(found.len() <= MAX_TERMS, "{}", found.len());
        assert!(
            found.iter().any(|t| t == "r:543210987654321"),
            "the phone kept: {found:?}"
        );
    }

    #[test]
    fn a_name_that_folds_long_makes_terms_an_index_key_can_hold() {
        let long = customer(&"\u{FDFA}".repeat(200), "x@example.com", None);
        for t in terms(&long) {
            assert!(t.len() < 500, "{} bytes", t.len());
        }
        let word = customer(&"\u{3300}".repeat(200), "x@example.com", None);
        for t in terms(&word) {
            assert!(t.len() < 500, "{} bytes", t.len());
        }
        let q = SearchQuery::parse(&"\u{3300}".repeat(150)).unwrap();
        assert!(q.lookup().iter().all(|p| p.chars().count() <= 2 + MAX_TERM_CHARS));
        assert!(q.matches(&terms(&word)), "a long name is still found by its start");
        let prefix = SearchQuery::name_prefix(&crate::text::fold(&"\u{3300}".repeat(120)));
        assert!(prefix.matches(&terms(&word)));
    }

    #[test]
    fn first_match_is_the_smallest_term_with_the_prefix() {
        let t = vec!["w:ann".to_owned(), "w:anna".to_owned(), "w:bob".to_owned()];
        assert_eq!(first_match(&t, "w:an"), Some("w:ann"));
        assert_eq!(first_match(&t, "w:anna"), Some("w:anna"));
        assert_eq!(first_match(&t, "w:c"), None);
    }

    fn contact(body: serde_json::Value) -> Contact {
        crate::contact_person::ContactInput::from_json(body.as_object().unwrap(), false)
            .unwrap()
            .into_contact(
                crate::CustomerId::random(),
                BusinessId::random(),
                "test",
                Timestamp::now(),
            )
    }

    #[test]
    fn a_contact_is_found_by_its_name_every_email_and_every_phone() {
        let c = contact(serde_json::json!({
            "full_name": "Ioana Popescu-Vasile",
            "emails": [{"address": "ioana@acme.example"}, {"address": "i.p@home.example"}],
            "phones": [{"number": "+40 712 345 679"}, {"number": "0733 000 111"}],
        }));
        let t = contact_terms(&c);
        for q in [
            "ioana",
            "vasile",
            "popescuvasile",
            "i.p@home",
            "ip",
            "ioana@acme.example",
            "+40 712",
            "000 111",
            "0733",
        ] {
            assert!(SearchQuery::parse(q).unwrap().matches(&t), "{q} in {t:?}");
        }
        assert!(!SearchQuery::parse("ion").unwrap().matches(&t));
        assert!(t.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
    }

    #[test]
    fn a_contact_with_every_channel_and_a_long_name_has_a_bounded_number_of_terms() {
        let name: Vec<String> = (0..30).map(|i| format!("name{i}")).collect();
        let emails: Vec<serde_json::Value> = (0..crate::contact_person::MAX_CHANNELS_EACH)
            .map(|i| serde_json::json!({"address": format!("first.last{i}@example.com")}))
            .collect();
        let phones: Vec<serde_json::Value> = (0..crate::contact_person::MAX_CHANNELS_EACH)
            .map(|i| serde_json::json!({"number": format!("+40 712 345 67{i}")}))
            .collect();
        let c = contact(serde_json::json!({"full_name": name.join(" "), "emails": emails, "phones": phones}));
        let t = contact_terms(&c);
        assert!(t.len() <= MAX_CONTACT_TERMS, "{}", t.len());
        assert!(
            SearchQuery::parse("name7").unwrap().matches(&t),
            "the first words are kept"
        );
        assert!(
            SearchQuery::parse("first.last4").unwrap().matches(&t),
            "every email is kept"
        );
    }

    proptest! {
        #[test]
        fn every_word_of_a_name_finds_its_customer(name in "[\\p{L} '-]{1,40}") {
            prop_assume!(crate::contact::FullName::parse(&name).is_ok());
            let c = customer(&name, "x@example.com", None);
            let t = terms(&c);
            for word in words(&fold(&name)).into_iter().filter(|w| w.chars().count() >= 2).take(MAX_NAME_TERMS) {
                if let Ok(q) = SearchQuery::parse(&word) {
                    prop_assert!(q.matches(&t), "{word} in {t:?}");
                }
            }
        }

        #[test]
        fn parsing_never_panics(q in "\\PC{0,250}") {
            let _ = SearchQuery::parse(&q);
        }
    }
}
