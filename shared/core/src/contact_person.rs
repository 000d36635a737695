//! Contacts: the people at a customer (a business's employees, an
//! institution's officers) whom the business deals with. Each has its own
//! emails and phones, a preferred channel, and the consent an EU CRM must
//! keep per channel: whether marketing is allowed, recorded with when, how
//! and by whom; and a do-not-contact flag that overrides everything.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::contact::{Email, FullName, Phone};
use crate::id::{BusinessId, ContactId, CustomerId};
use crate::text::text_enum;
use crate::time::Timestamp;
use crate::validation::{ObjectReader, ValidationErrors};

/// Most emails, and most phones, one contact may have.
pub const MAX_CHANNELS_EACH: usize = 5;
/// Longest role, in characters.
pub const ROLE_MAX_CHARS: usize = 100;
/// Longest label of an email or phone.
pub const LABEL_MAX_CHARS: usize = 30;
/// Longest consent source.
pub const SOURCE_MAX_CHARS: usize = 100;
/// Most contacts one customer may have.
pub const MAX_CONTACTS_PER_CUSTOMER: usize = 100;

text_enum!(
    /// A way to reach a contact.
    Channel {
        /// Email.
        Email => "email",
        /// Phone calls.
        Phone => "phone",
        /// Text messages.
        Sms => "sms",
    }
);

text_enum!(
    /// Whether a contact agreed to marketing on a channel.
    Marketing {
        /// Agreed.
        OptedIn => "opted_in",
        /// Refused, or withdrew.
        OptedOut => "opted_out",
    }
);

/// A contact's email address, with what it is (`work`, `personal`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabeledEmail {
    /// The address.
    pub address: Email,
    /// What it is.
    #[serde(default)]
    pub label: Option<String>,
}

/// A contact's phone number, with what it is (`mobile`, `office`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabeledPhone {
    /// The number.
    pub number: Phone,
    /// What it is.
    #[serde(default)]
    pub label: Option<String>,
}

/// Consent on one channel, and how it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelConsent {
    /// Opted in or out.
    pub marketing: Marketing,
    /// How it was given: a form, a call, a signed paper.
    pub source: String,
    /// The principal who recorded it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: Timestamp,
}

/// Consent per channel: none recorded means none given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// On email.
    #[serde(default)]
    pub email: Option<ChannelConsent>,
    /// On phone calls.
    #[serde(default)]
    pub phone: Option<ChannelConsent>,
    /// On text messages.
    #[serde(default)]
    pub sms: Option<ChannelConsent>,
}

impl Consent {
    fn channel_mut(&mut self, channel: Channel) -> &mut Option<ChannelConsent> {
        match channel {
            Channel::Email => &mut self.email,
            Channel::Phone => &mut self.phone,
            Channel::Sms => &mut self.sms,
        }
    }

    fn channel(&self, channel: Channel) -> &Option<ChannelConsent> {
        match channel {
            Channel::Email => &self.email,
            Channel::Phone => &self.phone,
            Channel::Sms => &self.sms,
        }
    }
}

/// A person at a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Its id.
    pub id: ContactId,
    /// The customer it belongs to.
    pub customer_id: CustomerId,
    /// The customer's business.
    pub business_id: BusinessId,
    /// Full name.
    pub full_name: FullName,
    /// Role or job title.
    #[serde(default)]
    pub role: Option<String>,
    /// Email addresses; each unique among the customer's contacts.
    #[serde(default)]
    pub emails: Vec<LabeledEmail>,
    /// Phone numbers.
    #[serde(default)]
    pub phones: Vec<LabeledPhone>,
    /// How it prefers to be reached.
    #[serde(default)]
    pub preferred_channel: Option<Channel>,
    /// Marketing consent per channel.
    #[serde(default)]
    pub consent: Consent,
    /// Not to be contacted at all, whatever the consent says.
    #[serde(default)]
    pub do_not_contact: bool,
    /// The principal who created it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Bumped on every change; the ETag is made from it.
    pub version: u64,
}

