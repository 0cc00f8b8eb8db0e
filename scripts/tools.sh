#!/usr/bin/env bash
# Build, or reuse from the cache, the binaries of the local end-to-end tier:
#   pulumi CLI, pulumi-language-nodejs, pulumi-resource-kubernetes, pulumi-resource-random,
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok.
# Everything is built with the Go toolchain from pinned module versions (tools/*/go.mod)
# and cached outside the repository, keyed by the pins and the Go version.
#
# Usage: scripts/tools.sh [GROUP...]      (default: every group)
#   groups: pulumi kubernetes etcd kwok language-nodejs provider-kubernetes provider-random
#   "cluster" is shorthand for: kubernetes etcd kwok
#
# Exits non-zero, naming every tool that could not be built and why, when any requested
# group fails; the groups that can be built are still built first.
# Environment: BROKER_TOOLS_CACHE (cache root), BROKER_TOOLS_JOBS (go build -p, default 2).
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

GO="$(bp_find_go)"
export PATH="$(dirname "$GO"):$PATH"
JOBS="${BROKER_TOOLS_JOBS:-2}"
# Pulumi's own modules at this release are not in the public checksum database yet;
# their hashes are pinned in tools/*/go.sum instead.
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi"
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
export CGO_ENABLED=0

FAILED=()
declare -A FAIL_REASON=()
T_TOTAL_START=$(date +%s)

fail_group() { # group reason
	FAILED+=("$1")
	FAIL_REASON[$1]="$2"
	bp_log "FAILED $1: $2"
}

# go build one main package of a tools module into the group's cache directory.
# Prints the build time; reuses an existing binary.
build_bin() { # group binary package ldflags
	local g="$1" bin="$2" pkg="$3" ld="$4" dir out log t0 t1
	dir="$(bp_group_dir "$g")"
	out="$dir/bin/$bin"
	if [ -x "$out" ]; then
		bp_log "reuse  $bin ($out)"
		return 0
	fi
	mkdir -p "$dir/bin" "$dir/logs"
	log="$dir/logs/$bin.log"
	bp_log "build  $bin from $pkg (log: $log)"
	t0=$(date +%s)
	if ! (cd "$BP_ROOT/tools/$g" && "$GO" build -p "$JOBS" -trimpath -ldflags "-s -w $ld" -o "$out.tmp" "$pkg") >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		rm -f "$out.tmp"
		return 1
	fi
	mv "$out.tmp" "$out"
	t1=$(date +%s)
	printf '%s\t%s\t%ss\n' "$bin" "$(bp_go_version)" "$((t1 - t0))" >>"$dir/timings.tsv"
	bp_log "built  $bin in $((t1 - t0))s"
}

group_pulumi() {
	local v
	v="$(bp_pin pulumi github.com/pulumi/pulumi/pkg/v3)"
	build_bin pulumi pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
		"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v"
}

group_kubernetes() {
	local v ld
	v="$(bp_pin kubernetes k8s.io/kubernetes)"
	# What hack/lib/version.sh stamps, so `kubectl version` and /version report the release.
	ld="-X k8s.io/component-base/version.gitVersion=$v -X k8s.io/component-base/version.gitTreeState=clean"
	ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$v -X k8s.io/client-go/pkg/version.gitTreeState=clean"
	local b
	for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
		build_bin kubernetes "$b" "k8s.io/kubernetes/cmd/$b" "$ld" || return 1
	done
}

group_etcd() {
	build_bin etcd etcd go.etcd.io/etcd/server/v3 ""
}

group_kwok() {
	local v dir src
	v="$(bp_pin kwok sigs.k8s.io/kwok)"
	build_bin kwok kwok sigs.k8s.io/kwok/cmd/kwok "-X sigs.k8s.io/kwok/pkg/consts.Version=${v#v}" || return 1
	# kwok needs Stage objects to move nodes and pods through their lifecycle; use the
	# "fast" stages that ship in the same module release.
	dir="$(bp_group_dir kwok)"
	if [ ! -f "$dir/stages.yaml" ]; then
		src="$(cd "$BP_ROOT/tools/kwok" && "$GO" list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
		[ -d "$src/kustomize/stage" ] || return 1
		{
			for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
				pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
				echo "---"
				grep -v '^---$' "$src/kustomize/stage/$f"
			done
		} >"$dir/stages.yaml.tmp"
		mv "$dir/stages.yaml.tmp" "$dir/stages.yaml"
	fi
}

# Build a program from a module's own source tree, the way its upstream Makefile does
# (go generate for the embedded schema, then go build with the version stamped).
# The module cache is read-only, so the source is copied to a scratch directory first.
# The recipe (tools/<group>/recipe.env) names MODULE, VERSION, CMD (package dir in the
# module), BINARY, VERSION_VAR and VERSION_VALUE (the -X link-time version), GENERATE
# (1: run go generate in CMD first) and REPLACES (go mod edit -replace arguments that
# restate the module's repository-relative replace directives with published modules).
# shellcheck disable=SC1090
recipe() { # group
	MODULE="" VERSION="" CMD="" VERSION_VAR="" VERSION_VALUE="" BINARY="" REPLACES="" GENERATE=""
	source "$BP_ROOT/tools/$1/recipe.env"
}

