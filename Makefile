# Thin wrappers over the go commands; see README.md.
SHELL := /bin/bash
GO ?= go
TOOLS_BIN := $(CURDIR)/tools/bin
TEST_TIMEOUT ?= 30m
# A count of executions, not a duration: on a loaded machine a duration can
# end while an execution is still running, which go's fuzzer reports as a failure.
FUZZTIME ?= 5000x

# Fuzz targets run for FUZZTIME each in `make test`: package and target.
FUZZ_TARGETS := ./functions/auth:FuzzSignup ./functions/tickets:FuzzCreateTicket ./functions/tickets:FuzzUpdateTicket ./functions/orders:FuzzCreateOrder ./functions/payments:FuzzCreatePayment ./functions/expiration:FuzzExpire ./functions/etickets:FuzzCheckIn

# The pinned tools each target starts, so that a target builds only what it
# uses: the marketplace starts stripe-mock and mailpit (and so does bench,
# which runs it), the tests also the Cloud Tasks emulator.
RUN_TOOLS := $(TOOLS_BIN)/stripe-mock $(TOOLS_BIN)/mailpit
TEST_TOOLS := $(RUN_TOOLS) $(TOOLS_BIN)/cloud-tasks-emulator

.PHONY: run test test-go test-validate fuzz bench lint tools clean

## run: the whole marketplace on http://localhost:8080 (embedded default)
run: $(RUN_TOOLS)
	PATH="$(TOOLS_BIN):$$PATH" $(GO) run ./cmd/buytickets

## test: every test of every module, with the stand-ins the tests start themselves
test: test-go test-validate fuzz

test-go: $(TEST_TOOLS)
	PATH="$(TOOLS_BIN):$$PATH" $(GO) test -timeout $(TEST_TIMEOUT) work

# config/validate lives outside go.work: it alone pays knative's build cost.
# config/verify, the staging smoke test, is a module of its own too.
test-validate:
	cd config/validate && GOWORK=off $(GO) test -timeout $(TEST_TIMEOUT) ./...
	cd config/verify && GOWORK=off $(GO) test -timeout $(TEST_TIMEOUT) ./...

## fuzz: each fuzz target for FUZZTIME (go test -fuzz takes one target per run)
fuzz: $(TEST_TOOLS)
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "$(GO) test -run='^$$' -fuzz=^$${t#*:}\$$ -fuzztime=$(FUZZTIME) $${t%%:*}"; \
		$(GO) test -run='^$$' -fuzz="^$${t#*:}\$$" -fuzztime=$(FUZZTIME) $${t%%:*}; \
	done

## bench: the benchmarks of BENCHMARKS.md
bench: $(RUN_TOOLS)
	PATH="$(TOOLS_BIN):$$PATH" $(GO) run ./cmd/buytickets/bench -out BENCHMARKS.md

## lint: formatting, vet (Linux and macOS), staticcheck and tidy go.mod files across every module
lint: $(TOOLS_BIN)/staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet work
	GOOS=darwin $(GO) build ./cmd/buytickets/...
	GOOS=darwin $(GO) vet work
	$(TOOLS_BIN)/staticcheck work
	@for m in $$($(GO) list -m -f '{{.Dir}}'); do \
		(cd $$m && $(GO) mod tidy -diff >/dev/null) || { echo "go mod tidy would change $$m"; exit 1; }; \
	done
	cd config/validate && GOWORK=off $(GO) vet ./...
	cd config/validate && GOWORK=off $(TOOLS_BIN)/staticcheck ./...
	cd config/verify && GOWORK=off $(GO) vet ./... && GOWORK=off $(TOOLS_BIN)/staticcheck ./...
	cd config/verify && GOWORK=off $(GO) mod tidy -diff >/dev/null
	cd config/validate && GOWORK=off $(GO) mod tidy -diff >/dev/null
	cd tools && GOWORK=off $(GO) mod verify >/dev/null

## tools: stripe-mock, the Cloud Tasks emulator, mailpit and staticcheck, pinned in tools/go.mod
tools: $(TEST_TOOLS) $(TOOLS_BIN)/staticcheck

$(TOOLS_BIN)/%: tools/go.mod tools/go.sum
	cd tools && GOWORK=off $(GO) build -o $(TOOLS_BIN)/ $$(GOWORK=off $(GO) list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' tool | grep "/$*$$")

clean:
	rm -rf $(TOOLS_BIN) .data
