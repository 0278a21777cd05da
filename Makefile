# The one test command (README, .ci/run): formatting, vet, staticcheck and
# every test against a real PostgreSQL and MinIO started by internal/testenv.
GO              ?= go
TOOLS           := $(CURDIR)/.tools
STATICCHECK_VER := v0.8.2
STATICCHECK     := $(TOOLS)/staticcheck-$(STATICCHECK_VER)/staticcheck

.PHONY: test fmt-check vet staticcheck unit build fuzz bench-backup test-torture

test: fmt-check vet staticcheck
	$(GO) test -count=1 -timeout 30m ./...

build:
	$(GO) build -o bin/restorectl ./cmd/restorectl

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# The test hooks (cmd/restorectl/testhooks_on.go) build only with their tag.
TESTHOOKS := -tags restorectl_testhooks
# So does the torture run (internal/torture), which only test-torture runs.
TORTURE := -tags torture

vet:
	$(GO) vet ./...
	$(GO) vet $(TESTHOOKS) ./cmd/restorectl
	$(GO) vet $(TORTURE) ./internal/torture

$(STATICCHECK):
	GOBIN=$(dir $@) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VER)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...
	$(STATICCHECK) $(TESTHOOKS) ./cmd/restorectl
	$(STATICCHECK) $(TORTURE) ./internal/torture

bench-backup:
	bench/backup.sh

# The torture run, opt-in and not part of test: PostgreSQL's regression
# database (its tests fetched once into .tools/) through every round trip,
# printing a table of pass/fail by check. About 15 minutes on two cores.
test-torture:
	$(GO) test $(TORTURE) -count=1 -v -timeout 60m ./internal/torture

# Each fuzz target for FUZZTIME; new failing inputs land in testdata/fuzz/
# beside the package, where `make test` replays them from then on.
FUZZTIME ?= 30s
FUZZ_TARGETS := internal/dump:FuzzConnString internal/backupjob:FuzzLoadProjects \
	internal/catalog:FuzzParseSnapshotKey internal/catalog:FuzzParseTime internal/catalog:FuzzParseAuditKey \
	internal/apply:FuzzParseSetval \
	internal/extract:FuzzReader internal/extract:FuzzSplitCopyRow internal/extract:FuzzParseName internal/termsafe:FuzzString internal/extract:FuzzVocabulary
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} ($(FUZZTIME))"; \
		$(GO) test ./$${t%%:*} -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME); \
	done
