//! The template as CloudFormation would deploy it, for tests that evaluate
//! what it says rather than grep it: intrinsic functions (`!Ref`, `!GetAtt`,
//! `!Sub`, `!Join`, `!If` with the template's conditions) resolved for a set
//! of parameter values, and IAM policy statements evaluated against a
//! request, as far as the template's statements use IAM's policy language.
//!
//! Pseudo parameters resolve to a fixed account and region; a resource's
//! `!Ref` is its logical id and its `!GetAtt X.Arn` an ARN built from the
//! logical id, so that tests can name the ARN they expect.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use serde_norway::Value as Yaml;

use crate::services::project_root;

/// The account the resolved template is deployed in.
pub const ACCOUNT: &str = "123456789012";
/// Its region.
pub const REGION: &str = "us-east-1";
/// Its stack name.
pub const STACK: &str = "clientele";

/// The template, resolved for some parameter values.
#[derive(Debug, Clone)]
pub struct Deployed {
    document: Yaml,
    parameters: BTreeMap<String, Value>,
}

impl Deployed {
    /// `infra/template.yaml` with `overrides` for its parameters (the rest
    /// take their defaults).
    pub fn template(overrides: &[(&str, &str)]) -> Self {
        let text = std::fs::read_to_string(project_root().join("infra/template.yaml")).expect("the template");
        let document: Yaml = serde_norway::from_str(&text).expect("YAML");
        let mut parameters = BTreeMap::new();
        if let Some(declared) = document.get("Parameters").and_then(Yaml::as_mapping) {
            for (name, declaration) in declared {
                let name = name.as_str().expect("a parameter name").to_owned();
                let given = overrides.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned());
                let default = declaration.get("Default").map(scalar);
                let Some(text) = given.or(default) else { continue };
                let list = declaration.get("Type").and_then(Yaml::as_str) == Some("CommaDelimitedList");
                let value = if list {
                    Value::Array(text.split(',').map(|s| Value::String(s.trim().to_owned())).collect())
                } else {
                    Value::String(text)
                };
                parameters.insert(name, value);
            }
        }
        for (name, _) in overrides {
            assert!(parameters.contains_key(*name), "the template has no parameter {name}");
        }
        Self { document, parameters }
    }

    /// A resource's properties, resolved.
    pub fn properties(&self, logical_id: &str) -> Value {
        let resource = self
            .document
            .get("Resources")
            .and_then(|r| r.get(logical_id))
            .unwrap_or_else(|| panic!("no resource {logical_id}"));
        self.resolve(resource.get("Properties").unwrap_or(&Yaml::Null))
            .unwrap_or(Value::Null)
    }

    /// The template's `Globals`, resolved: what SAM gives every function.
    pub fn globals(&self) -> Value {
        self.resolve(self.document.get("Globals").unwrap_or(&Yaml::Null))
            .unwrap_or(Value::Null)
    }

    /// The statements of a function's inline policies, resolved: SAM's
    /// `Policies`, or those of the template's own role it names (`Role`).
    pub fn function_statements(&self, logical_id: &str) -> Vec<Value> {
        let properties = self.properties(logical_id);
        let statements = |policies: &Value, document: &str| -> Vec<Value> {
            policies
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|policy| {
                    let document = if document.is_empty() { policy } else { &policy[document] };
                    document["Statement"].as_array().cloned().unwrap_or_default()
                })
                .collect()
        };
        let mut found = statements(&properties["Policies"], "");
        if let Some(role) = properties["Role"].as_str().and_then(|arn| arn.rsplit('/').next()) {
            found.extend(statements(&self.properties(role)["Policies"], "PolicyDocument"));
        }
        found
    }

    /// The logical ids of the template's functions.
    pub fn functions(&self) -> Vec<String> {
        let resources = self.document.get("Resources").and_then(Yaml::as_mapping);
        resources
            .into_iter()
            .flatten()
            .filter(|(_, r)| r.get("Type").and_then(Yaml::as_str) == Some("AWS::Serverless::Function"))
            .filter_map(|(id, _)| id.as_str().map(str::to_owned))
            .collect()
    }

    /// The ARN CloudFormation would give a resource, as `!GetAtt` resolves it.
    pub fn arn(&self, logical_id: &str) -> String {
        self.get_att(logical_id, "Arn")
    }

    fn condition(&self, name: &str) -> bool {
        let condition = self
            .document
            .get("Conditions")
            .and_then(|c| c.get(name))
            .unwrap_or_else(|| panic!("no condition {name}"));
        self.truth(condition)
    }

    fn truth(&self, value: &Yaml) -> bool {
        let Yaml::Tagged(tagged) = value else {
            panic!("not a condition: {value:?}")
        };
        let args = tagged.value.as_sequence();
        let arg = |n: usize| args.and_then(|a| a.get(n)).expect("an argument");
        if tagged.tag == "Equals" {
            self.resolve(arg(0)) == self.resolve(arg(1))
        } else if tagged.tag == "Not" {
            !self.truth(arg(0))
        } else if tagged.tag == "And" {
            args.into_iter().flatten().all(|a| self.truth(a))
        } else if tagged.tag == "Or" {
            args.into_iter().flatten().any(|a| self.truth(a))
        } else if tagged.tag == "Condition" {
            self.condition(tagged.value.as_str().expect("a condition's name"))
        } else {
            panic!("{} is not a condition function", tagged.tag)
        }
    }

    fn get_att(&self, logical_id: &str, attribute: &str) -> String {
        let kind = self
            .document
            .get("Resources")
            .and_then(|r| r.get(logical_id))
            .and_then(|r| r.get("Type"))
            .and_then(Yaml::as_str)
            .unwrap_or(if logical_id.ends_with("Role") {
                "AWS::IAM::Role"
            } else {
                "Generated"
            });
        let base = match kind {
            "AWS::IAM::Role" => format!("arn:aws:iam::{ACCOUNT}:role/{logical_id}"),
            "AWS::DynamoDB::Table" => format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{logical_id}"),
            "AWS::Events::EventBus" => format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{STACK}-customers"),
            "AWS::SQS::Queue" => format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{logical_id}"),
            "AWS::S3::Bucket" => format!("arn:aws:s3:::{logical_id}"),
            "AWS::SecretsManager::Secret" => format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{logical_id}"),
            "AWS::Serverless::Function" => format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}"),
            _ => format!("arn:aws:generated:{REGION}:{ACCOUNT}:{logical_id}"),
        };
        match attribute {
            "Arn" => base,
            "StreamArn" => format!("{base}/stream/2026-01-01T00:00:00.000"),
            other => format!("{base}#{other}"),
        }
    }

    fn reference(&self, name: &str) -> Option<Value> {
        let text = match name {
            "AWS::NoValue" => return None,
            "AWS::Region" => REGION,
            "AWS::AccountId" => ACCOUNT,
            "AWS::Partition" => "aws",
            "AWS::StackName" => STACK,
            "AWS::URLSuffix" => "amazonaws.com",
            other => match self.parameters.get(other) {
                Some(value) => return Some(value.clone()),
                None => other,
            },
        };
        Some(Value::String(text.to_owned()))
    }

    fn substitute(&self, text: &str, variables: &Map<String, Value>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').expect("a closed ${...}") + start;
            let name = &rest[start + 2..end];
            let value = match variables.get(name) {
                Some(value) => value.clone(),
                None => match name.split_once('.') {
                    Some((resource, attribute)) => Value::String(self.get_att(resource, attribute)),
                    None => self.reference(name).unwrap_or_default(),
                },
            };
            out.push_str(value.as_str().unwrap_or_default());
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// A value with its intrinsic functions resolved; `None` for `AWS::NoValue`.
    fn resolve(&self, value: &Yaml) -> Option<Value> {
        Some(match value {
            Yaml::Null => Value::Null,
            Yaml::Bool(b) => Value::Bool(*b),
            Yaml::Number(n) => serde_json::to_value(n).unwrap_or(Value::Null),
            Yaml::String(s) => Value::String(s.clone()),
            Yaml::Sequence(items) => Value::Array(items.iter().filter_map(|v| self.resolve(v)).collect()),
            Yaml::Mapping(map) => Value::Object(
                map.iter()
                    .filter_map(|(k, v)| Some((scalar(k), self.resolve(v)?)))
                    .collect(),
            ),
            Yaml::Tagged(tagged) => {
                let args = tagged.value.as_sequence();
                let arg = |n: usize| args.and_then(|a| a.get(n)).expect("an argument");
                if tagged.tag == "Ref" {
                    return self.reference(tagged.value.as_str().expect("a name"));
                } else if tagged.tag == "GetAtt" {
                    let path = tagged.value.as_str().expect("Resource.Attribute");
                    let (resource, attribute) = path.split_once('.').expect("Resource.Attribute");
                    Value::String(self.get_att(resource, attribute))
                } else if tagged.tag == "Sub" {
                    match &tagged.value {
                        Yaml::String(text) => Value::String(self.substitute(text, &Map::new())),
                        _ => {
                            let variables = self.resolve(arg(1)).and_then(|v| v.as_object().cloned());
                            let text = arg(0).as_str().expect("a string to substitute in");
                            Value::String(self.substitute(text, &variables.unwrap_or_default()))
                        }
                    }
                } else if tagged.tag == "Join" {
                    let separator = arg(0).as_str().unwrap_or_default();
                    let parts = self.resolve(arg(1)).unwrap_or(Value::Null);
                    let parts: Vec<String> = parts
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| p.as_str().unwrap_or_default().to_owned())
                        .collect();
                    Value::String(parts.join(separator))
                } else if tagged.tag == "If" {
                    let name = arg(0).as_str().expect("a condition's name");
                    return self.resolve(if self.condition(name) { arg(1) } else { arg(2) });
                } else {
                    panic!("{} is not resolved here", tagged.tag)
                }
            }
        })
    }
}

