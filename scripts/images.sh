#!/usr/bin/env bash
# Stand-in images for the real nodes (cluster-up --real-nodes), built without a registry:
# root file systems from Debian's packages (mmdebstrap), each packed as a one-layer OCI image
# archive tagged exactly as the program names the image, cached outside the repository.
#
# They are stand-ins, not the official images: Debian's builds of the same server versions,
# laid out as the official images are where the program relies on it (uid/gid 999, PATH, HOME,
# the data and config paths, the default command). The official images are not exercised here.
#
# Usage: scripts/images.sh build     build what is missing (prints nothing else on stdout)
#        scripts/images.sh list      reference<TAB>archive of every image, once built
#        scripts/images.sh dir       the cache directory of this recipe
# Debian's mirror is the one this machine's apt sources name (no mirror is written here).
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# reference | Debian suite | packages | what the image is
BP_IMAGES=(
	"docker.io/library/rabbitmq:4.0.5-management|trixie|rabbitmq-server|RabbitMQ 4.0.5 on Erlang 27 with the management, prometheus and k8s peer discovery plugins"
	"docker.io/library/rabbitmq:4.3.6-management|sid|rabbitmq-server|RabbitMQ 4.3.6 on Erlang 29 (the >= 4.1 discovery path: seed = ordinal 0, no API access)"
	"docker.io/library/redis:7.0.15|bookworm|redis-server redis-sentinel redis-tools|Redis 7.0.15: redis-server, redis-sentinel, redis-cli"
	"docker.io/valkey/valkey:8.1.1|trixie|valkey-server valkey-sentinel valkey-tools|Valkey 8.1.1: valkey-server, valkey-sentinel, valkey-cli"
	"docker.io/broker-platform/e2e-client:1|bookworm|python3 python3-pika python3-redis redis-tools|the tests' client pod: AMQP (pika) and Redis with Sentinel (redis-py), redis-cli"
)
# The sandbox ("pause") image every pod starts with; containerd's sandbox_image names it.
BP_PAUSE_IMAGE="registry.k8s.io/pause:3.10.2-local"

images_key() {
	{
		echo "recipe=$BP_RECIPE_VERSION"
		cat "$BP_ROOT/scripts/images.sh" "$BP_ROOT/scripts/lib/oci-image.js"
		bp_pin kubernetes k8s.io/kubernetes
	} | sha256sum | cut -c1-16
}
IMAGES_DIR="$BP_CACHE_ROOT/images-$(images_key)"

archive_of() { # reference -> file name in the cache
	local r="${1#*/}"
	echo "$IMAGES_DIR/${r//[\/:]/_}.tar"
}

# The Debian mirror of this machine's apt sources (deb822 or one-line format).
debian_mirror() {
	local uri
	uri="$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{ print $2 }' | grep -v -- '-security' | head -n 1)"
	[ -n "$uri" ] || uri="$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{ print $2 }' | grep -v -- '-security' | head -n 1)"
	[ -n "$uri" ] || bp_die "no Debian mirror in this machine's apt sources (/etc/apt/sources.list*): the stand-in images are built from Debian's packages"
	echo "$uri"
}

# Inside the new root (run by mmdebstrap's customize hook, $1 = the root): the server's user and
# group moved to 999 as in the official images, no packaged cookie, no apt lists or docs, and a
# resolv.conf that points nowhere (the kubelet writes the pod's own).
customize_root() { # root user data-dirs...
	local root="$1" user="$2"
	shift 2
	if [ -n "$user" ]; then
		chroot "$root" groupmod -g 999 "$user"
		chroot "$root" usermod -u 999 -g 999 "$user"
		local d
		for d in "$@"; do
			mkdir -p "$root$d"
			chroot "$root" chown -R 999:999 "$d"
		done
	fi
	rm -f "$root/var/lib/rabbitmq/.erlang.cookie"
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
	: >"$root/etc/resolv.conf"
}

# Packages' versions must be the ones the tag promises: the mirror's snapshot decides.
check_version() { # root package version
	local got
	got="$(chroot "$1" dpkg-query -W -f '${Version}' "$2")"
	case "$got" in
	"$3" | "$3"-* | "$3"+* | [0-9]:"$3"-*) ;;
	*) bp_die "$2 in the built root is $got, but the image is tagged $3: the Debian mirror moved; change the tag (scripts/images.sh) and the test stacks" ;;
	esac
}

