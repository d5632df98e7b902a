# ccpool — the two commands a user needs are `make run` and `make test`; both install what is
# missing on a fresh Debian machine first.

SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

# System packages the build and the tests need (prometheus brings promtool for the exposition
# checks), and the Python packages of the test peers.
APT_PACKAGES := libmicrohttpd-dev libsqlite3-dev zlib1g-dev pkg-config openssl prometheus python3-pip chromium
PIP_PACKAGES := prometheus-client grpcio grpcio-health-checking pytest openapi-spec-validator
PYTHON ?= python3
SWIFT_BUILD_FLAGS ?=
RUN_ARGS ?=
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps identity build release run install test unit-test api-check e2e deploy-check contract-test load-test dashboard-check screenshots bench clean

all: build

## deps: install the missing system packages (Debian, as root or with sudo).
deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@missing=""; \
	for p in $(PIP_PACKAGES); do \
	  $(PYTHON) -m pip show -q $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing (pip):$$missing"; \
	  $(PYTHON) -m pip install -q $$missing || $(PYTHON) -m pip install -q --break-system-packages $$missing; \
	fi

## build: debug build of everything.
build: deps
	swift build $(SWIFT_BUILD_FLAGS)

## release: optimised build of the ccpool binary, embedding the git revision and build date.
release: deps identity
	swift build -c release --product ccpool $(SWIFT_BUILD_FLAGS)

## identity: .build-identity, the revision and date the release build embeds (VERSION holds the
## version). Rewritten only when the revision changes, so rebuilding one commit does not recompile.
identity:
	@rev=$$(git rev-parse HEAD 2>/dev/null || echo unknown); \
	if [ "$$rev" != unknown ] && ! git diff --quiet HEAD 2>/dev/null; then rev="$$rev-dirty"; fi; \
	grep -qx "revision=$$rev" .build-identity 2>/dev/null || \
	  printf 'revision=%s\ndate=%s\n' "$$rev" "$$(date -u +%Y-%m-%dT%H:%M:%SZ)" > .build-identity

## run: build and start the service on CONFIG (make run CONFIG=ccpool.yaml; or CCPOOL_CONFIG, or
## --config in RUN_ARGS); without a config, the demo (demo/demo.py: local flapping gRPC servers and
## a config watching them; RUN_ARGS then go to the demo, e.g. RUN_ARGS="--listen 127.0.0.1:9191").
CONFIG ?=
run: release
	@if [ -n "$(CONFIG)" ]; then \
	  exec .build/release/ccpool serve --config "$(CONFIG)" $(RUN_ARGS); \
	elif [ -n "$${CCPOOL_CONFIG:-}" ] || [[ " $(RUN_ARGS) " == *" --config"* ]]; then \
	  exec .build/release/ccpool serve $(RUN_ARGS); \
	else \
	  exec $(PYTHON) demo/demo.py --ccpool .build/release/ccpool $(RUN_ARGS); \
	fi

## install: the release binary, its man page, bash/zsh/fish completions, the systemd unit and the
## example configs under $(DESTDIR)$(PREFIX) (see deploy/install.sh).
install: release
	swift build --product generate-manual $(SWIFT_BUILD_FLAGS)
	bash deploy/install.sh .build/release/ccpool "$(PREFIX)" "$(DESTDIR)" \
	  "$$(swift build --product generate-manual --show-bin-path $(SWIFT_BUILD_FLAGS))/generate-manual"

## test: every test: the Swift suites, schemathesis against /openapi.yaml, the end-to-end and
## fault suite, the checks of the deployment files, the dashboard in Chromium, and the container
## contract of the release binary.
test: unit-test api-check e2e deploy-check dashboard-check contract-test load-test

## unit-test: build and run the Swift tests (one at a time: `swift test --filter NAME`).
unit-test: deps
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	swift test --skip-build $(SWIFT_BUILD_FLAGS)

## api-check: openapi.yaml validated as OpenAPI 3.1, then schemathesis against the live server's
## /openapi.yaml (with and without the admin token).
api-check: build
	$(PYTHON) -m openapi_spec_validator --schema 3.1 openapi.yaml
	CCPOOL_BIN=$(CURDIR)/.build/debug/ccpool bash Tests/API/schemathesis.sh

## e2e: end-to-end and fault suite (real grpcio backends, a real Prometheus) against the debug
## binary; one scenario: make e2e E2E_ARGS="-k scenario_3".
E2E_ARGS ?=
e2e: build
	CCPOOL_BIN=$(CURDIR)/.build/debug/ccpool bash Tests/E2E/run.sh $(E2E_ARGS)

## deploy-check: lint and cross-check deploy/ (installs its linters on first use).
deploy-check: build
	CCPOOL_BIN=$(CURDIR)/.build/debug/ccpool bash deploy/check.sh

## contract-test: the release binary run as the image runs it (UID 10001, from /, env only,
## writing only its data directory; probes; SIGTERM → exit 0 with the history flushed).
contract-test: release
	CCPOOL_RELEASE_BIN=$(CURDIR)/.build/release/ccpool bash deploy/contract_test.sh

## load-test: E2E scenario 11 at full size (1,000 targets flapping every second for 2 minutes,
## /metrics scraped 20 times and the history queried 50 times a second) against the release binary;
## timings in Tests/E2E/results-load.md.
load-test: release
	CCPOOL_BIN=$(CURDIR)/.build/release/ccpool E2E_FULL=1 E2E_RESULTS=$(CURDIR)/Tests/E2E/results-load.md \
	  bash Tests/E2E/run.sh -k scenario_11

## dashboard-check: ESLint and a CSS parse of the dashboard's assets, then a headless-Chromium DOM check
## of the dashboard against a running ccpool.
dashboard-check: build
	bash Tests/Dashboard/lint_assets.sh
	CCPOOL_BIN=$(CURDIR)/.build/debug/ccpool bash Tests/Dashboard/check_dom.sh

## screenshots: Tests/Dashboard/screenshots/dashboard.png and target.png (shown in the README).
screenshots: build
	CCPOOL_BIN=$(CURDIR)/.build/debug/ccpool bash Tests/Dashboard/screenshots.sh

## bench: benchmarks beside their references, measured in the same run; writes bench/results.md.
bench: deps
	bash bench/run.sh

clean:
	rm -rf .build