fn scalar(value: &Yaml) -> String {
    match value {
        Yaml::String(s) => s.clone(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Number(n) => n.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// One request, as IAM sees it: who, what, on which resource, with which
/// condition keys. A key may have several values (`dynamodb:LeadingKeys`).
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The calling principal's ARN (`aws:PrincipalArn`).
    pub principal: String,
    /// The action, like `events:PutEvents`.
    pub action: String,
    /// The resource's ARN.
    pub resource: String,
    /// The condition keys' values.
    pub context: BTreeMap<String, Vec<String>>,
}

impl Request {
    /// A request with no condition keys but the principal's ARN.
    pub fn new(principal: &str, action: &str, resource: &str) -> Self {
        let mut context = BTreeMap::new();
        context.insert("aws:PrincipalArn".to_owned(), vec![principal.to_owned()]);
        Self {
            principal: principal.to_owned(),
            action: action.to_owned(),
            resource: resource.to_owned(),
            context,
        }
    }

    /// Adds a condition key's values.
    pub fn with(mut self, key: &str, values: &[&str]) -> Self {
        self.context
            .insert(key.to_owned(), values.iter().map(|v| (*v).to_owned()).collect());
        self
    }
}

/// Whether IAM's wildcard pattern (`*`, `?`) matches `text`.
pub fn like(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(&pattern.chars().collect::<Vec<_>>(), &text.chars().collect::<Vec<_>>())
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect(),
        Value::Bool(b) => vec![b.to_string()],
        _ => Vec::new(),
    }
}

/// Whether one condition block holds for a request. Operators: the
/// `String`/`Arn` families (`Equals`, `NotEquals`, `Like`, `NotLike`), with
/// `ForAllValues:` and `ForAnyValue:` qualifiers, `Bool` and `Null`. A key absent
/// from the request fails a positive operator and passes a negative one, as
/// in IAM.
pub fn conditions_hold(conditions: &Value, request: &Request) -> bool {
    let Some(blocks) = conditions.as_object() else {
        return true;
    };
    blocks.iter().all(|(operator, keys)| {
        if operator == "Null" {
            // `"false"`: the key must be present; `"true"`: absent.
            return keys.as_object().into_iter().flatten().all(|(key, expected)| {
                let absent = request.context.get(key).is_none_or(Vec::is_empty);
                strings(expected).iter().all(|e| (e == "true") == absent)
            });
        }
        let (qualifier, operator) = match operator.split_once(':') {
            Some((q, op)) => (Some(q), op),
            None => (None, operator.as_str()),
        };
        keys.as_object().into_iter().flatten().all(|(key, expected)| {
            let expected = strings(expected);
            let actual = request.context.get(key).cloned().unwrap_or_default();
            let matches_one = |value: &str| -> bool {
                match operator {
                    "StringEquals" | "ArnEquals" | "Bool" | "StringNotEquals" | "ArnNotEquals" => {
                        expected.iter().any(|e| e == value)
                    }
                    "StringLike" | "ArnLike" | "StringNotLike" | "ArnNotLike" => {
                        expected.iter().any(|e| like(e, value))
                    }
                    other => panic!("the condition operator {other} is not evaluated here"),
                }
            };
            let negative = operator.contains("Not");
            match qualifier {
                Some("ForAllValues") => actual.iter().all(|v| matches_one(v) != negative),
                Some("ForAnyValue") => actual.iter().any(|v| matches_one(v) != negative),
                Some(other) => panic!("the qualifier {other} is not evaluated here"),
                None if actual.is_empty() => negative,
                None => actual.iter().any(|v| matches_one(v)) != negative,
            }
        })
    })
}

/// Whether a statement applies to a request: its action, resource and
/// conditions (its principal is taken to match).
pub fn applies(statement: &Value, request: &Request) -> bool {
    let actions = strings(&statement["Action"]);
    let resources = strings(&statement["Resource"]);
    actions.iter().any(|a| like(a, &request.action))
        && resources.iter().any(|r| like(r, &request.resource))
        && conditions_hold(&statement["Condition"], request)
}

/// IAM's verdict over a set of statements: an explicit Deny wins, then an
/// Allow, else the implicit deny.
pub fn allowed(statements: &[Value], request: &Request) -> bool {
    let matching: Vec<&Value> = statements.iter().filter(|s| applies(s, request)).collect();
    !matching.iter().any(|s| s["Effect"] == "Deny") && matching.iter().any(|s| s["Effect"] == "Allow")
}

/// Whether any statement explicitly denies the request.
pub fn denied(statements: &[Value], request: &Request) -> bool {
    statements.iter().any(|s| s["Effect"] == "Deny" && applies(s, request))
}
