#!/usr/bin/env bash
# Install the peer linters that `npm run bench:peers` compares broker-lint with, at pinned
# versions, into a cache outside the repository (reused by every worktree and by CI):
#   kube-score   Go module github.com/zegl/kube-score, built with the Go toolchain
#   checkov      PyPI package, in its own virtualenv, dependencies held to peers/checkov-constraints.txt
#   polaris      Go module github.com/fairwindsops/polaris (tried; the module proxy refuses it here)
#   kube-linter  Go module golang.stackrox.io/kube-linter (tried; the module proxy refuses it here)
# A tool already installed at its pinned version is reused. A tool that cannot be installed is
# reported with the reason and recorded in $PEERS/unavailable/<tool>, which the bench prints as
# "not installable here"; the script still installs the others and exits 0 (the comparison
# table is meant to show what could and could not be measured, not to stop on it).
#
# Usage: scripts/peers.sh            Environment: BROKER_PEERS_CACHE (cache root)
set -euo pipefail

KUBE_SCORE_VERSION=v1.20.0
CHECKOV_VERSION=3.3.30
# Not verifiable here: the proxy refuses every version of the module.
POLARIS_VERSION=v10.1.5
KUBE_LINTER_VERSION=v0.7.6

CONSTRAINTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/peers/checkov-constraints.txt"

PEERS="${BROKER_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/broker-platform/peers}"
BIN="$PEERS/bin"
mkdir -p "$BIN" "$PEERS/logs" "$PEERS/unavailable"

log() { printf '[peers] %s\n' "$*" >&2; }
available() { # tool version
	rm -f "$PEERS/unavailable/$1"
	printf '%s\n' "$2" >"$PEERS/version-$1"
	log "ok     $1 $2 ($BIN/$1)"
}
unavailable() { # tool reason
	rm -f "$BIN/$1" "$PEERS/version-$1"
	printf '%s\n' "$2" >"$PEERS/unavailable/$1"
	log "NOT INSTALLABLE HERE: $1: $2"
}
installed_at() { # tool version: true when the cached binary is the pinned one
	[ -x "$BIN/$1" ] || return 1
	# A Go binary records its module version; a marker file records the others'.
	if [ -n "$(go_bin)" ] && "$(go_bin)" version -m "$BIN/$1" 2>/dev/null | awk -v v="$2" '$1 == "mod" && $3 == v { f = 1 } END { exit !f }'; then
		return 0
	fi
	[ "$(cat "$PEERS/version-$1" 2>/dev/null)" = "$2" ]
}
go_bin() {
	if command -v go >/dev/null 2>&1; then command -v go; elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go; fi
}

# go install a command from the first module path the proxy serves (a module is published under
# more than one name, and the proxy treats case as part of the name); when none installs, record
# why for each path.
go_tool() { # tool version package-path...
	local tool="$1" version="$2" go log pkg reasons=()
	shift 2
	if installed_at "$tool" "$version"; then
		available "$tool" "$version"
		return 0
	fi
	go="$(go_bin)"
	if [ -z "$go" ]; then
		unavailable "$tool" "no Go toolchain to build $1"
		return 0
	fi
	log="$PEERS/logs/$tool.log"
	for pkg in "$@"; do
		log "build  $tool from $pkg@$version"
		if GOBIN="$BIN" GOFLAGS=-buildvcs=false CGO_ENABLED=0 "$go" install "$pkg@$version" >"$log" 2>&1; then
			available "$tool" "$version"
			return 0
		elif grep -q '403 Forbidden' "$log"; then
			reasons+=("the Go module proxy refuses $pkg (403 Forbidden)")
		else
			reasons+=("go install $pkg@$version failed: $(grep -m1 -E 'not found|error|go:' "$log" | cut -c1-240)")
		fi
	done
	local joined
	joined="$(printf '%s; ' "${reasons[@]}")"
	unavailable "$tool" "${joined%; }"
}

checkov() {
	local venv="$PEERS/checkov-venv" py log="$PEERS/logs/checkov.log"
	if [ -x "$BIN/checkov" ] && [ "$("$BIN/checkov" --version 2>/dev/null)" = "$CHECKOV_VERSION" ]; then
		available checkov "$CHECKOV_VERSION"
		return 0
	fi
	py="$(command -v python3 || true)"
	if [ -z "$py" ]; then
		unavailable checkov "no python3 to create a virtualenv"
		return 0
	fi
	log "pip    checkov==$CHECKOV_VERSION into $venv (a few minutes the first time)"
	rm -rf "$venv"
	if "$py" -m venv "$venv" >"$log" 2>&1 &&
		"$venv/bin/pip" install --disable-pip-version-check --quiet -c "$CONSTRAINTS" "checkov==$CHECKOV_VERSION" >>"$log" 2>&1 &&
		"$venv/bin/checkov" --version >>"$log" 2>&1; then
		ln -sf "$venv/bin/checkov" "$BIN/checkov"
		available checkov "$CHECKOV_VERSION"
	else
		unavailable checkov "pip install checkov==$CHECKOV_VERSION failed: $(tail -n 1 "$log" | cut -c1-240)"
	fi
}

go_tool kube-score "$KUBE_SCORE_VERSION" github.com/zegl/kube-score/cmd/kube-score
checkov
go_tool polaris "$POLARIS_VERSION" github.com/fairwindsops/polaris github.com/FairwindsOps/polaris
go_tool kube-linter "$KUBE_LINTER_VERSION" golang.stackrox.io/kube-linter/cmd/kube-linter github.com/stackrox/kube-linter/cmd/kube-linter

log "installed: $(ls "$BIN" | tr '\n' ' ')"
log "not installable here: $(ls "$PEERS/unavailable" | tr '\n' ' ')"