/// A contact's writable fields, read from a create or replace body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactInput {
    /// The customer the body names (`customer_id`), if it names one.
    pub customer_id: Option<CustomerId>,
    /// Full name.
    pub full_name: FullName,
    /// Role or job title.
    pub role: Option<String>,
    /// Emails.
    pub emails: Vec<LabeledEmail>,
    /// Phones.
    pub phones: Vec<LabeledPhone>,
    /// Preferred channel.
    pub preferred_channel: Option<Channel>,
    /// Consent as given: per channel, opted in or out and how.
    pub consent: Vec<(Channel, Marketing, String)>,
    /// Not to be contacted at all.
    pub do_not_contact: bool,
}

/// The fields a body may write.
const WRITABLE: &[&str] = &[
    "customer_id",
    "full_name",
    "role",
    "emails",
    "phones",
    "preferred_channel",
    "consent",
    "do_not_contact",
];
/// The fields the server sets.
const SERVER_OWNED: &[&str] = &[
    "id",
    "business_id",
    "created_by",
    "created_at",
    "updated_at",
    "version",
    "primary",
];

use crate::text::one_line as line;

/// A list of `{<key>: ..., "label": ...}` objects, each read by `read`.
fn labeled<T>(
    body: &Map<String, Value>,
    field: &str,
    key: &str,
    errors: &mut ValidationErrors,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Vec<(T, Option<String>)> {
    let items = match body.get(field) {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) if items.len() <= MAX_CHANNELS_EACH => items,
        Some(Value::Array(_)) => {
            errors.push(field, format!("must hold at most {MAX_CHANNELS_EACH}"));
            return Vec::new();
        }
        Some(_) => {
            errors.push(field, "must be a list");
            return Vec::new();
        }
    };
    let mut read = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let Some(object) = item.as_object() else {
            errors.push(&format!("{field}[{n}]"), "must be an object");
            continue;
        };
        let mut reader = ObjectReader::nested(object, &format!("{field}[{n}]."));
        reader.refuse_unknown(&[key, "label"]);
        let value = reader.required(key, &parse);
        let label = reader.optional("label", |t| line(t, LABEL_MAX_CHARS));
        errors.extend(reader.finish());
        if let Some(value) = value {
            read.push((value, label));
        }
    }
    read
}

impl ContactInput {
    /// Reads a create (`POST`) or replace (`PUT`) body, naming every
    /// offending field. A create must name its customer.
    pub fn from_json(body: &Map<String, Value>, create: bool) -> Result<Self, ValidationErrors> {
        let mut reader = ObjectReader::new(body);
        reader.refuse(SERVER_OWNED, "is set by the server and cannot be written");
        let known: Vec<&str> = WRITABLE.iter().chain(SERVER_OWNED).copied().collect();
        reader.refuse_unknown(&known);
        let customer_id = if create {
            reader.required("customer_id", CustomerId::parse)
        } else {
            reader.optional("customer_id", CustomerId::parse)
        };
        let full_name = reader.required("full_name", FullName::parse);
        let role = reader.optional("role", |t| line(t, ROLE_MAX_CHARS));
        let preferred_channel = reader.optional("preferred_channel", Channel::from_str);
        let mut errors = reader.finish();
        let emails: Vec<LabeledEmail> = labeled(body, "emails", "address", &mut errors, |t| {
            Email::parse(t).map_err(|e| e.to_string())
        })
        .into_iter()
        .map(|(address, label)| LabeledEmail { address, label })
        .collect();
        let mut folded: Vec<String> = emails.iter().map(|e| e.address.folded()).collect();
        folded.sort();
        if folded.windows(2).any(|pair| pair[0] == pair[1]) {
            errors.push("emails", "must not name one address twice");
        }
        let phones = labeled(body, "phones", "number", &mut errors, |t| {
            Phone::parse(t).map_err(|e| e.to_string())
        })
        .into_iter()
        .map(|(number, label)| LabeledPhone { number, label })
        .collect();
        let do_not_contact = match body.get("do_not_contact") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                errors.push("do_not_contact", "must be true or false");
                false
            }
        };
        let consent = consent(body, &mut errors);
        errors.into_result(|| {
            Some(Self {
                customer_id,
                full_name: full_name?,
                role,
                emails,
                phones,
                preferred_channel,
                consent,
                do_not_contact,
            })
        })
    }

    /// The contact this body creates for `customer`, by `actor` at `now`.
    pub fn into_contact(self, customer: CustomerId, business: BusinessId, actor: &str, now: Timestamp) -> Contact {
        let mut contact = Contact {
            id: ContactId::random(),
            customer_id: customer,
            business_id: business,
            full_name: self.full_name.clone(),
            role: None,
            emails: Vec::new(),
            phones: Vec::new(),
            preferred_channel: None,
            consent: Consent::default(),
            do_not_contact: false,
            created_by: actor.to_owned(),
            created_at: now,
            updated_at: now,
            version: 0,
        };
        contact = contact.replaced(self, actor, now);
        contact.version = 1;
        contact
    }
}

