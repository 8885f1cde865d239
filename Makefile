# Makefile: one-command set-up, demo and test targets (see README.md, Quick start).
SWIFT ?= swift
NST := .build/release/nst

.PHONY: deps build demo test
deps:
	bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product nst

# The demo: Turner's The Shipwreck painted in the style of van Gogh's The Starry Night
# (examples/ATTRIBUTION.md), 100 L-BFGS iterations at 256 pixels: a few minutes on 2 CPU cores.
DEMO_OUT := out
DEMO_ARGS := --content examples/shipwreck.jpg --style examples/starry_night.jpg --size 256 --iterations 100

demo: build
	@mkdir -p $(DEMO_OUT)
	$(NST) devices
	$(NST) transfer $(DEMO_ARGS) --output $(DEMO_OUT)/demo.png --loss-log $(DEMO_OUT)/demo.csv
	@echo "demo: image $(DEMO_OUT)/demo.png, losses per iteration $(DEMO_OUT)/demo.csv"

test: deps
	$(SWIFT) test --disable-swift-testing
