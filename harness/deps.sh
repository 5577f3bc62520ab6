#!/bin/bash
# Install the Debian packages the pipeline needs, and nothing when they are all
# there already: a warm run must not touch apt (slow, and needs the mirror).
# Runs as root without stdin (CI); on a fresh Debian 12 this is the first step,
# before make or python3 exist, so it must stay plain bash.
set -euo pipefail

# Why each one is here:
#  linux-source-6.12      the base tree (/usr/src/linux-source-6.12.tar.xz)
#  build-essential gcc make libc6-dev   kernel + static user programs (libc.a)
#  bc bison flex libelf-dev libssl-dev kmod cpio xz-utils   kernel build
#  ccache                 warm rebuilds and the W=1 lint recompile
#  sparse                 lint (make C=2)
#  perl                   checkpatch.pl, kernel-doc
#  python3                the harness itself (stdlib only)
#  qemu-system-x86        boots the test kernel (TCG)
#  busybox-static         the guest's userland
#  qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross
#                         the arm64 kernel (cross-built), its static user
#                         programs (arm64 libc.a) and its machines
#  rsync                  kselftest lib.mk 'install' target
#  git patchutils patch   patches/ and 'make series'
# Arguments name further packages needed only by the target at hand (make
# conformance CONFORMANCE_SRC=...: libcap-dev, for later upstream selftests).
PACKAGES=(
	linux-source-6.12
	build-essential gcc make libc6-dev
	bc bison flex libelf-dev libssl-dev kmod cpio xz-utils gzip
	ccache sparse perl python3
	qemu-system-x86 busybox-static
	qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	rsync git patchutils patch
)

missing_packages() {
	local pkg status
	for pkg in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[ "$status" = installed ] || echo "$pkg"
	done
}

# The arm64 guest's userland: Debian's arm64 busybox-static, unpacked where
# harness/machines.py (ARCHES['arm64']['busybox']) looks for it.  It is
# fetched with apt-get download for arm64 into a private package list and
# cache, so dpkg does not gain the arm64 architecture and the host's own
# apt state is left as it was.
ARM64_BUSYBOX_DIR=/opt/busybox-arm64

fetch_arm64_busybox() {
	local work opts
	work=$(mktemp -d)
	mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
	opts=(-q -o APT::Architecture=arm64 -o APT::Architectures=arm64
	      -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache"
	      -o APT::Sandbox::User=root)
	echo "deps: fetching the arm64 busybox-static into $ARM64_BUSYBOX_DIR"
	(cd "$work" && apt-get "${opts[@]}" update </dev/null >/dev/null &&
	 apt-get "${opts[@]}" download busybox-static </dev/null >/dev/null) || {
		rm -rf "$work"
		return 1
	}
	rm -rf "$ARM64_BUSYBOX_DIR.new"
	dpkg -x "$work"/busybox-static_*_arm64.deb "$ARM64_BUSYBOX_DIR.new"
	rm -rf "$work" "$ARM64_BUSYBOX_DIR"
	mv "$ARM64_BUSYBOX_DIR.new" "$ARM64_BUSYBOX_DIR"
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "deps: $* (need root)" >&2
		return 1
	fi
}

main() {
	PACKAGES+=("$@")
	local missing
	missing=$(missing_packages)
	if [ -n "$missing" ]; then
		need_root "missing packages:" $missing
		echo "deps: installing:" $missing
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q </dev/null
		# shellcheck disable=SC2086 # one word per package
		apt-get install -y -q --no-install-recommends $missing </dev/null
	fi
	# Only the arm64 suites need it: without root, say so and go on.
	if [ ! -x "$ARM64_BUSYBOX_DIR/bin/busybox" ]; then
		need_root "no arm64 busybox in $ARM64_BUSYBOX_DIR" || return 0
		fetch_arm64_busybox
	fi
}

main "$@"
