# Clientele: `make run` serves the whole service locally; `make test` runs every test.
# Both install what they need into .local/ first (see infra/local/tools.sh).

SHELL := /usr/bin/env bash

# The local signing key: not a secret, only ever used against the local stack.
LOCAL_JWT_KEY := clientele-local-development-key-not-a-secret

# Ports of the local stack (all on 127.0.0.1).
API_PORT ?= 9000
DYNAMODB_PORT ?= 8000
MOTO_PORT ?= 5050

# The local stack's resources.
TABLE_NAME ?= clientele
EVENT_BUS_NAME ?= clientele
JWT_SECRET_ID ?= clientele/jwt-signing-key
AVATAR_BUCKET ?= clientele-avatars

# What the clientele command needs to reach the local stack's table.
LOCAL_AWS := AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 \
	AWS_ENDPOINT_URL=http://127.0.0.1:$(MOTO_PORT) AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$(DYNAMODB_PORT) \
	AWS_ENDPOINT_URL_DYNAMODB_STREAMS=http://127.0.0.1:$(DYNAMODB_PORT) \
	TABLE_NAME=$(TABLE_NAME)

# `make token ROLE=staff BUSINESS=<uuid>`: the demo business by default.
ROLE ?= admin
BUSINESS ?= 123e4567-e89b-12d3-a456-426614174001

CARGO ?= cargo

# Development builds (the tests, make run, the clientele command) share one
# set of dependency features, so they share one build: see shared/dev-build.
DEV_BUILD := --features clientele-startup/dev-build

# The clientele command, from that build.
CLIENTELE := $(CARGO) run --quiet --locked $(DEV_BUILD) -p clientele-cli --

# Where `make tools` installs the local tools (git-ignored).
LOCAL := $(or $(CLIENTELE_LOCAL_DIR),.local)

.PHONY: help tools run events test lint checks unit smoke fuzz load short-load bench bench-search bench-tls build deploy docs reference bindings logs token client import export seed invariants migrate reset clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 10

tools: ## Install cargo-lambda, moto, DynamoDB Local and the template checks into .local/.
	@infra/local/tools.sh

run: tools ## Serve every function on http://127.0.0.1:$(API_PORT) over DynamoDB Local and moto.
	@API_PORT=$(API_PORT) DYNAMODB_PORT=$(DYNAMODB_PORT) MOTO_PORT=$(MOTO_PORT) \
		TABLE_NAME=$(TABLE_NAME) EVENT_BUS_NAME=$(EVENT_BUS_NAME) JWT_SECRET_ID=$(JWT_SECRET_ID) AVATAR_BUCKET=$(AVATAR_BUCKET) \
		JWT_SIGNING_KEY=$(LOCAL_JWT_KEY) infra/local/run.sh

events: ## Print the events the running local stack published since last asked (FOLLOW=1 keeps watching; QUEUE=clientele-data-responses for data responses).
	@$(LOCAL_AWS) $(CLIENTELE) local-events $(if $(FOLLOW),--follow) $(if $(QUEUE),--queue $(QUEUE))

test: tools lint checks reference unit smoke fuzz short-load ## Every check and test: formatting, clippy, the template's checks, the API reference page in a browser, unit, integration and smoke tests, contract fuzzing and a short load.

lint: ## Formatting and clippy (warnings are errors).
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# The template's checks, installed by `make tools` into their own venv.
CHECKS = $(LOCAL)/checks/bin

checks: tools ## cfn-lint, sam validate --lint (with each environment of samconfig.toml), checkov (skips justified in infra/checkov.yaml) and who may invoke each function, on the template; the release profile as cargo lambda builds it; the event bindings up to date, the registry's stack linted, the AsyncAPI document valid; the bench's cost and capacity arithmetic.
	$(CHECKS)/cfn-lint infra/template.yaml
	for env in default staging production; do \
		SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 $(CHECKS)/sam validate --config-env $$env || exit 1; done
	$(CHECKS)/checkov --config-file infra/checkov.yaml --file infra/template.yaml
	AWS_DEFAULT_REGION=us-east-1 $(CHECKS)/python infra/check_invoke_rights.py
	$(CHECKS)/python infra/check_release_profile.py
	$(CHECKS)/python events/bindings.py --check
	$(CHECKS)/cfn-lint infra/schemas.yaml
	cp infra/asyncapi/validate.mjs $(LOCAL)/asyncapi/ && node $(LOCAL)/asyncapi/validate.mjs events/asyncapi.yaml
	$(CHECKS)/python -m unittest discover --quiet -s bench -p 'test_*.py'

bindings: tools ## Write the event bindings from events/schemas/ and the template: events/asyncapi.yaml, events/registry/ (Draft 4) and infra/schemas.yaml.
	$(CHECKS)/python events/bindings.py

unit: ## Unit tests and the integration tests (which start DynamoDB Local and moto themselves).
	@echo "unit: building the workspace and its tests (the first time takes several minutes; later stages reuse the build)"
	$(CARGO) test --workspace --locked

docs: tools ## Write the API reference page, one static file to publish anywhere: target/api-reference/index.html.
	@$(CHECKS)/python infra/docs/reference.py build $(LOCAL)/redoc/redoc.standalone.js target/api-reference/index.html

reference: tools ## The API reference page in headless Chromium: every operation on it; a screenshot in .local/docs/.
	@infra/docs/check.sh

