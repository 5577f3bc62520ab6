"""Machines, kernel architectures and build profiles: data, not code.

Adding a machine is one entry in MACHINES (and, for a new architecture, one in
ARCHES plus a configs/<arch>.config fragment); a suite then names it in
harness/suites.conf.
"""

# How to build for an architecture and what the guest runs there.
ARCHES = {
    'x86_64': {
        'make_args': [],                     # native build (64BIT=y comes from the fragment)
        'image': 'arch/x86/boot/bzImage',    # relative to the kernel out dir
        'user_cc': 'gcc -static',
        'busybox': '/bin/busybox',           # busybox-static
        'qemu': 'qemu-system-x86_64',
    },
    # Example (not built today): arm64 needs the cross gcc and an arm64
    # busybox-static unpacked with 'apt-get download -o APT::Architecture=arm64'
    # + 'dpkg -x' (see shared/design/platform-notes.md).
    # 'arm64': {
    #     'make_args': ['ARCH=arm64', 'CROSS_COMPILE=aarch64-linux-gnu-'],
    #     'image': 'arch/arm64/boot/Image',
    #     'user_cc': 'aarch64-linux-gnu-gcc -static',
    #     'busybox': '/opt/busybox-arm64/bin/busybox',
    #     'qemu': 'qemu-system-aarch64',
    # },
}

# A machine: QEMU arguments and the kernel command-line additions it needs.
# Accelerator, memory, CPUs, console and -kernel/-initrd are added by the runner
# (TCG unless IOMMUFD_KVM=1 and /dev/kvm works).
MACHINES = {
    # No hardware IOMMU: the mock IOMMU of IOMMUFD_TEST only probes when no
    # real IOMMU driver claims its devices first.
    'q35': {
        'arch': 'x86_64',
        'machine': ['-M', 'q35'],
        'cpu': 'max',
        'devices': [],
        'cmdline': [],
        'memory': '2G',
        'smp': 2,
    },
    # Emulated VT-d with interrupt remapping, and the 'edu' PCI device to DMA with.
    'q35-vtd': {
        'arch': 'x86_64',
        'machine': ['-M', 'q35,kernel-irqchip=split'],
        'cpu': 'max',
        'devices': ['-device', 'intel-iommu,intremap=on,caching-mode=on',
                    '-device', 'edu'],
        'cmdline': ['intel_iommu=on'],
        'memory': '2G',
        'smp': 2,
    },
    # q35-vtd with the IOMMU in scalable mode (x-scalable-mode) and
    # PASID-tagged translation offered (x-pasid-mode): the kernel then gives
    # every device a PASID table, whose entries can each hold a domain.
    # QEMU 7.2 has no first-stage tables, so every domain is second-stage.
    'q35-vtd-sm': {
        'arch': 'x86_64',
        'machine': ['-M', 'q35,kernel-irqchip=split'],
        'cpu': 'max',
        'devices': ['-device', 'intel-iommu,intremap=on,caching-mode=on,'
                    'x-scalable-mode=on,x-pasid-mode=on',
                    '-device', 'edu'],
        'cmdline': ['intel_iommu=on'],
        'memory': '2G',
        'smp': 2,
    },
    # q35-vtd with two edu devices behind a conventional PCI bridge: the
    # bridge forwards their DMA under its own requester ID, so the IOMMU
    # cannot tell them apart and puts both (and the bridge) in one group.
    'q35-vtd-group': {
        'arch': 'x86_64',
        'machine': ['-M', 'q35,kernel-irqchip=split'],
        'cpu': 'max',
        'devices': ['-device', 'intel-iommu,intremap=on,caching-mode=on',
                    '-device', 'pci-bridge,id=br0,chassis_nr=1',
                    '-device', 'edu,bus=br0,addr=1',
                    '-device', 'edu,bus=br0,addr=2'],
        'cmdline': ['intel_iommu=on'],
        'memory': '2G',
        'smp': 2,
    },
    # q35-vtd whose guest also carries the host's QEMU (harness/pipeline/
    # bundle.py appends it to the initramfs), to run it there as an
    # unmodified VMM that passes edu through with vfio-pci.
    'q35-vtd-vmm': {
        'arch': 'x86_64',
        'machine': ['-M', 'q35,kernel-irqchip=split'],
        'cpu': 'max',
        'devices': ['-device', 'intel-iommu,intremap=on,caching-mode=on',
                    '-device', 'edu'],
        'cmdline': ['intel_iommu=on'],
        'memory': '2G',
        'smp': 2,
        'bundles': ['qemu-x86_64'],
    },
    # AMD-Vi with interrupt remapping.  QEMU wants the IOMMU before the
    # devices it translates for.  It raises no event for a refused DMA, so
    # there the proof of a block is the data alone.
    'q35-amd': {
        'arch': 'x86_64',
        'machine': ['-M', 'q35,kernel-irqchip=split'],
        'cpu': 'max',
        'devices': ['-device', 'amd-iommu,intremap=on', '-device', 'edu'],
        'cmdline': ['amd_iommu=on'],
        'memory': '2G',
        'smp': 2,
    },
    # virtio-iommu, the paravirtual IOMMU.  It cannot remap interrupts, so
    # VFIO binds a device behind it only when told that MSIs need no
    # isolation here: iommufd for the cdev and its container, type1 for
    # VFIO's own container.
    'q35-virtio': {
        'arch': 'x86_64',
        'machine': ['-M', 'q35'],
        'cpu': 'max',
        'devices': ['-device', 'virtio-iommu-pci', '-device', 'edu'],
        'cmdline': ['iommufd.allow_unsafe_interrupts=1',
                    'vfio_iommu_type1.allow_unsafe_interrupts=1'],
        'memory': '2G',
        'smp': 2,
    },
}

# Build profiles: config fragments (in configs/, '{arch}' is replaced), whether
# the guest does a kmemleak scan after the suites, how much slower the suites
# run (scales every suite's timeout) and the kernel command-line additions.
PROFILES = {
    'normal': {
        'fragments': ['{arch}.config'],
        'kmemleak': False,
        'timeout_factor': 1,
        'boot_margin': 180,
        'cmdline': [],
    },
    'debug': {
        'fragments': ['{arch}.config', 'debug.config'],
        'kmemleak': True,
        'timeout_factor': 4,
        'boot_margin': 600,
        # TCG on a loaded host stalls vCPUs for seconds: keep the soft-lockup
        # and RCU-stall detectors for real hangs only.
        # no5lvl: with -cpu max the guest would use 5-level paging, and 6.12's
        # boot CPU identification clears the LA57 bit that KASAN's idea of
        # the shadow range reads until alternatives are patched; an interrupt
        # in that window is reported as a wild access to its irq_desc (seen
        # once in about 30 debug boots, 2.5 s in, long before iommufd loads).
        # The normal profile keeps 5-level paging, so both modes run.
        'cmdline': ['watchdog_thresh=30', 'no5lvl'],
    },
}

# Every boot gets these. oops=panic + panic=-1 + QEMU's -no-reboot: an oops
# ends the boot at once instead of leaving a half-dead guest to time out.
# no_timer_check: under TCG on a busy host the IO-APIC timer self-test can
# miss its deadline and panic the boot ("IO-APIC + timer doesn't work!").
BASE_CMDLINE = ['console=ttyS0', 'panic=-1', 'oops=panic', 'hugepages=64',
                'rcupdate.rcu_cpu_stall_timeout=60', 'no_timer_check']
