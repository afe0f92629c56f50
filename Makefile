# Prikke. `make run` starts it on an embedded SQLite file; `make test` runs
# every test (vet, race detector, both stores, the browser and system tests).

GO ?= go
export PRIKKE_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable

.PHONY: help run build image test test-deps test-short bench bench-peers fuzz assets lint clean

help: ## show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

run: ## run Prikke on ./prikke.db at http://127.0.0.1:4000
	$(GO) run ./cmd/prikke

build: ## build ./bin/prikke
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/prikke ./cmd/prikke

test-deps: ## install Chromium and start PostgreSQL when missing (make test runs this first)
	@./scripts/test-deps.sh

image: ## build the container image prikke:latest with podman or docker (IMAGE=name:tag to change)
	./scripts/image.sh $(IMAGE)

test: ## vet, then every test with the race detector on SQLite and PostgreSQL, browser and system tests included
	@./scripts/test-deps.sh
	$(GO) vet ./...
	PRIKKE_REQUIRE_POSTGRES=1 PRIKKE_REQUIRE_BROWSER=1 $(GO) test -race -timeout 30m ./...

test-short: ## quick tests without PostgreSQL requirements
	$(GO) test -short ./...

bench: ## the standard engine benchmarks (figures in the README)
	./scripts/bench.sh

bench-peers: ## Prikke's PostgreSQL burst against River and Graphile Worker, one receiver, 5 rounds of 50k (bench/README.md)
	./scripts/bench-peers.sh

fuzz: ## fuzz the cron parser for 3 minutes
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=3m ./internal/cron/

assets: ## rebuild the committed front-end assets (needs npm)
	./scripts/assets.sh

lint: ## gofmt and vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

clean: ## remove build output
	rm -rf bin artifacts build