build_from_module_source() { # group
	local g="$1"
	recipe "$g"
	local dir out json srcdir tmp log t0 t1 r
	dir="$(bp_group_dir "$g")"
	out="$dir/bin/$BINARY"
	if [ -x "$out" ]; then
		bp_log "reuse  $BINARY ($out)"
		return 0
	fi
	mkdir -p "$dir/bin" "$dir/logs"
	log="$dir/logs/$BINARY.log"
	t0=$(date +%s)
	bp_log "fetch  $MODULE@$VERSION"
	json="$(cd "$BP_ROOT/tools/$g" && GOFLAGS=-mod=mod "$GO" mod download -json "$MODULE@$VERSION" 2>&1 || true)"
	srcdir="$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
	if [ -z "$srcdir" ] || [ ! -d "$srcdir" ]; then
		printf '%s\n' "$json" >"$log"
		LAST_REASON="the Go module proxy did not serve $MODULE@$VERSION: $(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",*$/\1/p' | sed 's/\\n\\t/ /g' | head -c 400)"
		return 1
	fi
	tmp="$(mktemp -d)"
	cp -R "$srcdir/." "$tmp/src"
	chmod -R u+w "$tmp/src"
	for r in $REPLACES; do
		(cd "$tmp/src" && "$GO" mod edit -replace "$r")
	done
	bp_log "build  $BINARY from $MODULE@$VERSION (log: $log)"
	if ! (
		cd "$tmp/src" &&
			{ [ "$GENERATE" != 1 ] || VERSION="${VERSION#v}" GOFLAGS=-mod=mod "$GO" generate "./$CMD"; } &&
			GOFLAGS=-mod=mod "$GO" build -p "$JOBS" -trimpath \
				-ldflags "-s -w -X $VERSION_VAR=$VERSION_VALUE" -o "$out.tmp" "./$CMD"
	) >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		rm -rf "$tmp" "$out.tmp"
		LAST_REASON="building $BINARY from $MODULE@$VERSION failed (see $log)"
		return 1
	fi
	rm -rf "$tmp"
	mv "$out.tmp" "$out"
	t1=$(date +%s)
	printf '%s\t%s\t%ss\n' "$BINARY" "$(bp_go_version)" "$((t1 - t0))" >>"$dir/timings.tsv"
	bp_log "built  $BINARY in $((t1 - t0))s"
}

group_language-nodejs() { build_from_module_source language-nodejs; }
group_provider-kubernetes() { build_from_module_source provider-kubernetes; }
group_provider-random() { build_from_module_source provider-random; }

# The provider versions must be exactly those of the npm SDKs in the lock file: the engine
# asks for the plugin version the SDK names.
check_lock_pins() {
	local lockv pinv pkg g
	for pair in "@pulumi/kubernetes:provider-kubernetes" "@pulumi/random:provider-random"; do
		pkg="${pair%%:*}" g="${pair#*:}"
		lockv="$(node -e "const l=require('$BP_ROOT/package-lock.json');const p=l.packages['node_modules/$pkg'];console.log(p?p.version:'')")"
		recipe "$g"
		pinv="${VERSION#v}"
		if [ -n "$lockv" ] && [ "$lockv" != "$pinv" ]; then
			bp_die "tools/$g pins $pinv but package-lock.json has $pkg $lockv: update tools/$g/recipe.env"
		fi
	done
	lockv="$(node -e "const l=require('$BP_ROOT/package-lock.json');console.log(l.packages['node_modules/@pulumi/pulumi'].version)")"
	pinv="$(bp_pin pulumi github.com/pulumi/pulumi/pkg/v3)"
	if [ "$(printf '%s\n%s\n' "$lockv" "${pinv#v}" | sort -V | head -n1)" != "$lockv" ]; then
		bp_die "tools/pulumi builds pulumi ${pinv#v}, older than @pulumi/pulumi $lockv in package-lock.json"
	fi
}

# Install the provider binaries as plugins of the project-local PULUMI_HOME, so the engine
# finds them and never downloads.
install_plugins() {
	local pulumi
	pulumi="$(bp_bin pulumi pulumi)"
	[ -n "$pulumi" ] || return 0
	local g name
	for g in provider-kubernetes provider-random; do
		recipe "$g"
		[ -x "$(bp_group_dir "$g")/bin/$BINARY" ] || continue
		name="${BINARY#pulumi-resource-}"
		if [ ! -x "$BP_PULUMI_HOME/plugins/resource-$name-v${VERSION#v}/$BINARY" ]; then
			bp_log "plugin install resource $name ${VERSION#v} into $BP_PULUMI_HOME"
			PULUMI_HOME="$BP_PULUMI_HOME" PULUMI_SKIP_UPDATE_CHECK=true \
				"$pulumi" plugin install resource "$name" "${VERSION#v}" --file "$(bp_group_dir "$g")/bin/$BINARY" >&2 ||
				fail_group "$g" "pulumi plugin install resource $name failed"
		fi
	done
}

main() {
	local want=() g
	if [ $# -eq 0 ]; then
		want=("${BP_GROUPS[@]}")
	fi
	for g in "$@"; do
		case "$g" in
		cluster) want+=(kubernetes etcd kwok) ;;
		*) want+=("$g") ;;
		esac
	done
	for g in "${want[@]}"; do
		[ -d "$BP_ROOT/tools/$g" ] || bp_die "unknown tool group: $g (known: ${BP_GROUPS[*]} cluster)"
	done
	check_lock_pins
	bp_log "Go: $(bp_go_version); cache: $BP_CACHE_ROOT"
	for g in "${want[@]}"; do
		LAST_REASON=""
		if ! "group_$g"; then
			fail_group "$g" "${LAST_REASON:-build failed, see $(bp_group_dir "$g")/logs}"
		fi
	done
	install_plugins
	bp_log "tools done in $(($(date +%s) - T_TOTAL_START))s"
	if [ ${#FAILED[@]} -gt 0 ]; then
		{
			echo
			echo "These tools could not be built, so the end-to-end tier cannot run:"
			for g in "${FAILED[@]}"; do
				echo "  - $g: ${FAIL_REASON[$g]}"
			done
		} >&2
		exit 1
	fi
}

main "$@"
