//! A customer's portfolio profile: what the platform's portfolio services
//! keep about the organisation behind a customer. The SME portfolio keeps
//! the profile of SME customers, the institution portfolio that of
//! institutions; each may change only the fields it owns, and the API shows
//! the profile but never writes it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::customer::{Customer, CustomerType};
use crate::text::one_line;
use crate::time::Timestamp;
use crate::validation::{ObjectReader, PatchValue, ValidationErrors, whole_number};

/// Longest legal name and supervisor name.
pub const NAME_MAX_CHARS: usize = 200;
/// Longest sector and institution kind.
pub const LABEL_MAX_CHARS: usize = 100;
/// Longest registration number.
pub const REGISTRATION_MAX_CHARS: usize = 64;
/// Most employees an SME may report.
pub const EMPLOYEES_MAX: i64 = 10_000_000;

/// Why a body that names `portfolio` is refused on the API.
pub const NOT_WRITABLE_HERE: &str = "is kept by the customer's portfolio service and cannot be written here";

/// The portfolio profile of a customer; every field is absent until its
/// portfolio sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Portfolio {
    /// The organisation's registered name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<String>,
    /// Its number in the register of companies or institutions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_number: Option<String>,
    /// An SME's sector of activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// An SME's head count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_count: Option<u32>,
    /// What kind of institution it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution_kind: Option<String>,
    /// The authority that supervises an institution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor: Option<String>,
    /// When the profile last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
}

impl Portfolio {
    /// Whether nothing is set: the profile is then not stored.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One of the platform's two portfolio services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortfolioService {
    /// The SME portfolio: SME customers.
    Sme,
    /// The institution portfolio: institutions.
    Institution,
}

impl PortfolioService {
    /// The service whose update this detail-type is, if any.
    pub fn of_detail_type(detail_type: &str) -> Option<Self> {
        [Self::Sme, Self::Institution]
            .into_iter()
            .find(|service| service.detail_type() == detail_type)
    }

    /// The detail-type of its updates.
    pub fn detail_type(self) -> &'static str {
        match self {
            Self::Sme => "portfolio-sme.customer.update",
            Self::Institution => "portfolio-institution.customer.update",
        }
    }

    /// The customers whose profile it keeps.
    pub fn customer_type(self) -> CustomerType {
        match self {
            Self::Sme => CustomerType::Sme,
            Self::Institution => CustomerType::Institution,
        }
    }

    /// The fields it owns: the only ones it may change.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Sme => &["legal_name", "registration_number", "sector", "employee_count"],
            Self::Institution => &["legal_name", "registration_number", "institution_kind", "supervisor"],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Sme => "the SME portfolio",
            Self::Institution => "the institution portfolio",
        }
    }
}

/// A registration number: trimmed, 1 to 64 letters, digits, spaces, `-`,
/// `.` or `/`, starting with a letter or a digit.
fn registration_number(text: &str) -> Result<String, String> {
    let t = text.trim();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '/');
    if t.is_empty()
        || t.chars().count() > REGISTRATION_MAX_CHARS
        || !t.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !t.chars().all(allowed)
    {
        return Err(format!(
            "must be 1 to {REGISTRATION_MAX_CHARS} letters, digits, spaces, '-', '.' or '/', starting with a letter or a digit"
        ));
    }
    Ok(t.to_owned())
}

/// A change of a portfolio profile by the service that keeps it: a JSON
/// merge patch of the fields it owns (`null` removes one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortfolioPatch {
    service: PortfolioService,
    legal_name: PatchValue<String>,
    registration_number: PatchValue<String>,
    sector: PatchValue<String>,
    employee_count: PatchValue<u32>,
    institution_kind: PatchValue<String>,
    supervisor: PatchValue<String>,
}

impl PortfolioPatch {
    /// Reads `changes` from `service`: at least one field, each one it owns,
    /// every offending field reported.
    pub fn from_json(service: PortfolioService, changes: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if changes.is_empty() {
            errors.push("", format!("must name one of: {}", service.fields().join(", ")));
        }
        for field in changes.keys().filter(|k| !service.fields().contains(&k.as_str())) {
            errors.push(
                field,
                format!(
                    "is not {}'s to change: it owns {}",
                    service.name(),
                    service.fields().join(", ")
                ),
            );
        }
        let mut reader = ObjectReader::new(changes);
        let owned = |field: &str| service.fields().contains(&field);
        let mut text = |field: &str, max: usize| {
            if owned(field) {
                reader.patch(field, |t| one_line(t, max))
            } else {
                PatchValue::Absent
            }
        };
        let legal_name = text("legal_name", NAME_MAX_CHARS);
        let sector = text("sector", LABEL_MAX_CHARS);
        let institution_kind = text("institution_kind", LABEL_MAX_CHARS);
        let supervisor = text("supervisor", NAME_MAX_CHARS);
        let registration_number = reader.patch("registration_number", registration_number);
        errors.extend(reader.finish());
        let employee_count = match changes.get("employee_count") {
            Some(_) if !owned("employee_count") => PatchValue::Absent,
            None => PatchValue::Absent,
            Some(Value::Null) => PatchValue::Remove,
            Some(value) => match whole_number(value).filter(|n| (0..=EMPLOYEES_MAX).contains(n)) {
                Some(n) => PatchValue::Set(u32::try_from(n).unwrap_or(u32::MAX)),
                None => {
                    errors.push(
                        "employee_count",
                        format!("must be a whole number from 0 to {EMPLOYEES_MAX}"),
                    );
                    PatchValue::Absent
                }
            },
        };
        errors.into_result(|| {
            Some(Self {
                service,
                legal_name,
                registration_number,
                sector,
                employee_count,
                institution_kind,
                supervisor,
            })
        })
    }

