#!/bin/sh
# /init of the test guest (busybox sh). The harness passes its instructions on
# the kernel command line:
#   harness.nonce=N          tag of every marker line (so no test output can fake one)
#   harness.suites=a:T,b:T   suites to run in order, each with a time limit T in seconds;
#                            suite 'a' runs the command in /harness/suites/a
#   harness.args=B64         base64 of extra words appended to every suite's command
#   harness.kmemleak=1       clear kmemleak before the suites, scan and print it after
#   harness.shell=1          after the suites, an interactive shell on the console
# Output contract (one line each, parsed by harness/pipeline/runner.py):
#   @@harness:N:init@@  @@harness:N:begin:a@@  ...  @@harness:N:end:a:rc=RC@@
#   @@harness:N:done@@ and then the guest powers off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/tmp TERM=vt100

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /root
/bin/busybox --install -s

mount -t proc proc /proc
mount -t sysfs sysfs /sys
# DEVTMPFS_MOUNT does not apply to an initramfs root.
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/hugepages
mount -t devpts devpts /dev/pts
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mount -t hugetlbfs hugetlbfs /dev/hugepages 2>/dev/null

# Value of harness.$1 on the kernel command line.
arg() {
	for word in $(cat /proc/cmdline); do
		case "$word" in
		harness.$1=*) echo "${word#*=}"; return ;;
		esac
	done
}

NONCE=$(arg nonce)
KMEMLEAK=/sys/kernel/debug/kmemleak
mark() { echo "@@harness:$NONCE:$1@@"; }

run_suite() {
	name=$1 limit=$2
	mark "begin:$name"
	if [ ! -r "/harness/suites/$name" ]; then
		echo "harness: suite $name is not in this initramfs"
		mark "end:$name:rc=127"
		return
	fi
	cd /tmp
	# TERM first so a kselftest can report; KILL 10 s later if it ignores it.
	timeout -s TERM -k 10 "$limit" sh -c "$(cat "/harness/suites/$name") $EXTRA_ARGS" </dev/null 2>&1
	rc=$?
	cd /
	mark "end:$name:rc=$rc"
}

kmemleak_report() {
	mark "begin:kmemleak"
	# kmemleak only reports objects older than 5 s; two scans to be sure a
	# freed-late object is not reported.
	sleep 6
	echo scan > "$KMEMLEAK"
	echo scan > "$KMEMLEAK"
	cat "$KMEMLEAK"
	mark "end:kmemleak:rc=0"
}

EXTRA_ARGS=
if [ -n "$(arg args)" ]; then
	EXTRA_ARGS=$(arg args | base64 -d)
fi
if [ "$(arg kmemleak)" = 1 ]; then
	if [ -w "$KMEMLEAK" ]; then
		echo clear > "$KMEMLEAK"
	else
		echo "harness: kmemleak requested but $KMEMLEAK is missing"
	fi
fi

mark init
for item in $(arg suites | tr ',' ' '); do
	run_suite "${item%%:*}" "${item#*:}"
done
if [ "$(arg kmemleak)" = 1 ] && [ -w "$KMEMLEAK" ]; then
	kmemleak_report
fi

if [ "$(arg shell)" = 1 ]; then
	echo "harness: shell in the guest; tests are in /tests. 'exit' powers off."
	setsid cttyhack sh -l
fi

mark done
sync
poweroff -f
sleep 10
