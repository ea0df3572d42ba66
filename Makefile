# OpsIQ — the two commands a newcomer needs:
#   make run    build and start OpsIQ on http://127.0.0.1:8080 (embedded SQLite under ./var)
#   make test   the whole test suite, storage contract suite on SQLite and a private MariaDB
#
# Other targets: make build | make bench | make deps | make clean | make help
# The work is done by scripts/*.sh (so that traps can always stop the private MariaDB).

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Debian packages (installed only when missing, by scripts/install-deps.sh).
# Keep in step with the defaults in scripts/install-deps.sh.
DEB_PACKAGES      := libmariadb-dev libssl-dev libcurl4-openssl-dev libgeoip-dev geoip-database libargon2-dev libsqlite3-dev pkg-config git ca-certificates
TEST_DEB_PACKAGES := mariadb-server chromium chromium-driver python3-aiosmtpd dovecot-imapd php-cli nodejs
export DEB_PACKAGES TEST_DEB_PACKAGES

# Extra arguments: `make test ARGS="--filter StorageContract"`, `make bench ARGS="..."`.
ARGS ?=

.PHONY: help run test build bench bench-beacon bench-tickets bench-webhooks bench-mail deps clean

help:
	@echo "make run     build (release) and start opsiq-web on http://127.0.0.1:8080 with embedded SQLite"
	@echo "make test    install test deps, start a private MariaDB, run swift build --build-tests + swift test"
	@echo "make build   build opsiq-web, opsiq-worker and opsiq-admin in release mode (.build/release/)"
	@echo "make bench   run the benchmarks (opsiq-bench all) against SQLite and a private MariaDB"
	@echo "make bench-beacon  the beacon ingestion benchmark (wrk; nginx and trivial-route baselines; MariaDB restart)"
	@echo "make bench-tickets the ticket queue benchmark (100,000 tickets; SQLite and a private MariaDB)"
	@echo "make bench-webhooks signed webhook deliveries/s beside plain POSTs, and outbox-to-delivery lag at 200 events/s"
	@echo "make bench-mail    the IMAP import benchmark (10,000 emails; a private Dovecot, SQLite and a private MariaDB)"
	@echo "make deps    install the missing Debian packages (build + test)"
	@echo "make clean   remove the build folder (.build); keeps ./var (your local data)"

run:
	@exec scripts/run.sh

test:
	@scripts/test.sh $(ARGS)

build:
	@scripts/build.sh

bench:
	@scripts/bench.sh $(ARGS)

bench-beacon:
	@bash bench/beacon/run.sh

bench-tickets:
	@scripts/bench.sh tickets $(ARGS)

bench-webhooks:
	@scripts/bench.sh webhooks $(ARGS)
bench-mail:
	@scripts/bench.sh mail $(ARGS)

deps:
	@scripts/install-deps.sh --test

clean:
	rm -rf .build
