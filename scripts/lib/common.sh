# Shared settings of the local-cluster scripts. Sourced, never run.
#
# Everything here is derived from the repository (pinned versions in tools/*/go.mod)
# and a few overridable environment variables:
#   BROKER_TOOLS_CACHE   where built binaries are cached (default: $XDG_CACHE_HOME or
#                        ~/.cache, then broker-platform/tools). Outside the repository so
#                        that a fresh clone, another worktree or CI reuses them.
#   BROKER_CLUSTER_DIR   state of the local control plane (default: <repo>/.cache/cluster)
#   BROKER_PULUMI_DIR    the local file backend `npm run env` points Pulumi at (default: <repo>/.pulumi)
#   PULUMI_CONFIG_PASSPHRASE  passphrase of the local secrets provider

set -euo pipefail

BP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Bump when a build recipe changes in a way that must invalidate cached binaries.
BP_RECIPE_VERSION=1

bp_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
bp_die() {
	printf '\nERROR: %s\n\n' "$*" >&2
	exit 1
}

bp_find_go() {
	if command -v go >/dev/null 2>&1; then
		command -v go
	elif [ -x /usr/local/go/bin/go ]; then
		echo /usr/local/go/bin/go
	else
		bp_die "no Go toolchain found (need Go >= 1.26 on PATH or in /usr/local/go/bin): the local-cluster tools are built from Go modules"
	fi
}

BP_CACHE_ROOT="${BROKER_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/broker-platform/tools}"
BP_CLUSTER_DIR="${BROKER_CLUSTER_DIR:-$BP_ROOT/.cache/cluster}"
BP_PULUMI_DIR="${BROKER_PULUMI_DIR:-$BP_ROOT/.pulumi}"
BP_PULUMI_STATE="$BP_PULUMI_DIR/state"
BP_PASSPHRASE_DEFAULT="broker-platform-local"

# The tool groups. Each is one Go module under tools/ and is cached under its own key,
# so bumping one pin rebuilds only that group.
BP_GROUPS=(kubernetes etcd kwok coredns)

# Go version string, computed once.
bp_go_version() {
	if [ -z "${BP_GO_VERSION:-}" ]; then
		BP_GO_VERSION="$("$(bp_find_go)" env GOVERSION)"
	fi
	echo "$BP_GO_VERSION"
}

# Pinned version of a module in a tools module's go.mod (require or replace target).
bp_pin() { # group module
	awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' \
		"$BP_ROOT/tools/$1/go.mod"
}

# Cache key of a group: Go version, the group's go.mod/go.sum and recipe files, recipe version.
bp_group_key() { # group
	local g="$1"
	{
		echo "recipe=$BP_RECIPE_VERSION"
		bp_go_version
		# shellcheck disable=SC2012
		for f in $(ls "$BP_ROOT/tools/$g" | sort); do
			case "$f" in
			*.md) ;;
			*) echo "== $f" && cat "$BP_ROOT/tools/$g/$f" ;;
			esac
		done
	} | sha256sum | cut -c1-16
}

bp_group_dir() { echo "$BP_CACHE_ROOT/$1-$(bp_group_key "$1")"; }

# Directory holding a built binary, or nothing if it is not built yet.
bp_bin() { # group binary
	local p
	p="$(bp_group_dir "$1")/bin/$2"
	[ -x "$p" ] && echo "$p"
	return 0
}

bp_require_bin() { # group binary
	local p
	p="$(bp_bin "$1" "$2")"
	[ -n "$p" ] || bp_die "$2 is not built (looked in $(bp_group_dir "$1")/bin). Run: npm run tools"
	echo "$p"
}
