"""Machines, kernel architectures and build profiles: data, not code.

Adding a machine is one entry in MACHINES (and, for a new architecture, one in
ARCHES plus a configs/<arch>.config fragment); a suite then names it in
harness/suites.conf.
"""

# How to build for an architecture and what the guest runs there.
#   make_args   extra words of every kernel make (cross builds)
#   kernel_cc   the kernel's compiler (the harness runs it through ccache)
#   image       the boot image, relative to the kernel out dir
#   user_cc     compiler of the static test programs
#   programs    what the guest carries: 'selftests' (tools/testing/selftests/
#               iommu), 'samples' (samples/iommufd), 'conformance' (the base
#               tree's upstream selftests); only what the arch's suites run
#   busybox     a static busybox for that architecture
#   qemu, console, cmdline   the emulator, the guest's console device and the
#               architecture's kernel command-line additions
ARCHES = {
    'x86_64': {
        'make_args': [],                     # native build (64BIT=y comes from the fragment)
        'kernel_cc': 'gcc',
        'image': 'arch/x86/boot/bzImage',
        'user_cc': 'gcc -static',
        'programs': ['selftests', 'samples', 'conformance'],
        'busybox': '/bin/busybox',           # busybox-static
        'qemu': 'qemu-system-x86_64',
        'console': 'ttyS0',
        # Under TCG on a busy host the IO-APIC timer self-test can miss its
        # deadline and panic the boot ("IO-APIC + timer doesn't work!").
        'cmdline': ['no_timer_check'],
    },
    # Cross-built with Debian's gcc-aarch64-linux-gnu.  User programs are
    # built against the tree's own arm64 headers_install (Debian's cross
    # headers are 6.1's) and only the samples: the arm64 suites do real DMA.
    # harness/deps.sh unpacks the arm64 busybox-static into /opt (apt-get
    # download of the arm64 package, without adding arm64 to dpkg).
    'arm64': {
        'make_args': ['ARCH=arm64', 'CROSS_COMPILE=aarch64-linux-gnu-'],
        'kernel_cc': 'aarch64-linux-gnu-gcc',
        'image': 'arch/arm64/boot/Image',
        'user_cc': 'aarch64-linux-gnu-gcc -static',
        'programs': ['samples'],
        'busybox': '/opt/busybox-arm64/bin/busybox',
        'qemu': 'qemu-system-aarch64',
        'console': 'ttyAMA0',                # the virt board's PL011
        'cmdline': [],
    },
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
    # arm64 'virt' board with QEMU's SMMUv3 (stage 1 only in 7.2), found
    # through the device tree, and edu.  GICv3's ITS gives the isolated
    # MSIs VFIO needs.  Proves that our iommufd carries real DMA through
    # the IOMMU arm64 servers have, with io-pgtable-arm page tables.
    'virt-smmuv3': {
        'arch': 'arm64',
        'machine': ['-M', 'virt,iommu=smmuv3,gic-version=3'],
        'cpu': 'max',
        'devices': ['-device', 'edu'],
        'cmdline': [],
        'memory': '2G',
        'smp': 2,
    },
    # arm64 'virt' board with a virtio-iommu PCI device in front of edu:
    # the paravirtual IOMMU of VMs, whose mappings are requests to the
    # host (no page table of its own), on a GICv3 with ITS so that VFIO
    # binds without allow_unsafe_interrupts.
    'virt-virtio': {
        'arch': 'arm64',
        'machine': ['-M', 'virt,gic-version=3'],
        'cpu': 'max',
        'devices': ['-device', 'virtio-iommu-pci', '-device', 'edu'],
        'cmdline': [],
        'memory': '2G',
        'smp': 2,
    },
}

# q35-vtd whose guest also carries the host's QEMU (harness/pipeline/
# bundle.py appends it to the initramfs), to run it there as an unmodified
# VMM that passes edu through with vfio-pci.
MACHINES['q35-vtd-vmm'] = dict(MACHINES['q35-vtd'], bundles=['qemu-x86_64'])

# q35-vtd with a second edu device on the root bus: each device is its own
# IOMMU group, so one can map the other's BAR0 as a peer (iommufd_p2p_dma).
MACHINES['q35-vtd-p2p'] = dict(MACHINES['q35-vtd'],
                               devices=MACHINES['q35-vtd']['devices'] + ['-device', 'edu'])

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

# Every boot gets these, after console=<the arch's console>. oops=panic +
# panic=-1 + QEMU's -no-reboot: an oops ends the boot at once instead of
# leaving a half-dead guest to time out.
BASE_CMDLINE = ['panic=-1', 'oops=panic', 'hugepages=64',
                'rcupdate.rcu_cpu_stall_timeout=60']
