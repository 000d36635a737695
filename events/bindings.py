"""Writes the event bindings for subscribers and senders, from what already
says what the events are:

- events/asyncapi.yaml, the AsyncAPI 3 document of the service's events;
- events/registry/, a JSON Schema Draft 4 copy of every schema (what
  EventBridge's Schema Registry takes), and infra/schemas.yaml, the nested
  stack that publishes them in a registry of the stack's own.

From:

- what goes out: every schema in events/schemas/ (the shared bus), the
  answers (customer.data.response, customer.billing.response) on a channel
  of their own, as they go to each requester's own queue or bus;
- what comes in: the pairs of source and detail-type the inbound function's
  rule in infra/template.yaml matches (a test holds the rule to the code's
  list of senders), each with its schema in events/schemas/inbound/.

Each AsyncAPI message's payload is its JSON Schema, inlined without its
`$schema` (the schemas use nothing draft 7 lacks), so the document stands
alone. A Draft 4 copy says the same with Draft 4's words: `const` becomes a
one-value `enum`, `if`/`then` an `anyOf` (not the condition, or the
consequence), and what Draft 4 does not know (`$id`, `$comment`,
`examples`) is left out.

Usage: bindings.py [--check]   (--check: fail if a file is not what this
                                 would write, instead of writing them)
"""

import json
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "events" / "schemas"
ASYNCAPI = ROOT / "events" / "asyncapi.yaml"
REGISTRY = ROOT / "events" / "registry"
REGISTRY_TEMPLATE = ROOT / "infra" / "schemas.yaml"
ANSWERS = ("customer.data.response", "customer.billing.response")
SCHEMA_FORMAT = "application/schema+json;version=draft-07"


class TemplateLoader(yaml.SafeLoader):
    """Reads CloudFormation's short tags (!Ref, !Sub, ...) as plain values."""


def _any_tag(loader, _suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


TemplateLoader.add_multi_constructor("!", _any_tag)


def senders() -> list[tuple[str, list[str]]]:
    """The inbound rule's alternatives: each source with its detail-types."""
    template = yaml.load((ROOT / "infra" / "template.yaml").read_text(encoding="utf-8"), Loader=TemplateLoader)
    pattern = template["Resources"]["InboundFunction"]["Properties"]["Events"]["FromPlatform"]["Properties"]["Pattern"]
    return [(alternative["source"][0], list(alternative["detail-type"])) for alternative in pattern["$or"]]


def schema(path: pathlib.Path) -> dict:
    document = json.loads(path.read_text(encoding="utf-8"))
    document.pop("$schema", None)
    return document


def key(detail_type: str) -> str:
    """A component name for a detail-type (AsyncAPI keys allow no dots)."""
    return detail_type.replace(".", "_").replace("-", "_")


def message(detail_type: str, path: pathlib.Path, direction: str) -> dict:
    payload = schema(path)
    return {
        "name": detail_type,
        "title": detail_type,
        "summary": payload.get("description", "").split(". ")[0].rstrip(".") + ".",
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "description": f"The EventBridge envelope around the detail ({direction}).",
            "properties": {
                "detail-type": {"const": detail_type},
                "source": {"type": "string"},
                "id": {"type": "string"},
                "time": {"type": "string", "format": "date-time"},
            },
        },
        "payload": {"schemaFormat": SCHEMA_FORMAT, "schema": payload},
    }


def document() -> dict:
    outgoing = sorted(p for p in SCHEMAS.glob("*.json") if p.stem not in ANSWERS)
    answers = [SCHEMAS / f"{name}.json" for name in ANSWERS]
    inbound = senders()
    messages = {}
    for path in outgoing:
        messages[key(path.stem)] = message(path.stem, path, "source clientele.customers, or EVENT_SOURCE")
    for path in answers:
        messages[key(path.stem)] = message(path.stem, path, "source clientele.customers, to the requester alone")
    for source, detail_types in inbound:
        for detail_type in detail_types:
            path = SCHEMAS / "inbound" / f"{detail_type}.json"
            if not path.exists():
                raise SystemExit(f"asyncapi: {source} sends {detail_type}, which has no schema in {path.parent}")
            messages.setdefault(key(detail_type), message(detail_type, path, "source as the sender's own"))

    def refs(names):
        return {key(n): {"$ref": f"#/components/messages/{key(n)}"} for n in names}

    def op_refs(channel, names):
        return [{"$ref": f"#/channels/{channel}/messages/{key(n)}"} for n in names]

    received = sorted({dt for _, dts in inbound for dt in dts})
    operations = {
        "publishCustomerEvents": {
            "action": "send",
            "title": "What the service publishes",
            "summary": "Every change of a customer, its tags, notes, contacts, interactions, tokens, team users and subscriptions, published by the publisher function from the table's outbox, at least once.",
            "channel": {"$ref": "#/channels/customers"},
            "messages": op_refs("customers", [p.stem for p in outgoing]),
        },
        "answerRequesters": {
            "action": "send",
            "title": "Answers to data and billing requests",
            "summary": "Sent by the inbound function to the requester's own SQS queue or EventBridge bus (DATA_REQUESTERS), never on the shared bus.",
            "channel": {"$ref": "#/channels/answers"},
            "messages": op_refs("answers", list(ANSWERS)),
        },
    }
    for source, detail_types in inbound:
        name = "receiveFrom" + "".join(part.capitalize() for part in source.replace("-", ".").split("."))
        operations[name] = {
            "action": "receive",
            "title": f"From {source}",
            "summary": f"What {source} may send (the bus lets only its own principal send under this source; anything else is dropped).",
            "channel": {"$ref": "#/channels/customers"},
            "messages": op_refs("customers", detail_types),
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Clientele events",
            "version": "0.1.0",
            "description": (
                "The events of Clientele, a customer-data service: what it publishes on its EventBridge bus, "
                "what the platform's other services send it there, and the answers it sends to requesters alone. "
                "Generated by events/bindings.py from events/schemas/ and infra/template.yaml; docs/events.md "
                "says how to subscribe and how delivery works."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "bus": {
                "host": "events.{region}.amazonaws.com",
                "protocol": "https",
                "title": "The stack's EventBridge bus",
                "description": "PutEvents on the bus `<stack>-customers` (stack output EventBusName); subscribe with a rule on it.",
                "variables": {"region": {"default": "eu-central-1", "description": "The stack's region."}},
            }
        },
        "channels": {
            "customers": {
                "address": "{stack}-customers",
                "title": "The customers bus",
                "description": "The stack's EventBridge bus: the detail-type names the message, the source who sent it.",
                "parameters": {"stack": {"description": "The stack's name."}},
                "servers": [{"$ref": "#/servers/bus"}],
                "messages": refs([p.stem for p in outgoing] + received),
            },
            "answers": {
                "address": None,
                "title": "A requester's own destination",
                "description": "The SQS queue or EventBridge bus DATA_REQUESTERS names for the requester.",
                "messages": refs(ANSWERS),
            },
        },
        "operations": operations,
        "components": {"messages": messages},
    }


