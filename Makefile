# authkit — common tasks. Every target works on a fresh machine with Go
# installed; `make test` finds or starts a Redis (scripts/with-redis.sh).

GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
MODULES     := $(shell $(GO) list -m -f '{{.Dir}}' 2>/dev/null)
FUZZTIME    ?= 10s
BENCHTIME   ?= 1s
BENCHCOUNT  ?= 10
ADDR        ?= 127.0.0.1:8080

.PHONY: all test test-short lint fmt vet staticcheck fence scripts modules run bench bench-peers load soak fuzz redis-cluster redis-cluster-stop

all: lint test

## test: every module's tests with -race, against a real Redis when one can be had;
## the demo's browser test needs chromium (skipped loudly without it, failed under
## REQUIRE_BROWSER=1; go test hides a passing package's output, so the notice is
## printed here, before and after the tests).
test:
	@./scripts/browser-notice.sh
	@./scripts/with-redis.sh $(GO) test -race -count=1 -timeout 20m work; rc=$$?; ./scripts/browser-notice.sh; exit $$rc

## test-short: the same without -race.
test-short:
	@./scripts/browser-notice.sh
	@./scripts/with-redis.sh $(GO) test -count=1 work; rc=$$?; ./scripts/browser-notice.sh; exit $$rc

## lint: gofmt, go vet, staticcheck (pinned), the module fence and the scripts' syntax.
lint: fmt vet staticcheck fence scripts

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi; echo "gofmt: ok"

vet:
	$(GO) vet work

staticcheck:
	@for m in $(MODULES); do echo "staticcheck $$m"; (cd $$m && $(GO) run $(STATICCHECK) ./...) || exit 1; done

fence:
	./scripts/fence.sh

## scripts: every shell script parses; the load and bench scripts answer --help.
scripts:
	@for f in scripts/*.sh .ci/run; do bash -n "$$f" || exit 1; done
	@./scripts/load.sh --help >/dev/null && ./scripts/bench-peers.sh --help >/dev/null && echo "scripts: ok"

## modules: each module on its own (GOWORK=off): tidy unchanged, build, vet, test.
modules:
	./scripts/with-redis.sh ./scripts/check-modules.sh

## run: the browser demo (pages and the JSON API, net/http) on $(ADDR) with memory
## stores (REDIS_URL switches to Redis); it prints the URL to open.
run:
	$(GO) run ./examples/demo -addr $(ADDR)

## bench: every benchmark, with allocations.
bench:
	./scripts/with-redis.sh $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) work

## bench-peers: authkit against peer libraries (bench/), $(BENCHCOUNT) runs each in
## one process, summarised by benchstat with the ratios authkit/peer;
## bench/README.md holds the latest table. BENCH=regexp picks benchmarks.
BENCH ?= .
bench-peers:
	NO_REDIS_CLUSTER=1 BENCH='$(BENCH)' BENCHTIME=$(BENCHTIME) BENCHCOUNT=$(BENCHCOUNT) ./scripts/with-redis.sh ./scripts/bench-peers.sh

## load: wrk against each example server on memory and Redis stores, GET /me by
## bearer and by cookie, beside the bare framework and bare sending authkit's header
## fields, in LOAD_ROUNDS rounds (default 3) of LOAD_SECONDS per case (default 5).
load:
	NO_REDIS_CLUSTER=1 ./scripts/with-redis.sh ./scripts/load.sh

## soak: the reference API under load for $(SOAK_DURATION) on a private Redis that
## is killed and restarted halfway (examples/soak; make test runs it for 15 s).
SOAK_DURATION ?= 2m
soak:
	SOAK_DURATION=$(SOAK_DURATION) $(GO) test -count=1 -v -timeout 1h -run '^TestSoak$$' ./examples/soak

## fuzz: every fuzz target for $(FUZZTIME) each (scripts/fuzz.sh: one instrumented
## test binary per package; FUZZ_MATCH=regexp picks targets, FUZZ_PARALLEL workers).
## CI runs it with FUZZTIME=2s. A failing input lands in the package's testdata/fuzz.
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

## redis-cluster: start a 3-master Redis Cluster on loopback (CLUSTER_REPLICAS=1 adds replicas) and print its seeds.
CLUSTER_DIR      ?= .redis-cluster
CLUSTER_REPLICAS ?= 0
redis-cluster:
	@addrs=$$(./scripts/redis-cluster.sh start $(CLUSTER_DIR) 3 $(CLUSTER_REPLICAS)) && \
	echo "export REDIS_CLUSTER_ADDRS=$$addrs   # make redis-cluster-stop stops it"

## redis-cluster-stop: stop the cluster redis-cluster started.
redis-cluster-stop:
	./scripts/redis-cluster.sh stop $(CLUSTER_DIR) && rm -rf $(CLUSTER_DIR)
