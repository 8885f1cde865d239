# Makefile: one-command set-up, demo and test targets (see README.md, Quick start).
SWIFT ?= swift
NST := .build/release/nst

.PHONY: deps build demo test pictures
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

# The pictures of README.md's "Look inside", from the demo's output (run `make demo` first).
pictures: build
	$(NST) sheet --colors 256 --caption "content: examples/shipwreck.jpg" --caption "style: examples/starry_night.jpg" \
	    --caption "result: $(DEMO_OUT)/demo.png" --output docs/demo-sheet.png examples/shipwreck.jpg examples/starry_night.jpg $(DEMO_OUT)/demo.png
	$(NST) activations --image examples/shipwreck.jpg --layers relu1_1,relu3_1,relu5_1 --channels 8 --tile 80 --colors 256 --output docs/activations.png
	$(NST) gram --image examples/shipwreck.jpg --compare examples/starry_night.jpg --layers relu1_1 --colors 256 --output docs/gram.png
	$(NST) plot $(DEMO_OUT)/demo.csv --output docs/demo-loss.svg
	$(NST) example conv --output docs/conv-example.png
