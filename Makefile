# tembridge — two commands for a new user on a fresh Debian machine:
#   make demo   build and run the bridge over the embedded simulator on 127.0.0.1:1502
#   make test   build and run every test (unit, end-to-end with real Modbus clients, the release
#               binary and the Debian package)
# and two for deploying: `make release` (a stripped, self-contained binary) and `make deb`
# (tembridge_VERSION_amd64.deb in this folder).
# Missing system packages (libmodbus-dev, mbpoll, pkg-config, libmosquitto-dev, mosquitto,
# mosquitto-clients, openssl, socat, python3-pymodbus, libsqlite3-dev, libpq-dev, postgresql, chromium,
# poppler-utils (pdftoppm, for the statement's PDF test),
# curl, lintian, prometheus (for promtool; Debian has no smaller package with it, and outside a
# container apt also starts the server: `systemctl disable --now prometheus` if unwanted),
# binutils, man-db, dpkg-dev, systemd) are installed with apt-get.

SWIFT      ?= swift
CONFIG     ?= debug
BIN         = .build/$(CONFIG)/tembridge
APT_PKGS    = libmodbus-dev mbpoll pkg-config libmosquitto-dev mosquitto mosquitto-clients openssl socat python3-pymodbus \
              libsqlite3-dev libpq-dev postgresql chromium curl poppler-utils lintian prometheus binutils man-db \
              dpkg-dev systemd
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build release manpages deb package-test monitoring-test demo test bench fuzz fuzz-smoke soak clean

# The release build has its own scratch path, so `swift build` (debug) and it never wait for each
# other; `make test`, `make deb` and `make bench` all reuse it.
RELEASE_SCRATCH ?= .build-release
RELEASE_FLAGS    = -c release --static-swift-stdlib -Xswiftc -Osize -Xlinker --no-export-dynamic
RELEASE_BIN      = $(RELEASE_SCRATCH)/tembridge
VERSION         ?= $(shell grep -rhoE 'tembridgeVersion = "[^"]+"' Sources | head -1 | cut -d'"' -f2)

all: build

# Install only what is missing; apt-get update only when an install is needed.
deps:
	@missing=""; for p in $(APT_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG)

demo: build
	$(BIN) demo

# The binary to deploy: optimised for size (-Osize: fewer resident pages, serving as fast), with
# the Swift runtime and Foundation linked in, so the target machine needs libmodbus5 and
# libsqlite3-0 (and libc/libstdc++); libpq5 and libmosquitto1 only when the map uses upstream
# PostgreSQL or MQTT (they are opened when first needed). $(RELEASE_BIN) is stripped;
# $(RELEASE_SCRATCH)/release/tembridge keeps the symbols (for reading a crash's addresses).
release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --scratch-path $(RELEASE_SCRATCH)
	strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	  -o $(RELEASE_BIN) $(RELEASE_SCRATCH)/release/tembridge
	@echo "self-contained binary: $(RELEASE_BIN), $$(stat -c %s $(RELEASE_BIN)) bytes (needs libmodbus5 and libsqlite3-0; libpq5 for upstream, libmosquitto1 for mqtt)"

# Man pages from the argument parser's own help (swift-argument-parser's generate-manual tool,
# built from the checked-out package), one page per subcommand.
manpages: release
	sh deploy/generate-manpages.sh $(RELEASE_SCRATCH) $(RELEASE_SCRATCH)/man

# The Debian package (deploy/build-deb.sh): tembridge_$(VERSION)_amd64.deb in this folder.
deb: manpages
	sh deploy/build-deb.sh $(RELEASE_BIN) $(VERSION) $(RELEASE_SCRATCH)/man .

# The Prometheus rules (each alert firing and quiet) and the Grafana dashboard against the metrics
# docs/CONSOLE.md documents; no build needed.
monitoring-test:
	promtool check rules deploy/prometheus/tembridge.rules.yml
	promtool test rules Tests/Package/rules.test.yml
	python3 Tests/Package/check-monitoring.py

# The release binary without the toolchain, the package installed, upgraded and purged here,
# the Prometheus rules and the Grafana dashboard (Tests/Package). Root: dpkg -i, unshare.
package-test: manpages
	sh Tests/Package/release-test.sh $(RELEASE_BIN)
	$(MAKE) monitoring-test
	sh Tests/Package/package-test.sh $(RELEASE_BIN) $(RELEASE_SCRATCH)/man $(VERSION)

# Unit and end-to-end tests, then the format check, a 10 s fuzz pass per target, a 60 s soak, and
# the release binary and Debian package (package-test: the release build is the long part).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(SWIFT) format lint --strict --recursive --parallel Sources Tests
	$(MAKE) fuzz-smoke
	SOAK_SECONDS=60 TEMBRIDGE_BIN=$(BIN) sh Tests/Soak/soak.sh
	$(MAKE) package-test

clean:
	rm -rf .build $(RELEASE_SCRATCH)

# libFuzzer targets (Tests/Fuzz, docs/RELIABILITY.md): ASan + LeakSanitizer, seeds in
# Tests/Fuzz/corpus, new finds in fuzz-out/. `make fuzz FUZZ_SECONDS=600` for a longer run.
FUZZ_SECONDS ?= 60

fuzz: deps
	Tests/Fuzz/build.sh
	Tests/Fuzz/run.sh $(FUZZ_SECONDS)

# About 10 s per target: the pass `make test` runs.
fuzz-smoke: deps
	Tests/Fuzz/build.sh
	Tests/Fuzz/run.sh 10

# Benchmarks (Tests/Bench, docs/BENCHMARKS.md): tembridge against libmodbus's own example server,
# line efficiency, footprint. The release build (shared with `make release`); about 2 minutes after it.
# BENCH_ROUNDS=5 BENCH_SECONDS=2 are the throughput rounds (servers measured alternately).
BENCH_SCRATCH ?= $(RELEASE_SCRATCH)
bench: deps
	$(SWIFT) build $(RELEASE_FLAGS) --scratch-path $(BENCH_SCRATCH)
	BENCH_ROUNDS=$${BENCH_ROUNDS:-5} BENCH_SECONDS=$${BENCH_SECONDS:-2} \
	  bash Tests/Bench/run.sh $(BENCH_SCRATCH)/release/tembridge $(BENCH_SCRATCH)/bench

# Soak (Tests/Soak, docs/RELIABILITY.md): 8 busy clients on quickly rolling integrators for
# SOAK_SECONDS (default 600): no torn integrator, no failed read, flat memory. CI runs 60 s.
soak: build
	SOAK_SECONDS=$${SOAK_SECONDS:-600} TEMBRIDGE_BIN=$(BIN) sh Tests/Soak/soak.sh
