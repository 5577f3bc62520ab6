# Build, boot and test pipeline of our iommufd for Linux 6.12 (see README.md).
# Every target first installs missing Debian packages (no apt call when none
# is missing), then hands over to harness/main.py (run as the module
# harness.main, from this directory).
#
# Variables (also read from the environment):
#   PROFILE=normal|debug   kernel profile (make kernel/test/shell)
#   VARIANT=ours|stock     our iommufd, or the base tree's own (default ours)
#   SUITE=name             suite of harness/suites.conf (make test)
#   SEED= SECONDS= THREADS= the fuzzer's seed, run time and threads (make fuzz)
#   SCENARIO= SECONDS= THREADS= stress scenarios (comma list, default all),
#                          seconds each and threads (make stress)
#   ARGS='...'             extra arguments for the suite's program (make test)
#   MACHINE=q35|q35-vtd|virt-smmuv3...  machine of harness/machines.py (make shell)
#   IOMMUFD_CACHE=dir      cache (default ~/.cache/iommufd-6.12)
#   IOMMUFD_KVM=1          use KVM if /dev/kvm works (default: TCG)
#   V=1                    show build and console output
#   CONFORMANCE_SRC=dir    make conformance: later upstream selftests from dir
#                          (a kernel-shaped tree outside the clone; README.md)

PYTHON := $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3) -B
# .ci/run runs 'check' with this same command, without make (see there).
HARNESS := $(PYTHON) -m harness.main

export PROFILE VARIANT SUITE ARGS MACHINE V CONFORMANCE_SRC SEED SECONDS THREADS SCENARIO

.PHONY: help deps check run build kernel test conformance shell lint tree series bench fuzz stress clean

help:
	@echo 'make run      build the kernels, boot QEMU, run the demos'
	@echo 'make check    lint + normal + debug kernels and all check suites'
	@echo 'make build    both kernels and their test programs'
	@echo 'make kernel   PROFILE=normal|debug'
	@echo 'make test     SUITE=core PROFILE=normal ARGS="-r fixture.test"'
	@echo 'make conformance  the base tree'"'"'s upstream selftests on our kernel (PROFILE, VARIANT)'
	@echo 'make shell    MACHINE=q35 PROFILE=normal: a shell in the guest'
	@echo 'make lint     checkpatch, sparse, W=1, kernel-doc, abi-check'
	@echo 'make series   git format-patch series against the base tree'
	@echo 'make bench    our iommufd against stock and VFIO type1 (a benchmark)'
	@echo 'make fuzz     SEED=1 SECONDS=600 THREADS=4: the ioctl fuzzer on the debug kernel'
	@echo 'make stress   SCENARIO= SECONDS=60 THREADS=4: race scenarios on the debug kernel'
	@echo 'make clean    remove build outputs (keeps the pristine base and ccache)'

# The later upstream selftests of CONFORMANCE_SRC link libcap statically.
deps:
	@bash harness/deps.sh $(if $(CONFORMANCE_SRC),libcap-dev)

# The harness's exit status is the target's: non-zero when anything failed,
# and then make adds its own 'make: *** [...] Error 1' line (on stderr) after
# the harness's last line.
check run build kernel test conformance lint tree series bench fuzz stress clean: deps
	@$(HARNESS) $@

# Interactive: QEMU needs the terminal, so no output redirection here.
shell: deps
	@$(HARNESS) shell
