//! The contract: the served document is the committed one and is sound, and
//! every response the tests see matches its schema for that status.

use std::sync::OnceLock;

use serde_json::{Value, json};

fn contract() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let text = include_str!("../../../../api/openapi.yaml");
        serde_norway::from_str(text).expect("api/openapi.yaml is YAML")
    })
}

/// Follows a local `$ref` (`#/a/b`).
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').expect("local refs only");
            resolve(
                doc,
                doc.pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling $ref {reference}")),
            )
        }
        None => value,
    }
}

/// The contract's path template matching a concrete path.
fn template_for(path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let concrete: Vec<&str> = path.split('/').collect();
    contract()["paths"]
        .as_object()?
        .keys()
        .find(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == concrete.len()
                && parts
                    .iter()
                    .zip(&concrete)
                    .all(|(t, c)| t.starts_with('{') || t == c)
        })
        .cloned()
}

fn validate(schema: &Value, instance: &Value) -> Result<(), String> {
    let mut root = json!({"$schema": "https://json-schema.org/draft/2020-12/schema"});
    root["components"] = contract()["components"].clone();
    for (k, v) in schema.as_object().expect("schema object") {
        root[k] = v.clone();
    }
    let validator =
        jsonschema::validator_for(&root).map_err(|e| format!("schema does not compile: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Panics unless `body` is what the contract documents for this call.
pub fn check_response(method: &str, path: &str, status: u16, body: &Value) {
    let doc = contract();
    let Some(template) = template_for(path) else {
        assert_eq!(
            status, 404,
            "{method} {path}: undocumented paths must be 404"
        );
        return;
    };
    let Some(operation) = doc["paths"][&template].get(method.to_lowercase()) else {
        assert_eq!(
            status, 405,
            "{method} {path}: undocumented methods must be 405"
        );
        return;
    };
    let response = operation["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| panic!("{method} {template} answered {status}, which the contract does not document: {body}"));
    let response = resolve(doc, response);
    let content = response["content"].as_object().expect("documented content");
    let (_, media) = content.iter().next().expect("one media type");
    validate(&media["schema"], body).unwrap_or_else(|e| {
        panic!("{method} {template} {status} does not match the contract: {e}\n{body}")
    });
}

#[test]
fn the_served_document_is_the_committed_contract() {
    let provider = crate::support::Provider::start(None);
    let served = ureq::get(format!("{}/v1/openapi.yaml", provider.base))
        .call()
        .expect("served")
        .body_mut()
        .read_to_string()
        .expect("text");
    assert_eq!(served, include_str!("../../../../api/openapi.yaml"));
}

#[test]
fn every_reference_resolves_and_every_schema_compiles() {
    let doc = contract();
    assert_eq!(doc["openapi"], "3.1.0");
    fn walk(doc: &Value, value: &Value, refs: &mut usize) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    let pointer = reference.strip_prefix('#').expect("local");
                    assert!(doc.pointer(pointer).is_some(), "dangling {reference}");
                    *refs += 1;
                }
                map.values().for_each(|v| walk(doc, v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(doc, v, refs)),
            _ => {}
        }
    }
    let mut refs = 0;
    walk(doc, doc, &mut refs);
    assert!(refs > 20, "the contract reuses components");
    for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
        let own = json!({"$ref": format!("#/components/schemas/{name}")});
        validate(&own, &Value::Null)
            .map(|_| ())
            .or_else(|e| {
                if e.starts_with("schema does not compile") {
                    Err(e)
                } else {
                    Ok(())
                }
            })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Some(example) = schema
            .get("example")
            .or_else(|| schema.get("examples").and_then(|e| e.get(0)))
        {
            validate(&own, example)
                .unwrap_or_else(|e| panic!("the example of {name} is invalid: {e}"));
        }
    }
}

#[test]
fn a_response_with_an_extra_or_missing_field_is_caught() {
    // The checker itself must be able to fail, or every other test proves nothing.
    let good = json!({"status": "ok", "version": "1"});
    check_response("GET", "/v1/health", 200, &good);
    let extra = json!({"status": "ok", "version": "1", "debug": true});
    let missing = json!({"status": "ok"});
    for bad in [extra, missing] {
        let caught = std::panic::catch_unwind(|| check_response("GET", "/v1/health", 200, &bad));
        assert!(caught.is_err(), "{bad} must not pass the contract check");
    }
}