    /// The service the change comes from.
    pub fn service(&self) -> PortfolioService {
        self.service
    }

    /// The customer with the change applied at `now`, and the names of the
    /// fields that changed (none: the customer as it was).
    pub fn apply(&self, customer: &Customer, now: Timestamp) -> (Customer, Vec<&'static str>) {
        fn put<T: Clone + PartialEq>(
            slot: &mut Option<T>,
            change: &PatchValue<T>,
            name: &'static str,
            changed: &mut Vec<&'static str>,
        ) {
            let next = match change {
                PatchValue::Absent => return,
                PatchValue::Remove => None,
                PatchValue::Set(value) => Some(value.clone()),
            };
            if *slot != next {
                *slot = next;
                changed.push(name);
            }
        }
        let mut next = customer.clone();
        let mut changed = Vec::new();
        let profile = &mut next.portfolio;
        put(&mut profile.legal_name, &self.legal_name, "legal_name", &mut changed);
        put(
            &mut profile.registration_number,
            &self.registration_number,
            "registration_number",
            &mut changed,
        );
        put(&mut profile.sector, &self.sector, "sector", &mut changed);
        put(
            &mut profile.employee_count,
            &self.employee_count,
            "employee_count",
            &mut changed,
        );
        put(
            &mut profile.institution_kind,
            &self.institution_kind,
            "institution_kind",
            &mut changed,
        );
        put(&mut profile.supervisor, &self.supervisor, "supervisor", &mut changed);
        if changed.is_empty() {
            return (customer.clone(), changed);
        }
        next.portfolio.updated_at = Some(now);
        next.updated_at = now;
        next.version = customer.version + 1;
        (next, changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::NewCustomer;
    use crate::id::BusinessId;
    use crate::test_support::object;
    use serde_json::json;

    fn customer(customer_type: &str) -> Customer {
        NewCustomer::from_json(&object(json!({
            "user_id": "123e4567-e89b-12d3-a456-426614174000",
            "full_name": "Ana Popescu",
            "email": "ana@example.com",
            "gender": "female",
            "customer_type": customer_type,
        })))
        .unwrap()
        .into_customer(BusinessId::random(), Timestamp::parse("2026-01-01T00:00:00Z").unwrap())
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-02-01T00:00:00Z").unwrap()
    }

    #[test]
    fn each_portfolio_changes_only_the_fields_it_owns() {
        let sme = PortfolioPatch::from_json(
            PortfolioService::Sme,
            &object(json!({"legal_name": " Popescu Consulting SRL ", "employee_count": 12.0,
                "registration_number": "J40/1234/2020"})),
        )
        .unwrap();
        let (after, changed) = sme.apply(&customer("sme"), now());
        assert_eq!(changed, vec!["legal_name", "registration_number", "employee_count"]);
        assert_eq!(after.portfolio.legal_name.as_deref(), Some("Popescu Consulting SRL"));
        assert_eq!(after.portfolio.employee_count, Some(12));
        assert_eq!((after.portfolio.updated_at, after.version), (Some(now()), 2));

        let errors = PortfolioPatch::from_json(
            PortfolioService::Sme,
            &object(json!({"supervisor": "A bank", "email": "x@example.com", "sector": ""})),
        )
        .unwrap_err();
        assert_eq!(errors.fields(), vec!["email", "supervisor", "sector"]);
        let errors = PortfolioPatch::from_json(
            PortfolioService::Institution,
            &object(json!({"employee_count": 3, "registration_number": "-12", "legal_name": 7})),
        )
        .unwrap_err();
        assert_eq!(
            errors.fields(),
            vec!["employee_count", "legal_name", "registration_number"]
        );
        assert_eq!(
            PortfolioPatch::from_json(PortfolioService::Institution, &Map::new())
                .unwrap_err()
                .fields(),
            vec![""]
        );
    }

    #[test]
    fn a_change_to_the_same_values_changes_nothing_and_null_removes() {
        let set = PortfolioPatch::from_json(
            PortfolioService::Institution,
            &object(json!({"institution_kind": "microfinance institution", "supervisor": "National Bank"})),
        )
        .unwrap();
        let (once, _) = set.apply(&customer("institution"), now());
        let (again, changed) = set.apply(&once, now());
        assert!(changed.is_empty());
        assert_eq!(again, once);
        let remove =
            PortfolioPatch::from_json(PortfolioService::Institution, &object(json!({"supervisor": null}))).unwrap();
        let (removed, changed) = remove.apply(&once, now());
        assert_eq!(changed, vec!["supervisor"]);
        assert_eq!(removed.portfolio.supervisor, None);
        assert_eq!(
            removed.portfolio.institution_kind.as_deref(),
            Some("microfinance institution")
        );
        let too_many = PortfolioPatch::from_json(
            PortfolioService::Sme,
            &object(json!({"employee_count": EMPLOYEES_MAX + 1})),
        );
        assert_eq!(too_many.unwrap_err().fields(), vec!["employee_count"]);
    }

    #[test]
    fn the_detail_types_name_their_portfolio_and_customer_type() {
        assert_eq!(
            PortfolioService::of_detail_type("portfolio-sme.customer.update"),
            Some(PortfolioService::Sme)
        );
        assert_eq!(
            PortfolioService::of_detail_type("portfolio-institution.customer.update")
                .map(PortfolioService::customer_type),
            Some(CustomerType::Institution)
        );
        assert_eq!(PortfolioService::of_detail_type("customer.update.request"), None);
        assert!(Portfolio::default().is_empty());
    }
}
