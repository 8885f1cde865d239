# Makefile: one-command set-up, demo and test targets (see README.md, Quick start).
SWIFT ?= swift
NST := .build/release/nst

.PHONY: deps build demo test sanitize asan tsan fuzz-short pictures controls-sheet video-sheet
deps:
	bash scripts/install-deps.sh

# --disable-local-rpath: no $ORIGIN in the binary's RUNPATH, so a library dropped next to
# `nst` is never loaded in place of the system's.
RPATH := --disable-local-rpath

build: deps
	$(SWIFT) build -c release --product nst $(RPATH)

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
	$(SWIFT) test --disable-swift-testing $(RPATH)

# CI's extra checks after `make test` (.ci/run): the whole suite under AddressSanitizer, the
# CPU backend's multi-threaded code under ThreadSanitizer, each in its own build folder.
# NST_SANITIZED skips the one test a sanitizer cannot run (nst under `ulimit -v`).
sanitize: asan tsan

# Leak checking is off: at exit LeakSanitizer reports every object XCTest keeps through its
# test-case instances and Swift values it cannot follow (strings, Data), some 2000 false
# reports; the fuzz targets check the parsers for leaks input by input instead.
asan: deps
	NST_SANITIZED=1 ASAN_OPTIONS=detect_leaks=0 \
	    $(SWIFT) test --disable-swift-testing --sanitize=address --scratch-path .build-asan $(RPATH)

# The CPU folder's tests (convolutions, Winograd, losses, vector kernels: all through
# Parallel.forEach), the C kernels in each variant with the fused ReLU ops, and the tiled
# objective (tiles on concurrent workers).
TSAN_TESTS := ConvolutionTests|KernelISATests|FusedReLUTests|GradientCheckTests|LossTests|MemoryAndVectorTests|VectorKernelsTests|TiledObjectiveTests
tsan: deps
	NST_SANITIZED=1 $(SWIFT) test --disable-swift-testing --sanitize=thread --scratch-path .build-tsan $(RPATH) \
	    --filter '$(TSAN_TESTS)'

# A minute of each fuzz target (scripts/fuzz.sh); fails on any finding.
fuzz-short: deps
	bash scripts/fuzz.sh 60

# The pictures of README.md's "Look inside", from the demo's output (run `make demo` first).
pictures: build
	$(NST) sheet --colors 256 --caption "content: examples/shipwreck.jpg" --caption "style: examples/starry_night.jpg" \
	    --caption "result: $(DEMO_OUT)/demo.png" --output docs/demo-sheet.png examples/shipwreck.jpg examples/starry_night.jpg $(DEMO_OUT)/demo.png
	$(NST) activations --image examples/shipwreck.jpg --layers relu1_1,relu3_1,relu5_1 --channels 8 --tile 80 --colors 256 --output docs/activations.png
	$(NST) gram --image examples/shipwreck.jpg --compare examples/starry_night.jpg --layers relu1_1 --colors 256 --output docs/gram.png
	$(NST) plot $(DEMO_OUT)/demo.csv --output docs/demo-loss.svg
	$(NST) example conv --output docs/conv-example.png

# README.md's "Video": an 8-frame pan styled by nst video, side by side (needs the ffmpeg tool).
video-sheet: build
	NST=$(NST) scripts/video-sheet.sh $(DEMO_OUT)/video

# README.md's "Controlling the result": one small transfer without and with each control.
CONTROLS_ARGS := --content examples/shipwreck.jpg --style examples/starry_night.jpg --size 128 --iterations 60 --device cpu --quiet
controls-sheet: build
	@mkdir -p $(DEMO_OUT)
	$(NST) transfer $(CONTROLS_ARGS) --output $(DEMO_OUT)/controls-none.png
	$(NST) transfer $(CONTROLS_ARGS) --original-colors --output $(DEMO_OUT)/controls-original-colors.png
	$(NST) transfer $(CONTROLS_ARGS) --color-match --output $(DEMO_OUT)/controls-color-match.png
	$(NST) transfer $(CONTROLS_ARGS) --normalize-gradients --output $(DEMO_OUT)/controls-normalize.png
	$(NST) transfer $(CONTROLS_ARGS) --style examples/woman-with-hat-matisse.jpg \
	    --style-mask examples/mask-left.png --style-mask examples/mask-right.png --output $(DEMO_OUT)/controls-masks.png
	$(NST) sheet --colors 256 --height 96 --caption "no control" --caption "original colors" --caption "color match" \
	    --caption "normalized" --caption "two masks" --output docs/controls-sheet.png \
	    $(DEMO_OUT)/controls-none.png $(DEMO_OUT)/controls-original-colors.png $(DEMO_OUT)/controls-color-match.png \
	    $(DEMO_OUT)/controls-normalize.png $(DEMO_OUT)/controls-masks.png