/// `consent`: `{"<channel>": {"marketing": "opted_in", "source": "..."}}`.
fn consent(body: &Map<String, Value>, errors: &mut ValidationErrors) -> Vec<(Channel, Marketing, String)> {
    let object = match body.get("consent") {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Object(object)) => object,
        Some(_) => {
            errors.push("consent", "must be an object of channels");
            return Vec::new();
        }
    };
    let mut read = Vec::new();
    for (name, value) in object {
        let field = format!("consent.{name}");
        let Ok(channel) = name.parse::<Channel>() else {
            errors.push(&field, "is not a channel: email, phone or sms");
            continue;
        };
        let Some(given) = value.as_object() else {
            if !value.is_null() {
                errors.push(&field, "must be an object");
            }
            continue;
        };
        let mut reader = ObjectReader::nested(given, &format!("{field}."));
        reader.refuse_unknown(&["marketing", "source", "recorded_by", "recorded_at"]);
        let marketing = reader.required("marketing", Marketing::from_str);
        let source = reader.required("source", |t| line(t, SOURCE_MAX_CHARS));
        errors.extend(reader.finish());
        if let (Some(marketing), Some(source)) = (marketing, source) {
            read.push((channel, marketing, source));
        }
    }
    read
}

impl Contact {
    /// The contact with every writable field as `input` says (absent
    /// optional fields become empty). A channel's consent given as it was
    /// keeps when and by whom it was recorded; a changed one is recorded
    /// now, by `actor`.
    pub fn replaced(&self, input: ContactInput, actor: &str, now: Timestamp) -> Contact {
        let mut consent = Consent::default();
        for (channel, marketing, source) in input.consent {
            let kept = self
                .consent
                .channel(channel)
                .as_ref()
                .filter(|c| c.marketing == marketing && c.source == source)
                .cloned();
            *consent.channel_mut(channel) = Some(kept.unwrap_or(ChannelConsent {
                marketing,
                source,
                recorded_by: actor.to_owned(),
                recorded_at: now,
            }));
        }
        Contact {
            full_name: input.full_name,
            role: input.role,
            emails: input.emails,
            phones: input.phones,
            preferred_channel: input.preferred_channel,
            consent,
            do_not_contact: input.do_not_contact,
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The names of the writable fields whose values differ from `other`'s.
    pub fn changed_fields(&self, other: &Contact) -> Vec<&'static str> {
        let mut changed = Vec::new();
        let mut check = |name: &'static str, differs: bool| {
            if differs {
                changed.push(name);
            }
        };
        check("full_name", self.full_name != other.full_name);
        check("role", self.role != other.role);
        check("emails", self.emails != other.emails);
        check("phones", self.phones != other.phones);
        check("preferred_channel", self.preferred_channel != other.preferred_channel);
        check("consent", self.consent != other.consent);
        check("do_not_contact", self.do_not_contact != other.do_not_contact);
        changed
    }

