# Backup Desk — the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: help run test check-windows bench bench-idle lint fmt bindings deps app ui package

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

run: ## Install what is missing, build, and open the desktop app (demo provider when no account)
	scripts/deps.sh run
	npm --prefix ui run build
	scripts/release-build.sh
	BACKUP_DESK_DEMO=1 ./target/release/backup-desk-app

test: ## Install what tests need, then run every check and test; ends with "N passed, N failed"
	scripts/test.sh

check-windows: ## Cross-build for Windows (mingw-w64), run the core tests and a demo download under Wine
	scripts/check-windows.sh

bench: ## Benchmarks (the engine vs OpenSSH sftp, rclone, lftp on emulated links; QUICK=1: a few minutes); tables, target/bench/*.json
	scripts/deps.sh bench
	scripts/bench.sh

bench-idle: ## Idle CPU and RSS of the release app in the tray with automatic mode on (IDLE_SECONDS=600)
	scripts/deps.sh test
	npm --prefix ui run build
	scripts/release-build.sh
	scripts/bench-idle.sh

package: ## Installable .deb and .rpm (app, CLI, desktop entry, icons, systemd user timer), offline
	scripts/deps.sh run
	scripts/package.sh

lint: ## Format check, clippy, UI type check and lint
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	npm --prefix ui run check
	npm --prefix ui run lint

bindings: ## Regenerate ui/src/lib/bindings.ts from the Rust views (make test fails when it is stale)
	UPDATE_BINDINGS=1 cargo test -p backup-desk-app --lib bindings_are_committed_and_current

fmt: ## Format Rust and UI sources
	cargo fmt --all
	npm --prefix ui exec -- eslint . --fix
