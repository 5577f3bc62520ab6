"""What the benchmark program reports: the rows' keys, their times and memory."""

import dataclasses

VARIANTS = ('ours', 'stock')
# Machines where QEMU's edu device sits behind an emulated IOMMU, and the
# name the report gives that IOMMU: each has map+unmap rows through iommufd
# and through VFIO's type1 container, the device bound to VFIO.
EDU_MACHINES = {'q35-vtd': 'VT-d', 'q35-amd': 'AMD-Vi', 'q35-virtio': 'virtio-iommu',
                'virt-smmuv3': 'SMMUv3'}
MACHINES = ('q35',) + tuple(EDU_MACHINES)
# The paths through iommufd on the edu machines (type1 is VFIO's own container)
IOMMUFD_EDU_PATHS = ('auto', 'hwpt')
# The rows through the mock driver's vIOMMU on q35: they count items, not
# bytes, and stock 6.12 has no vIOMMU to compare them with
VIOMMU_PATH = 'viommu'


@dataclasses.dataclass(frozen=True, order=True)
class TimeKey:
    """One row of a time table: what was measured, on which buffer.

    A row that counts items (invalidation entries, events) has no buffer:
    backing '-', size and domains 0, and items per operation.
    """
    section: str        # map, copy, access; invalidate, vevent
    path: str           # mock, auto, hwpt, type1; viommu
    backing: str        # 4k, thp, hugetlb
    size: int           # bytes per operation
    domains: int
    items: int = 0


@dataclasses.dataclass(frozen=True, order=True)
class MemKey:
    path: str
    backing: str
    domains: int


@dataclasses.dataclass
class Timing:
    """One row's samples, as nanoseconds per operation."""
    ns: int             # do + undo, median sample
    do_ns: int
    undo_ns: int
    samples: int
    ops: int
    spread: float       # percent: (slowest - fastest) / median
    all_ns: list = dataclasses.field(default_factory=list)
    all_do_ns: list = dataclasses.field(default_factory=list)
    # How long the program's CPU gauge took around each sample
    all_gauge_ns: list = dataclasses.field(default_factory=list)
    # Samples taken, before those at less than full speed were set aside
    taken: int = 0

    def mib_per_s(self, size):
        return size / (1 << 20) / (self.ns / 1e9) if self.ns else 0.0

    def per_s(self, items):
        """Items (entries, events) per second, items per operation."""
        return items / (self.ns / 1e9) if self.ns else 0.0


@dataclasses.dataclass
class Memory:
    """Bytes the kernel took while a buffer was mapped (medians of 'reps' maps)."""
    size: int
    pages: int
    # The drop of MemFree; the growth of Slab, SecPageTables, VmallocUsed
    free: int
    slab: int
    sec_pagetables: int
    vmalloc: int
    reps: int

    @property
    def kernel(self):
        """What the kernel allocated where /proc/meminfo counts it exactly."""
        return self.slab + self.sec_pagetables + self.vmalloc

    def per_page(self, what='kernel'):
        return getattr(self, what) / self.pages if self.pages else 0.0


@dataclasses.dataclass
class Run:
    """What one boot's benchmark program reported."""
    times: dict = dataclasses.field(default_factory=dict)
    memory: dict = dataclasses.field(default_factory=dict)
    info: list = dataclasses.field(default_factory=list)
    errors: list = dataclasses.field(default_factory=list)
    # (sections, reason) of rows the kernel has nothing to measure with
    skipped: list = dataclasses.field(default_factory=list)
    done: bool = False
    # Every boot's Memory per key, when boots were merged
    memory_boots: dict = dataclasses.field(default_factory=dict)


# Where a path or a backing goes in a table: in the order of this dict
ORDER = {'4k': 0, 'thp': 1, 'hugetlb': 2, 'mock': 0, 'access': 1, 'auto': 2, 'hwpt': 3,
         'type1': 4, 'viommu': 5}
LAST = 9


def row_sort_key(key):
    """Time rows by section, path, domains, backing, size (or items)."""
    return (key.section, ORDER.get(key.path, LAST), key.domains, ORDER.get(key.backing, LAST),
            key.size, key.items)


def memory_sort_key(machine_and_key):
    """Memory rows by machine, path, domains, backing."""
    machine, key = machine_and_key
    return machine, ORDER.get(key.path, LAST), key.domains, ORDER.get(key.backing, LAST)


@dataclasses.dataclass
class Results:
    """runs[variant][machine] -> Run (missing when that boot failed)."""
    runs: dict

    def run(self, variant, machine):
        return self.runs.get(variant, {}).get(machine) or Run()

    def timing(self, variant, machine, key):
        return self.run(variant, machine).times.get(key)

    def keys(self, machine, paths):
        """The time rows of any variant on machine through one of paths, in table order."""
        found = set()
        for variant in VARIANTS:
            found |= {k for k in self.run(variant, machine).times if k.path in paths}
        return sorted(found, key=row_sort_key)

    def memory_keys(self):
        """(machine, MemKey) of every memory row of any variant, in table order."""
        found = set()
        for variant in VARIANTS:
            for machine in MACHINES:
                found |= {(machine, k) for k in self.run(variant, machine).memory}
        return sorted(found, key=memory_sort_key)
