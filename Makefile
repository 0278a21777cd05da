# The one test command (README, .ci/run): formatting, vet, staticcheck and
# every test against a real PostgreSQL and MinIO started by internal/testenv.
GO              ?= go
TOOLS           := $(CURDIR)/.tools
STATICCHECK_VER := v0.8.2
STATICCHECK     := $(TOOLS)/staticcheck-$(STATICCHECK_VER)/staticcheck

.PHONY: test fmt-check vet staticcheck unit build fuzz bench-backup

test: fmt-check vet staticcheck
	$(GO) test -count=1 -timeout 30m ./...

build:
	$(GO) build -o bin/restorectl ./cmd/restorectl

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# The test hooks (cmd/restorectl/testhooks_on.go) build only with their tag.
TESTHOOKS := -tags restorectl_testhooks

vet:
	$(GO) vet ./...
	$(GO) vet $(TESTHOOKS) ./cmd/restorectl

$(STATICCHECK):
	GOBIN=$(dir $@) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VER)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...
	$(STATICCHECK) $(TESTHOOKS) ./cmd/restorectl

bench-backup:
	bench/backup.sh

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
