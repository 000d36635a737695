"""Who may invoke each function, read from the template as CloudFormation sees it.

A route function trusts the authorizer's context that API Gateway hands it, so
whoever may invoke one directly could claim to be any caller of any business.
This check turns infra/template.yaml into plain CloudFormation with the SAM
translator (as a deployment does) and fails unless:

- every function with an HTTP API route, and the authorizer, may be invoked by
  API Gateway alone, and only from this template's HTTP API;
- event functions are invoked only by their own rules or event source
  mappings;
- no function has a function URL, and no role uses the broad managed policy
  for stream readers (AWSLambdaDynamoDBExecutionRole): a function that reads
  the table's stream gets a role of its own that names that stream.

Run by `make checks` with the checks' venv (infra/requirements-checks.txt).
"""

import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

TEMPLATE = sys.argv[1] if len(sys.argv) > 1 else "infra/template.yaml"
API = {"Ref": "HttpApi"}


class NoManagedPolicies:
    """The template names managed policies by ARN, so none need looking up."""

    def load(self):
        return {}


def translated(path):
    with open(path, encoding="utf-8") as file:
        template = yaml_parse(file.read())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            # A packaged template points at S3; where does not matter here.
            resource["Properties"]["CodeUri"] = "s3://packaged/code.zip"
    return template, transform(template, {}, NoManagedPolicies())


def route_functions(template):
    """Functions API Gateway calls: those with HttpApi events, and authorizers."""
    names = set()
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        events = resource["Properties"].get("Events", {}).values()
        if any(event["Type"] == "HttpApi" for event in events):
            names.add(name)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::HttpApi":
            authorizers = resource["Properties"].get("Auth", {}).get("Authorizers", {})
            for authorizer in authorizers.values():
                names.add(authorizer["FunctionArn"]["Fn::GetAtt"][0])
    return names


def invoked(permission):
    """The function a permission is on, by its logical id."""
    target = permission["FunctionName"]
    if "Ref" in target:
        return target["Ref"]
    return target["Fn::GetAtt"][0]


def from_this_api(source_arn):
    """Whether a permission's SourceArn is this template's HTTP API."""
    sub = source_arn.get("Fn::Sub") if isinstance(source_arn, dict) else None
    if not isinstance(sub, list) or len(sub) != 2:
        return False
    pattern, values = sub
    return values.get("__ApiId__") == API and pattern.startswith(
        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/"
    )


def problems(template, output):
    routes = route_functions(template)
    resources = output["Resources"]
    found = []
    if not routes:
        found.append("no route functions found: the check reads the template wrongly")
    for name, resource in resources.items():
        kind, properties = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::Lambda::Url":
            found.append(f"{name}: a function URL bypasses API Gateway")
        if kind == "AWS::Lambda::Permission":
            function = invoked(properties)
            principal = properties.get("Principal")
            source = properties.get("SourceArn")
            if function in routes:
                if principal != "apigateway.amazonaws.com" or not from_this_api(source):
                    found.append(f"{name}: {function} may be invoked by {principal} from {source}")
            elif principal != "events.amazonaws.com" or "Fn::GetAtt" not in (source or {}):
                found.append(f"{name}: {function} may be invoked by {principal} from {source}")
            elif resources.get(source["Fn::GetAtt"][0], {}).get("Type") != "AWS::Events::Rule":
                found.append(f"{name}: {function} may be invoked from {source}, not one of our rules")
        if kind == "AWS::IAM::Role":
            for arn in properties.get("ManagedPolicyArns", []):
                if "AWSLambdaDynamoDBExecutionRole" in str(arn):
                    found.append(f"{name}: reads every stream in the account ({arn})")
    return found


def main():
    template, output = translated(TEMPLATE)
    found = problems(template, output)
    for problem in found:
        print(f"invoke rights: {problem}", file=sys.stderr)
    if found:
        sys.exit(1)
    print(f"invoke rights: {len(route_functions(template))} route functions, API Gateway alone invokes them")


if __name__ == "__main__":
    main()