build_debian_image() { # reference suite packages
	local ref="$1" suite="$2" packages="$3" out tmp config
	out="$(archive_of "$ref")"
	[ -f "$out" ] && return 0
	tmp="$(mktemp -d "$IMAGES_DIR/.build-XXXXXX")"
	local hook
	case "$ref" in
	*/rabbitmq:*)
		local tag="${ref##*:}"
		hook="$(declare -f customize_root check_version bp_die); check_version \"\$1\" rabbitmq-server ${tag%-management}; customize_root \"\$1\" rabbitmq /var/lib/rabbitmq /var/log/rabbitmq /etc/rabbitmq"
		config='{"User":"999:999","Env":["PATH=/usr/lib/rabbitmq/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOME=/var/lib/rabbitmq","LANG=C.UTF-8","RABBITMQ_LOGS=-"],"Cmd":["rabbitmq-server"],"WorkingDir":"/var/lib/rabbitmq","ExposedPorts":{"5672/tcp":{},"15672/tcp":{},"15692/tcp":{},"4369/tcp":{},"25672/tcp":{}}}'
		;;
	*/redis:*)
		hook="$(declare -f customize_root check_version bp_die); check_version \"\$1\" redis-server ${ref##*:}; customize_root \"\$1\" redis /data"
		config='{"User":"999:999","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOME=/data"],"Cmd":["redis-server"],"WorkingDir":"/data","ExposedPorts":{"6379/tcp":{}}}'
		;;
	*/valkey:*)
		hook="$(declare -f customize_root check_version bp_die); check_version \"\$1\" valkey-server ${ref##*:}; customize_root \"\$1\" valkey /data"
		config='{"User":"999:999","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOME=/data"],"Cmd":["valkey-server"],"WorkingDir":"/data","ExposedPorts":{"6379/tcp":{}}}'
		;;
	*)
		hook="$(declare -f customize_root bp_die); customize_root \"\$1\" ''"
		config='{"User":"65534:65534","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOME=/tmp"],"Cmd":["sleep","infinity"],"WorkingDir":"/tmp"}'
		;;
	esac
	# Some suites' signed release files are past Valid-Until on a mirror snapshot.
	local aptopt=(--aptopt='Acquire::Check-Valid-Until "false"')
	bp_log "image  $ref: Debian $suite, $packages"
	if ! mmdebstrap --quiet --variant=minbase --include="${packages// /,}" "${aptopt[@]}" \
		--customize-hook="$hook" "$suite" "$tmp/rootfs.tar" "$(debian_mirror)" >"$tmp/mmdebstrap.log" 2>&1; then
		tail -n 30 "$tmp/mmdebstrap.log" >&2
		rm -rf "$tmp"
		bp_die "could not build the root of $ref (Debian $suite: $packages)"
	fi
	node "$BP_ROOT/scripts/lib/oci-image.js" "$tmp/rootfs.tar" "$out" "$ref" "$config"
	rm -rf "$tmp"
}

build_pause_image() {
	local out src tmp
	out="$(archive_of "$BP_PAUSE_IMAGE")"
	[ -f "$out" ] && return 0
	command -v gcc >/dev/null 2>&1 || bp_die "gcc is needed for the pause image (Debian: apt-get install -y gcc libc6-dev)"
	# The module's source (downloaded once into the Go module cache; the tools build shares it).
	local module
	module="$(cd "$BP_ROOT/tools/kubernetes" && "$(bp_find_go)" mod download -json k8s.io/kubernetes | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	src="$module/build/pause/linux/pause.c"
	[ -f "$src" ] || bp_die "pause.c not found in the k8s.io/kubernetes module ($src)"
	tmp="$(mktemp -d "$IMAGES_DIR/.build-XXXXXX")"
	mkdir -p "$tmp/root"
	gcc -Os -Wall -Werror -static -DVERSION="${BP_PAUSE_IMAGE##*:}" -o "$tmp/root/pause" "$src"
	tar -C "$tmp/root" --owner=0 --group=0 -cf "$tmp/rootfs.tar" pause
	node "$BP_ROOT/scripts/lib/oci-image.js" "$tmp/rootfs.tar" "$out" "$BP_PAUSE_IMAGE" '{"User":"65535:65535","Entrypoint":["/pause"]}'
	rm -rf "$tmp"
}

cmd_build() {
	command -v mmdebstrap >/dev/null 2>&1 || bp_die "mmdebstrap is needed to build the stand-in images (Debian: apt-get install -y mmdebstrap)"
	mkdir -p "$IMAGES_DIR"
	local t0 entry
	t0=$(date +%s)
	build_pause_image
	for entry in "${BP_IMAGES[@]}"; do
		IFS='|' read -r ref suite packages _ <<<"$entry"
		build_debian_image "$ref" "$suite" "$packages"
	done
	bp_log "images ready in $(($(date +%s) - t0))s ($IMAGES_DIR)"
}

cmd_list() {
	local entry ref
	for entry in "$BP_PAUSE_IMAGE|" "${BP_IMAGES[@]}"; do
		ref="${entry%%|*}"
		[ -f "$(archive_of "$ref")" ] || bp_die "image $ref is not built: run npm run tools -- images"
		printf '%s\t%s\n' "$ref" "$(archive_of "$ref")"
	done
}

case "${1:-build}" in
build) cmd_build ;;
list) cmd_list ;;
dir) echo "$IMAGES_DIR" ;;
pause) echo "$BP_PAUSE_IMAGE" ;;
*) bp_die "usage: scripts/images.sh build|list|dir|pause" ;;
esac
