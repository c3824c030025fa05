# tembridge — two commands for a new user on a fresh Debian machine:
#   make demo   build and run the bridge over the embedded simulator on 127.0.0.1:1502
#   make test   build and run every test (unit, end-to-end with real Modbus clients)
# Missing system packages (libmodbus-dev, mbpoll, pkg-config) are installed with apt-get.

SWIFT      ?= swift
CONFIG     ?= debug
BIN         = .build/$(CONFIG)/tembridge
APT_PKGS    = libmodbus-dev mbpoll pkg-config
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build demo test check-format bench fuzz soak clean

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

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

clean:
	rm -rf .build
