# ccpool — the two commands a user needs are `make run` and `make test`; both install what is
# missing on a fresh Debian machine first.

SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

# System packages the build and the tests need.
APT_PACKAGES := libmicrohttpd-dev libsqlite3-dev pkg-config
SWIFT_BUILD_FLAGS ?=
RUN_ARGS ?=

.PHONY: all deps build release run test bench clean

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
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

## build: debug build of everything.
build: deps
	swift build $(SWIFT_BUILD_FLAGS)

## release: optimised build of the ccpool binary.
release: deps
	swift build -c release --product ccpool $(SWIFT_BUILD_FLAGS)

## run: build and start the service on its embedded default configuration.
run: release
	.build/release/ccpool serve $(RUN_ARGS)

## test: build and run every test (one at a time: `swift test --filter NAME`).
test: deps
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	swift test --skip-build $(SWIFT_BUILD_FLAGS)

## bench: benchmarks side by side with their references (grows with the project).
bench: deps
	@echo "no benchmarks yet: they arrive with the issues that own them (see README)"

clean:
	rm -rf .build
