# tembridge — two commands for a new user on a fresh Debian machine:
#   make demo   build and run the bridge over the embedded simulator on 127.0.0.1:1502
#   make test   build and run every test (unit, end-to-end with real Modbus clients)
# Missing system packages (libmodbus-dev, mbpoll, pkg-config, libmosquitto-dev, mosquitto,
# mosquitto-clients, openssl, socat, python3-pymodbus, libsqlite3-dev, libpq-dev, postgresql, chromium,
# curl) are installed with apt-get.

SWIFT      ?= swift
CONFIG     ?= debug
BIN         = .build/$(CONFIG)/tembridge
APT_PKGS    = libmodbus-dev mbpoll pkg-config libmosquitto-dev mosquitto mosquitto-clients openssl socat python3-pymodbus \
              libsqlite3-dev libpq-dev postgresql chromium curl poppler-utils
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build release demo test bench fuzz fuzz-smoke soak clean

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
# PostgreSQL or MQTT (they are opened when first needed).
release: deps
	$(SWIFT) build -c release --static-swift-stdlib -Xswiftc -Osize
	@echo "self-contained binary: .build/release/tembridge (needs libmodbus5 and libsqlite3-0; libpq5 for upstream, libmosquitto1 for mqtt)"

# Unit and end-to-end tests, then the format check, a 10 s fuzz pass per target and a 60 s soak.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(SWIFT) format lint --strict --recursive --parallel Sources Tests
	$(MAKE) fuzz-smoke
	SOAK_SECONDS=60 TEMBRIDGE_BIN=$(BIN) sh Tests/Soak/soak.sh

clean:
	rm -rf .build

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
# line efficiency, footprint. Release build in its own scratch dir; about 2 minutes after the build.
# BENCH_ROUNDS=5 BENCH_SECONDS=2 are the throughput rounds (servers measured alternately).
BENCH_SCRATCH ?= .build-bench
bench: deps
	$(SWIFT) build -c release --static-swift-stdlib -Xswiftc -Osize --scratch-path $(BENCH_SCRATCH)
	BENCH_ROUNDS=$${BENCH_ROUNDS:-5} BENCH_SECONDS=$${BENCH_SECONDS:-2} \
	  bash Tests/Bench/run.sh $(BENCH_SCRATCH)/release/tembridge $(BENCH_SCRATCH)/bench

# Soak (Tests/Soak, docs/RELIABILITY.md): 8 busy clients on quickly rolling integrators for
# SOAK_SECONDS (default 600): no torn integrator, no failed read, flat memory. CI runs 60 s.
soak: build
	SOAK_SECONDS=$${SOAK_SECONDS:-600} TEMBRIDGE_BIN=$(BIN) sh Tests/Soak/soak.sh