    /// Its email addresses, folded as uniqueness is decided.
    pub fn folded_emails(&self) -> Vec<String> {
        self.emails.iter().map(|e| e.address.folded()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::object;
    use serde_json::json;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn body() -> Value {
        json!({
            "customer_id": CustomerId::random().to_string(),
            "full_name": "Ioana Popescu", "role": "Head of purchasing",
            "emails": [{"address": "ioana@example.com", "label": "work"}],
            "phones": [{"number": "+40 712 345 679", "label": "mobile"}],
            "preferred_channel": "email",
            "consent": {"email": {"marketing": "opted_in", "source": "signed form"}},
        })
    }

    #[test]
    fn a_contact_is_read_with_every_problem_named() {
        let input = ContactInput::from_json(&object(body()), true).unwrap();
        assert_eq!(input.emails[0].label.as_deref(), Some("work"));
        assert_eq!(
            input.consent,
            vec![(Channel::Email, Marketing::OptedIn, "signed form".to_owned())]
        );
        let bad = json!({
            "full_name": "", "emails": [{"address": "nope"}, {"address": "a@example.com", "kind": 1}],
            "phones": "x", "preferred_channel": "pigeon", "do_not_contact": "yes",
            "consent": {"fax": {}, "sms": {"marketing": "maybe"}}, "version": 3, "colour": "red"
        });
        let errors = ContactInput::from_json(&object(bad), true).unwrap_err();
        assert_eq!(
            errors.fields(),
            vec![
                "version",
                "colour",
                "customer_id",
                "full_name",
                "preferred_channel",
                "emails[0].address",
                "emails[1].kind",
                "phones",
                "do_not_contact",
                "consent.fax",
                "consent.sms.marketing",
                "consent.sms.source"
            ]
        );
        let twice = json!({"customer_id": CustomerId::random().to_string(), "full_name": "A",
            "emails": [{"address": "A@example.com"}, {"address": "a@EXAMPLE.com"}]});
        assert_eq!(
            ContactInput::from_json(&object(twice), true).unwrap_err().fields(),
            vec!["emails"]
        );
        let replace = json!({"full_name": "A"});
        assert!(
            ContactInput::from_json(&object(replace), false).is_ok(),
            "a replace need not name the customer"
        );
    }

    #[test]
    fn consent_given_again_keeps_its_record_and_a_change_is_recorded_anew() {
        let created = ContactInput::from_json(&object(body()), true).unwrap().into_contact(
            CustomerId::random(),
            BusinessId::random(),
            "user:ana",
            at("2026-11-01T10:00:00Z"),
        );
        assert_eq!(created.version, 1);
        let recorded = created.consent.email.clone().unwrap();
        assert_eq!(
            (recorded.recorded_by.as_str(), recorded.recorded_at),
            ("user:ana", at("2026-11-01T10:00:00Z"))
        );
        let same = ContactInput::from_json(&object(body()), false).unwrap();
        let again = created.replaced(same, "user:bo", at("2026-11-02T10:00:00Z"));
        assert_eq!(again.consent, created.consent, "given as it was: kept");
        assert!(again.changed_fields(&created).is_empty());
        let mut out = body();
        out["consent"] = json!({"email": {"marketing": "opted_out", "source": "phone call"}, "sms": null});
        out["do_not_contact"] = json!(true);
        let withdrawn = again.replaced(
            ContactInput::from_json(&object(out), false).unwrap(),
            "user:bo",
            at("2026-11-03T10:00:00Z"),
        );
        let email = withdrawn.consent.email.clone().unwrap();
        assert_eq!(
            (email.marketing, email.recorded_by.as_str()),
            (Marketing::OptedOut, "user:bo")
        );
        assert_eq!(withdrawn.changed_fields(&again), vec!["consent", "do_not_contact"]);
        assert_eq!(withdrawn.version, 3);
    }
}