smoke: tools ## Run the README's walkthrough against a real `make run` on spare ports.
	@infra/local/smoke.sh

fuzz: tools ## Contract fuzzing: the OpenAPI document validated, then schemathesis over it against a real `make run` (minutes).
	@infra/local/fuzz.sh

load: tools ## A bounded load against a real `make run` (LOAD_SECONDS=60, LOAD_CLIENTS=16, LOAD_BUSINESSES=4): figures printed, then the invariant checker.
	@JWT_SIGNING_KEY=$(LOCAL_JWT_KEY) LOAD_SECONDS=$(or $(LOAD_SECONDS),60) LOAD_CLIENTS=$(or $(LOAD_CLIENTS),16) \
		LOAD_BUSINESSES=$(or $(LOAD_BUSINESSES),4) infra/local/load.sh

short-load: tools ## `make load`'s short version, as `make test` runs it: 15 s, 8 clients.
	@JWT_SIGNING_KEY=$(LOCAL_JWT_KEY) LOAD_SECONDS=15 LOAD_CLIENTS=8 LOAD_BUSINESSES=4 infra/local/load.sh

bench: tools ## Cold start, warm latency, CPU, memory and AWS calls of every function (release build), also as ratios to two floors built alongside (bench/baselines), then every route warm: calls, DynamoDB units, events, logs and cost per million requests. Prints tables.
	@JWT_SIGNING_KEY=$(LOCAL_JWT_KEY) CARGO="$(CARGO)" bench/cold-start.sh

bench-search: tools ## Items read and capacity per search page in a business of 100,000 customers (BENCH_SEARCH_CUSTOMERS), against the filtered list (minutes).
	$(CARGO) run --quiet --locked $(DEV_BUILD) -p clientele-tests --bin clientele-bench-search

bench-tls: ## The client's side of a TLS handshake, the TLS crates (aws-lc, rustls, webpki) built at opt-level 3 and at "s", timed in turn (minutes).
	@CARGO="$(CARGO)" bench/handshake.sh

# The Lambda functions: one crate each under functions/.
FUNCTIONS := $(notdir $(wildcard functions/*))

# cargo-lambda cross-compiles with the zig that came with it into its venv.
build: tools ## Build every function for Lambda (release, arm64) into target/lambda/<function>/bootstrap.
	PATH="$(abspath $(LOCAL))/venv/bin:$$PATH" cargo-lambda lambda build --release --arm64 --locked \
		$(addprefix --package ,$(FUNCTIONS))

# The environment of samconfig.toml that `make deploy` and `make logs` use.
ENV ?= default

deploy: tools ## sam build, then sam deploy, as samconfig.toml's ENV section says (default, staging, production).
	PATH="$(abspath $(LOCAL))/venv/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(CHECKS)/sam build --config-env $(ENV)
	SAM_CLI_TELEMETRY=0 $(CHECKS)/sam deploy --config-env $(ENV)

logs: tools ## Follow a deployed function's logs: make logs FUNCTION=CustomersFunction ENV=staging
	SAM_CLI_TELEMETRY=0 $(CHECKS)/sam logs --config-env $(ENV) --name $(or $(FUNCTION),CustomersFunction)

token: ## Print a local token: make token ROLE=staff BUSINESS=<uuid>
	@JWT_SIGNING_KEY=$(LOCAL_JWT_KEY) $(CLIENTELE) token --role $(ROLE) --business $(BUSINESS)

client: ## Manage clients in the local stack: make client ARGS="create --business <uuid> --name <text> --scope customers:read"
	@$(LOCAL_AWS) $(CLIENTELE) client $(ARGS)

seed: ## Fill the running local stack with N demo customers (default 500) across two businesses, with tags, notes, facts and lifecycle steps; again adds only what is missing.
	@$(LOCAL_AWS) $(CLIENTELE) seed --count $(or $(N),500)

invariants: ## Check that the local stack's table holds together (clientele check): claims, tag copies, counts, outbox events.
	@$(LOCAL_AWS) $(CLIENTELE) check

migrate: ## Bring the local stack's table to this version's form (ARGS="--status" says where it stands).
	@$(LOCAL_AWS) $(CLIENTELE) migrate $(ARGS)

import: ## Import customers (and their tags) into the running local stack from a CSV or NDJSON file, as ROLE of BUSINESS: make import FILE=customers.csv
	@token=$$(JWT_SIGNING_KEY=$(LOCAL_JWT_KEY) $(CLIENTELE) token --role $(ROLE) --business $(BUSINESS)) && \
		CLIENTELE_TOKEN=$$token $(CLIENTELE) import "$(FILE)" --api http://127.0.0.1:$(API_PORT)

export: ## Export the running local stack's customers of BUSINESS to a file: make export OUT=customers.csv (FORMAT=ndjson for another extension)
	@token=$$(JWT_SIGNING_KEY=$(LOCAL_JWT_KEY) $(CLIENTELE) token --role admin --business $(BUSINESS)) && \
		CLIENTELE_TOKEN=$$token $(CLIENTELE) export --output "$(OUT)" $(if $(FORMAT),--format $(FORMAT)) --api http://127.0.0.1:$(API_PORT)

reset: ## Wipe the local stack's data.
	rm -rf .local/data

clean: ## Remove build output and the installed local tools.
	$(CARGO) clean
	rm -rf .local
