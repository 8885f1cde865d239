# Makefile: one-command set-up, demo and test targets (see README.md, Quick start).
SWIFT ?= swift
NST := .build/release/nst

.PHONY: deps build demo test
deps:
	bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product nst

demo: build
	$(NST) devices

test: deps
	$(SWIFT) test --disable-swift-testing