def draft4(schema):
    """A Draft 2020-12 schema (as events/schemas writes them) in Draft 4."""
    if isinstance(schema, list):
        return [draft4(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for name, value in schema.items():
        if name in ("$schema", "$id", "$comment", "examples", "if", "then"):
            continue
        if name == "const":
            out["enum"] = [value]
        elif name in ("properties", "patternProperties"):
            out[name] = {key_: draft4(sub) for key_, sub in value.items()}
        else:
            out[name] = draft4(value)
    if "if" in schema:
        condition, consequence = draft4(schema["if"]), draft4(schema.get("then", {}))
        out.setdefault("allOf", []).append({"anyOf": [{"not": condition}, consequence]})
    return out


def registry_copies() -> dict[str, dict]:
    """Every schema's Draft 4 copy, by its file's name under events/registry/."""
    copies = {}
    for path in sorted(SCHEMAS.glob("*.json")) + sorted((SCHEMAS / "inbound").glob("*.json")):
        original = json.loads(path.read_text(encoding="utf-8"))
        copy = {"$schema": "http://json-schema.org/draft-04/schema#", **draft4(original)}
        folder = "inbound/" if path.parent.name == "inbound" else ""
        copies[f"{folder}{path.name}"] = copy
    return copies


def registry_name(file_name: str) -> str:
    """A schema's name in the registry: the detail-type, `inbound@` before
    what the service reads."""
    return file_name.removesuffix(".json").replace("inbound/", "inbound@")


def registry_template(copies: dict[str, dict]) -> str:
    resources = {
        "Registry": {
            "Type": "AWS::EventSchemas::Registry",
            "Properties": {
                "RegistryName": {"Ref": "RegistryName"},
                "Description": "The JSON Schemas (Draft 4) of every event detail this service sends and reads.",
            },
        }
    }
    for file_name, copy in copies.items():
        logical = "Schema" + "".join(
            part.capitalize() for part in registry_name(file_name).replace("@", ".").replace("-", ".").replace("_", ".").split(".")
        )
        resources[logical] = {
            "Type": "AWS::EventSchemas::Schema",
            "Properties": {
                "RegistryName": {"Fn::GetAtt": ["Registry", "RegistryName"]},
                "SchemaName": registry_name(file_name),
                "Type": "JSONSchemaDraft4",
                "Description": copy.get("title", registry_name(file_name)),
                "Content": json.dumps(copy, ensure_ascii=False, separators=(",", ":")),
            },
        }
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Clientele's event schemas in an EventBridge Schema Registry (a nested stack of infra/template.yaml).",
        "Parameters": {"RegistryName": {"Type": "String", "Description": "The registry's name."}},
        "Resources": resources,
        "Outputs": {"RegistryArn": {"Value": {"Fn::GetAtt": ["Registry", "RegistryArn"]}}},
    }
    header = "# Generated by events/bindings.py from events/schemas/: edit those, not this.\n"
    return header + yaml.safe_dump(template, sort_keys=False, allow_unicode=True, width=100)


def outputs() -> dict[pathlib.Path, str]:
    """Every file the bindings are, with what it should hold."""
    header = "# Generated by events/bindings.py from events/schemas/ and infra/template.yaml: edit those, not this.\n"
    files = {ASYNCAPI: header + yaml.safe_dump(document(), sort_keys=False, allow_unicode=True, width=100)}
    copies = registry_copies()
    for file_name, copy in copies.items():
        files[REGISTRY / file_name] = json.dumps(copy, indent=2, ensure_ascii=False) + "\n"
    files[REGISTRY_TEMPLATE] = registry_template(copies)
    return files


def main() -> int:
    files = outputs()
    if sys.argv[1:] == ["--check"]:
        stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        expected = set(files)
        extra = [p for p in REGISTRY.rglob("*.json") if p not in expected]
        for path in stale + extra:
            print(f"bindings: {path.relative_to(ROOT)} is out of date: run `make bindings`", file=sys.stderr)
        if stale or extra:
            return 1
        print(f"bindings: the AsyncAPI document, {len(files) - 2} registry schemas and their stack are up to date")
        return 0
    if REGISTRY.exists():
        for old in REGISTRY.rglob("*.json"):
            old.unlink()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"bindings: wrote {ASYNCAPI.relative_to(ROOT)}, {len(files) - 2} schemas in events/registry/, and infra/schemas.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
