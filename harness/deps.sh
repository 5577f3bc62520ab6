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
	rsync git patchutils patch
)

missing_packages() {
	local pkg status
	for pkg in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[ "$status" = installed ] || echo "$pkg"
	done
}

main() {
	PACKAGES+=("$@")
	local missing
	missing=$(missing_packages)
	[ -n "$missing" ] || return 0
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing packages (need root to install):" $missing >&2
		return 1
	fi
	echo "deps: installing:" $missing
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q </dev/null
	# shellcheck disable=SC2086 # one word per package
	apt-get install -y -q --no-install-recommends $missing </dev/null
}

main "$@"
