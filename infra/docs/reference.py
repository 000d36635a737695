"""Writes the API reference page: one HTML file holding the OpenAPI document
(infra/openapi.yaml) and Redoc's standalone bundle, which renders it in the
browser. Nothing is
fetched when the page is opened, so it can be published anywhere.

Usage:
  reference.py build <redoc.standalone.js> <output.html>
  reference.py check <rendered.html>   (the page's DOM once a browser rendered
                                         it: every operation must be on it)
"""

import html
import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} API reference</title>
<style>body {{ margin: 0; }}</style>
</head>
<body>
<div id="reference"></div>
<script>{redoc}</script>
<script>
Redoc.init({spec}, {{ expandResponses: "200,201", jsonSampleExpandLevel: 3 }}, document.getElementById("reference"));
</script>
</body>
</html>
"""


def inline_script(code: str) -> str:
    """Code safe inside a <script> element: nothing in it may end the element
    (the bundle holds no such text; a regular expression may hold a bare
    "</", which must stay as it is)."""
    if "</script" in code.lower():
        raise SystemExit("the bundle holds </script: it cannot be inlined")
    return code


def inline_json(text: str) -> str:
    """JSON safe inside a <script> element: "</" only occurs in strings,
    where "<\\/" reads the same."""
    return text.replace("</", "<\\/")


def contract() -> dict:
    return yaml.safe_load((ROOT / "infra" / "openapi.yaml").read_text(encoding="utf-8"))


def operations(document: dict) -> list[tuple[str, str, str]]:
    """Every operation: its method, path and operationId."""
    return [
        (method.upper(), path, operation["operationId"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "patch", "delete"}
    ]


def build(redoc_path: str, output_path: str) -> int:
    redoc = pathlib.Path(redoc_path).read_text(encoding="utf-8")
    output = pathlib.Path(output_path)
    document = contract()
    spec = json.dumps(document, default=str, ensure_ascii=False, separators=(",", ":"))
    page = PAGE.format(title=document["info"]["title"], redoc=inline_script(redoc), spec=inline_json(spec))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf-8")
    print(f"reference: {output} ({len(page) // 1024} KiB, {len(operations(document))} operations)")
    return 0


def check(rendered_path: str) -> int:
    """Every operation has its section on the rendered page (Redoc gives each
    an id ending in operation/<operationId>), and the page loads nothing from
    elsewhere."""
    rendered = pathlib.Path(rendered_path).read_text(encoding="utf-8")
    start = rendered.find('<div id="reference"')
    end = rendered.find("<script", start)
    if start < 0 or end < 0:
        print("reference: the page has no rendered reference", file=sys.stderr)
        return 1
    shown = html.unescape(rendered[start:end])
    ids = set(re.findall(r'id="([^"]+)"', shown))
    missing = [
        f"{method} {path} ({operation_id})"
        for method, path, operation_id in operations(contract())
        if not any(i.endswith(f"operation/{operation_id}") for i in ids)
    ]
    fetched = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?:[^"]+)"', rendered)
    for what in missing:
        print(f"reference: not on the page: {what}", file=sys.stderr)
    for url in fetched:
        print(f"reference: the page fetches {url}", file=sys.stderr)
    if missing or fetched:
        return 1
    print(f"reference: all {len(operations(contract()))} operations are on the rendered page")
    return 0


def main() -> int:
    match sys.argv[1:]:
        case ["build", redoc, output]:
            return build(redoc, output)
        case ["check", rendered]:
            return check(rendered)
        case _:
            print(__doc__, file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
