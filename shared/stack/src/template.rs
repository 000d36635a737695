//! The parts of `infra/template.yaml` the local stack is made from. The
//! template is compiled in, so the CLI and the tests always use the same one.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_norway::Value;

use crate::StackError;

/// Where `cargo lambda watch` sends what no route matches, as API Gateway's
/// `$default` route does.
pub const CATCH_ALL: &str = "/{*path}";

/// The project's template, as built.
pub const TEMPLATE: &str = include_str!("../../../infra/template.yaml");

/// The table resource's type.
pub const TABLE_TYPE: &str = "AWS::DynamoDB::Table";
/// The event bus resource's type.
pub const EVENT_BUS_TYPE: &str = "AWS::Events::EventBus";
/// The secret resource's type.
pub const SECRET_TYPE: &str = "AWS::SecretsManager::Secret";
/// The bucket resource's type.
pub const BUCKET_TYPE: &str = "AWS::S3::Bucket";

/// One attribute's type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    /// Its name.
    pub attribute_name: String,
    /// `S`, `N` or `B`.
    pub attribute_type: String,
}

/// One key attribute.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyElement {
    /// Its name.
    pub attribute_name: String,
    /// `HASH` or `RANGE`.
    pub key_type: String,
}

/// What an index copies.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Projection {
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: String,
}

/// A global secondary index.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndex {
    /// Its name.
    pub index_name: String,
    /// Its keys.
    pub key_schema: Vec<KeyElement>,
    /// What it copies.
    pub projection: Projection,
}

/// The table's stream.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpecification {
    /// What each record holds.
    pub stream_view_type: String,
}

/// The table's TTL attribute.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeToLive {
    /// The attribute holding the expiry time.
    pub attribute_name: String,
    /// Whether TTL is on.
    pub enabled: bool,
}

/// The table, as the template defines it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDefinition {
    /// Every key attribute's type.
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// The primary key.
    pub key_schema: Vec<KeyElement>,
    /// The indexes.
    #[serde(default)]
    pub global_secondary_indexes: Vec<GlobalSecondaryIndex>,
    /// The stream.
    pub stream_specification: Option<StreamSpecification>,
    /// TTL.
    pub time_to_live_specification: Option<TimeToLive>,
}

/// A Lambda function of the template: its resource, the workspace binary it
/// is built from, and the HTTP API routes that reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDefinition {
    /// The resource's logical id.
    pub resource: String,
    /// The binary (`Metadata.BuildProperties.Binary`).
    pub binary: String,
    /// `(method, path)` of each `HttpApi` event.
    pub routes: Vec<(String, String)>,
    /// Whether a `DynamoDB` event hands it the table's stream.
    pub reads_stream: bool,
}

/// The parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    document: Value,
}

impl Template {
    /// The project's template.
    pub fn bundled() -> Result<Self, StackError> {
        Self::parse(TEMPLATE)
    }

    /// A template from its text. CloudFormation's short-form tags (`!Ref`, ...)
    /// are kept as tagged values and never interpreted.
    pub fn parse(text: &str) -> Result<Self, StackError> {
        let document = serde_norway::from_str(text).map_err(|e| StackError::Template(e.to_string()))?;
        Ok(Self { document })
    }

    /// The logical ids and bodies of every resource of a type.
    pub fn resources_of_type(&self, resource_type: &str) -> Vec<(String, &Value)> {
        let Some(resources) = self.document.get("Resources").and_then(Value::as_mapping) else {
            return Vec::new();
        };
        resources
            .iter()
            .filter(|(_, body)| body.get("Type").and_then(Value::as_str) == Some(resource_type))
            .filter_map(|(id, body)| Some((id.as_str()?.to_owned(), body)))
            .collect()
    }

    /// The one resource of a type.
    fn only(&self, resource_type: &str) -> Result<&Value, StackError> {
        match self.resources_of_type(resource_type).as_slice() {
            [(_, body)] => Ok(body),
            found => Err(StackError::Template(format!(
                "expected exactly one {resource_type}, found {}",
                found.len()
            ))),
        }
    }

    /// The table's definition.
    pub fn table(&self) -> Result<TableDefinition, StackError> {
        let properties = self
            .only(TABLE_TYPE)?
            .get("Properties")
            .cloned()
            .ok_or_else(|| StackError::Template("the table has no Properties".into()))?;
        serde_norway::from_value(properties).map_err(|e| StackError::Template(format!("the table: {e}")))
    }

