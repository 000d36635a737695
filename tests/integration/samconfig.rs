//! samconfig.toml: every environment deploys the template with parameters
//! it has, valid as the template constrains them.

use clientele_tests::cloudformation::Deployed;
use clientele_tests::services::project_root;

#[test]
fn every_environment_overrides_only_parameters_the_template_has() {
    let text = std::fs::read_to_string(project_root().join("samconfig.toml")).unwrap();
    let mut environments = Vec::new();
    for line in text.lines() {
        if let Some(section) = line
            .strip_prefix('[')
            .and_then(|l| l.strip_suffix(".deploy.parameters]"))
        {
            environments.push(section.to_owned());
        }
        let Some(overrides) = line
            .strip_prefix("parameter_overrides = \"")
            .and_then(|l| l.strip_suffix('"'))
        else {
            continue;
        };
        let pairs: Vec<(&str, &str)> = overrides
            .split_whitespace()
            .map(|pair| pair.split_once('=').expect("Name=value"))
            .collect();
        // Panics naming any parameter the template does not have.
        let deployed = Deployed::template(&pairs);
        for (name, value) in &pairs {
            if *name == "TableDeletionProtection" {
                assert!(["true", "false"].contains(value));
                let protected = deployed.properties("CustomersTable")["DeletionProtectionEnabled"].clone();
                assert_eq!(protected.as_bool().map(|b| b.to_string()).as_deref(), Some(*value));
            }
            if name.ends_with("Days") {
                assert!(value.parse::<u32>().is_ok_and(|days| days >= 1), "{name}={value}");
            }
        }
    }
    assert_eq!(environments, ["default", "staging", "production"]);
}
