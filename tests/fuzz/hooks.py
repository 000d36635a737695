"""How `make fuzz` calls the service: schemathesis hooks.

- Each operation is called with the least role its `x-clientele-access`
  names (read: a viewer, write: staff, admin: an admin), so every role's
  token is used; schemathesis leaves the token out where it checks that
  credentials are needed. 403s of a role too small are the integration
  tests' (tests/integration/access.rs).
- A POST's valid `Idempotency-Key` is made new for each request: a key
  belongs to one request, and the contract's example key sent with another
  body is rightly refused (422 `idempotency-key-reused`).
- `cursor` is left out: it is opaque, and only one the service issued is
  valid, which no generator can make. The property tests
  (shared/core/src/parser_fuzz.rs) and the integration tests send refused
  cursors.
- What `cargo lambda watch` itself answers with a 500 before any function
  runs is not sent as generated: a header value outside ASCII, and a JSON
  body that is not UTF-8. API Gateway hands such a body to the function
  base64-encoded, which an integration test does (tests/integration/create.rs).
  Each is sent instead as ASCII text that is invalid in the same place
  (`not ascii ...`, with spaces no header of the contract accepts; a body
  that is not JSON), so the negative case stays negative.
"""

import os
import re
import uuid

import schemathesis

TOKENS = {
    "read": os.environ["FUZZ_VIEWER_TOKEN"],
    "write": os.environ["FUZZ_STAFF_TOKEN"],
    "admin": os.environ["FUZZ_ADMIN_TOKEN"],
}
VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@schemathesis.auth(refresh_interval=None)
class LeastRole:
    """The token of the least role the operation needs."""

    def get(self, case, ctx):
        return TOKENS.get(case.operation.definition.raw.get("x-clientele-access"))

    def set(self, case, data, ctx):
        if data is not None:
            case.headers = case.headers if case.headers is not None else {}
            case.headers["Authorization"] = f"Bearer {data}"


def _ascii(value):
    return f"not ascii {value.encode('unicode_escape').decode('ascii')}"


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers if case.headers is not None else {}
    for name, value in list(headers.items()):
        if isinstance(value, str) and not value.isascii():
            headers[name] = _ascii(value)
        elif name.lower() == "idempotency-key" and isinstance(value, str) and VALID_KEY.match(value):
            headers[name] = str(uuid.uuid4())
    case.headers = headers
    if isinstance(case.query, dict):
        case.query.pop("cursor", None)
    media = (case.media_type or "").lower()
    if isinstance(case.body, (bytes, bytearray)) and "json" in media:
        try:
            bytes(case.body).decode("utf-8")
        except UnicodeDecodeError:
            case.body = b"not utf-8: " + bytes(case.body).decode("latin-1").encode("unicode_escape")