    /// Every `AWS::Serverless::Function`, with its binary and routes.
    pub fn functions(&self) -> Vec<FunctionDefinition> {
        let text = |value: &Value, path: &[&str]| -> Option<String> {
            let mut at = value;
            for key in path {
                at = at.get(*key)?;
            }
            at.as_str().map(str::to_owned)
        };
        self.resources_of_type("AWS::Serverless::Function")
            .into_iter()
            .map(|(resource, body)| {
                let events = body
                    .get("Properties")
                    .and_then(|p| p.get("Events"))
                    .and_then(Value::as_mapping);
                let routes = events
                    .into_iter()
                    .flat_map(|events| events.values())
                    .filter(|event| event.get("Type").and_then(Value::as_str) == Some("HttpApi"))
                    .filter_map(|event| {
                        Some((
                            text(event, &["Properties", "Method"])?,
                            text(event, &["Properties", "Path"])?,
                        ))
                    })
                    .collect();
                let reads_stream = events
                    .into_iter()
                    .flat_map(|events| events.values())
                    .any(|event| event.get("Type").and_then(Value::as_str) == Some("DynamoDB"));
                FunctionDefinition {
                    binary: text(body, &["Metadata", "BuildProperties", "Binary"]).unwrap_or_default(),
                    resource,
                    routes,
                    reads_stream,
                }
            })
            .collect()
    }

    /// What `cargo lambda watch` routes where, as API Gateway does: each
    /// route's path to its function's binary, and the catch-all (`$default`,
    /// `/{*path}` locally) to the function that has it. Path → binary.
    pub fn watch_router(&self) -> BTreeMap<String, String> {
        let mut router = BTreeMap::new();
        for function in self.functions() {
            for (_, path) in function.routes {
                let path = if path == "$default" { CATCH_ALL.to_owned() } else { path };
                router.insert(path, function.binary.clone());
            }
        }
        router
    }

    /// [`Template::watch_router`] as cargo-lambda's configuration file
    /// (`cargo lambda watch --global <file>`).
    pub fn watch_router_toml(&self) -> String {
        let mut text = String::from(
            "# Written by `clientele local-router` from infra/template.yaml: edit the template, not this.\n[watch.router]\n",
        );
        for (path, binary) in self.watch_router() {
            text.push_str(&format!("{path:?} = {binary:?}\n"));
        }
        text
    }

    /// Whether the template defines an event bus.
    pub fn has_event_bus(&self) -> bool {
        self.only(EVENT_BUS_TYPE).is_ok()
    }

    /// Whether the template defines the signing secret.
    pub fn has_secret(&self) -> bool {
        self.only(SECRET_TYPE).is_ok()
    }

    /// Whether the template defines the avatar bucket.
    pub fn has_bucket(&self) -> bool {
        self.only(BUCKET_TYPE).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_template_defines_the_table_bus_and_secret() {
        let template = Template::bundled().unwrap();
        let table = template.table().unwrap();
        assert_eq!(table.key_schema[0].attribute_name, "pk");
        assert_eq!(table.global_secondary_indexes.len(), 4);
        assert_eq!(
            table.stream_specification.map(|s| s.stream_view_type).as_deref(),
            Some("NEW_AND_OLD_IMAGES")
        );
        assert_eq!(
            table.time_to_live_specification.map(|t| t.attribute_name).as_deref(),
            Some("expires_at")
        );
        assert!(template.has_event_bus());
        assert!(template.has_secret());
        assert!(template.has_bucket());
    }

    #[test]
    fn every_key_attribute_is_defined() {
        let table = Template::bundled().unwrap().table().unwrap();
        let defined: Vec<&str> = table
            .attribute_definitions
            .iter()
            .map(|a| a.attribute_name.as_str())
            .collect();
        let used = table
            .key_schema
            .iter()
            .chain(table.global_secondary_indexes.iter().flat_map(|i| &i.key_schema));
        for key in used {
            assert!(
                defined.contains(&key.attribute_name.as_str()),
                "{} is not defined",
                key.attribute_name
            );
        }
    }

    #[test]
    fn a_template_without_a_table_says_so() {
        let template = Template::parse("Resources: {}").unwrap();
        assert!(template.table().unwrap_err().to_string().contains("exactly one"));
    }
}
