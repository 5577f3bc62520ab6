"""make bench: our iommufd against the base tree's stock one, and against VFIO type1.

Both kernels are built the same way (normal profile, the same fragments; the
stock variant is the pristine tree with our samples laid over it) and boot
the same machines: q35 (mock IOMMU), then q35-vtd (VT-d and QEMU's edu
device), each kernel twice, in the order ours, stock, stock, ours, so that a
host that gets busier or quieter over the run favours neither. Each boot
runs samples/iommufd/iommufd_bench --measure; its '@bench' lines (format in
the program's header comment) are parsed here, the samples of a kernel's
two boots pooled, into one table per section with the ratios and targets.

A benchmark, not a test: a missed target is reported, never a failure. Only
a build, boot or benchmark program that did not run to its end fails it.
"""

import dataclasses
import os
import re
import shutil
import statistics
import time

from .common import PipelineError, cache_path, fmt_duration, log
from .guest import UserPrograms
from .results import text_table
from .runner import Boot
from .suites import select

# The suite whose program the benchmark runs (with --measure): its line in
# suites.conf is the smoke test 'make check' runs.
SUITE = 'bench-smoke'
PROGRAM = 'samples/iommufd_bench'       # under the guest's /tests
MEASURE_ARGS = '--measure'
VARIANTS = ('ours', 'stock')
MACHINES = ('q35', 'q35-vtd')
# Seconds one measuring boot may take (q35 needs about a minute under TCG).
BOOT_SECONDS = 600
# Boots per kernel and machine; the order is ours, stock, stock, ours.
ROUNDS = 2
# Targets of issues 3 and 4.
TYPE1_FACTOR = 2.5
TYPE1_MIN_BYTES = 2 << 20
HUGE_MIN_BYTES = 2 << 20                # the smallest larger IOMMU page of VT-d
IOMMUFD_VTD_PATHS = ('auto', 'hwpt')
MAX_LISTED = 12                         # rows listed under a missed target

LINE = re.compile(r'@bench (\w+)\s*(.*)$')


# ---------------------------------------------------------------- parsing

@dataclasses.dataclass(frozen=True, order=True)
class TimeKey:
    """One row of a time table: what was measured, on which buffer."""
    section: str        # map, copy, access
    path: str           # mock, auto, hwpt, type1
    backing: str        # 4k, thp, hugetlb
    size: int           # bytes per operation
    domains: int


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


def pooled(timings):
    """One Timing from the samples of several boots: the median of them all.

    With an even count the lower middle sample is taken, so that the
    reported map and unmap times are those of one real sample.
    """
    samples = sorted((total, do) for t in timings for total, do in zip(t.all_ns, t.all_do_ns))
    if not samples:
        return timings[0]
    total, do = samples[(len(samples) - 1) // 2]
    spread = 100.0 * (samples[-1][0] - samples[0][0]) / total if total else 0.0
    return Timing(total, do, total - do, len(samples), timings[0].ops, spread,
                  [t for t, _ in samples], [d for _, d in samples],
                  taken=sum(t.taken or len(t.all_ns) for t in timings))


# A sample counts when the CPU gauge around it took at most this much longer
# than the fastest gauge of its boot: the guest had the host's CPU then.
FULL_SPEED = 1.15
# Rows keep at least this many samples (those of the fastest gauges)
MIN_SAMPLES = 3


def at_full_speed(timing, fastest):
    """The row with only its samples taken at full speed (see FULL_SPEED).

    Under TCG another busy process on the host slows the whole guest for
    many seconds; samples taken then measure the host, not the kernel.
    """
    samples = list(zip(timing.all_gauge_ns, timing.all_ns, timing.all_do_ns))
    if not samples or not fastest:
        return timing
    kept = [s for s in samples if s[0] <= FULL_SPEED * fastest]
    if len(kept) < MIN_SAMPLES:
        kept = sorted(samples)[:MIN_SAMPLES]
    filtered = dataclasses.replace(timing, all_ns=[s[1] for s in kept],
                                   all_do_ns=[s[2] for s in kept],
                                   all_gauge_ns=[s[0] for s in kept], taken=len(samples))
    return pooled([filtered])


def keep_full_speed_samples(run):
    """Every row of one boot at full speed, against that boot's fastest gauge."""
    gauges = [g for t in run.times.values() for g in t.all_gauge_ns if g > 0]
    if gauges:
        fastest = min(gauges)
        run.times = {key: at_full_speed(t, fastest) for key, t in run.times.items()}
    return run


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
    done: bool = False
    # Every boot's Memory per key, when boots were merged
    memory_boots: dict = dataclasses.field(default_factory=dict)


ORDER = {'4k': 0, 'thp': 1, 'hugetlb': 2, 'mock': 0, 'access': 1, 'auto': 2, 'hwpt': 3,
         'type1': 4}


def parse_fields(text):
    """'a=1 b=x' -> {'a': '1', 'b': 'x'}; words without '=' are ignored."""
    fields = {}
    for word in text.split():
        name, sep, value = word.partition('=')
        if sep:
            fields[name] = value
    return fields


def int_list(text):
    return [int(v) for v in text.split(',')] if text else []


def merge_runs(runs):
    """The Run of one kernel and machine from its boots: samples pooled,
    memory averaged (it hardly moves), errors and info of every boot."""
    if len(runs) == 1:
        return runs[0]
    merged = Run(done=all(r.done for r in runs))
    for key in {k for r in runs for k in r.times}:
        merged.times[key] = pooled([r.times[key] for r in runs if key in r.times])
    for key in {k for r in runs for k in r.memory}:
        found = [r.memory[key] for r in runs if key in r.memory]
        merged.memory[key] = Memory(*(sum(getattr(m, f.name) for m in found) // len(found)
                                      for f in dataclasses.fields(Memory)))
        merged.memory_boots[key] = found
    for run in runs:
        merged.info += run.info
        merged.errors += run.errors
    return merged


def parse_run(lines):
    """A Run from the benchmark program's output lines."""
    run = Run()
    for line in lines:
        m = LINE.search(line)
        if not m:
            continue
        kind, fields = m.group(1), parse_fields(m.group(2))
        try:
            if kind == 'time':
                key = TimeKey(fields['section'], fields['path'], fields['backing'],
                              int(fields['bytes']), int(fields['domains']))
                run.times[key] = Timing(int(fields['ns']), int(fields['do_ns']),
                                        int(fields['undo_ns']), int(fields['samples']),
                                        int(fields['ops']), float(fields['spread']),
                                        int_list(fields.get('all_ns')),
                                        int_list(fields.get('all_do_ns')),
                                        int_list(fields.get('all_gauge_ns')))
            elif kind == 'mem':
                key = MemKey(fields['path'], fields['backing'], int(fields['domains']))
                run.memory[key] = Memory(int(fields['bytes']), int(fields['pages']),
                                         int(fields['free']), int(fields['slab']),
                                         int(fields['sec_pagetables']),
                                         int(fields['vmalloc']), int(fields['reps']))
            elif kind == 'info':
                run.info.append(fields)
            elif kind == 'error':
                run.errors.append(m.group(2).strip())
            elif kind == 'done':
                run.done = True
                if int(fields.get('errors', '0')) and not run.errors:
                    run.errors.append(f'the program counted {fields["errors"]} error(s)')
        except (KeyError, ValueError):
            run.errors.append(f'unreadable result line: {line.strip()}')
    return keep_full_speed_samples(run)


# ---------------------------------------------------------------- formatting

def fmt_size(size):
    for unit, shift in (('G', 30), ('M', 20), ('K', 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f'{size >> shift}{unit}'
    return str(size)


def fmt_rate(mib_per_s):
    return f'{mib_per_s:.0f}' if mib_per_s >= 100 else f'{mib_per_s:.1f}'


def fmt_us(timing):
    """'do+undo' in microseconds."""
    def us(ns):
        return f'{ns / 1000:.0f}' if ns >= 100000 else f'{ns / 1000:.1f}'
    return f'{us(timing.do_ns)}+{us(timing.undo_ns)}'


def ratio(faster, slower):
    """Throughput of the first over the second (time of the second over the first)."""
    if faster is None or slower is None or not faster.ns:
        return None
    return slower.ns / faster.ns


def fmt_ratio(value):
    return '-' if value is None else f'{value:.2f}'


def row_sort_key(key):
    return (key.section, ORDER.get(key.path, 9), key.domains, ORDER.get(key.backing, 9),
            key.size)


def describe(key):
    where = {'mock': f'{key.domains} mock dom', 'auto': 'VT-d auto domain',
             'hwpt': 'VT-d own HWPT', 'type1': 'type1'}.get(key.path, key.path)
    return f'{key.section} {key.backing} {fmt_size(key.size)} ({where})'


# ---------------------------------------------------------------- the report

@dataclasses.dataclass
class Results:
    """runs[variant][machine] -> Run (missing when that boot failed)."""
    runs: dict

    def run(self, variant, machine):
        return self.runs.get(variant, {}).get(machine) or Run()

    def timing(self, variant, machine, key):
        return self.run(variant, machine).times.get(key)

    def keys(self, machine, paths):
        found = set()
        for variant in VARIANTS:
            found |= {k for k in self.run(variant, machine).times if k.path in paths}
        return sorted(found, key=row_sort_key)


def mock_tables(results):
    """The q35 sections: map, copy, access, each ours against stock."""
    titles = {
        'map': 'IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP, mock domains linked to the IOAS',
        'copy': 'IOMMU_IOAS_COPY of a pinned mapping + IOMMU_IOAS_UNMAP of the copy '
                '(domains: of the destination IOAS)',
        'access': 'emulated access: pin + unpin (IOMMU_TEST_OP_ACCESS_PAGES), '
                  'domains of the IOAS',
    }
    out = []
    keys = results.keys('q35', ('mock',))
    for section, title in titles.items():
        body = []
        for key in (k for k in keys if k.section == section):
            ours = results.timing('ours', 'q35', key)
            stock = results.timing('stock', 'q35', key)
            body.append((key.backing, fmt_size(key.size), str(key.domains),
                         fmt_rate(ours.mib_per_s(key.size)) if ours else '-',
                         fmt_rate(stock.mib_per_s(key.size)) if stock else '-',
                         fmt_ratio(ratio(ours, stock)),
                         fmt_us(ours) if ours else '-', fmt_us(stock) if stock else '-'))
        if body:
            out.append(f'\n{title} (q35), MiB/s:')
            out.append(text_table(('backing', 'size', 'domains', 'ours', 'stock',
                                   'ours/stock', 'ours us', 'stock us'), body, left=2))
    return out


def vtd_table(results):
    keys = results.keys('q35-vtd', IOMMUFD_VTD_PATHS)
    body = []
    for key in keys:
        type1_key = dataclasses.replace(key, path='type1')
        ours = results.timing('ours', 'q35-vtd', key)
        stock = results.timing('stock', 'q35-vtd', key)
        type1 = results.timing('ours', 'q35-vtd', type1_key)
        type1_stock = results.timing('stock', 'q35-vtd', type1_key)
        cells = [key.backing, fmt_size(key.size), key.path]
        for timing in (ours, stock, type1, type1_stock):
            cells.append(fmt_rate(timing.mib_per_s(key.size)) if timing else '-')
        cells += [fmt_ratio(ratio(ours, stock)), fmt_ratio(ratio(ours, type1)),
                  fmt_ratio(ratio(stock, type1_stock))]
        cells += [fmt_us(timing) if timing else '-' for timing in (ours, stock, type1)]
        body.append(cells)
    if not body:
        return []
    return ['\nIOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP through VT-d with edu bound (q35-vtd), '
            'against VFIO_IOMMU_MAP_DMA + UNMAP_DMA on a type1 container, MiB/s:',
            '(auto: device attached to the IOAS; hwpt: to a HWPT allocated for it; '
            'type1 / type1@stock: the container in the ours / stock boot)',
            text_table(('backing', 'size', 'path', 'ours', 'stock', 'type1', 'type1@stock',
                        'ours/stock', 'ours/type1', 'stock/type1', 'ours us', 'stock us',
                        'type1 us'), body, left=3)]


def memory_keys(results):
    keys = set()
    for variant in VARIANTS:
        for machine in MACHINES:
            keys |= {(machine, k) for k in results.run(variant, machine).memory}
    return sorted(keys, key=lambda mk: (mk[0], ORDER.get(mk[1].path, 9), mk[1].domains,
                                        ORDER.get(mk[1].backing, 9)))


def memory_table(results):
    body = []
    for machine, key in memory_keys(results):
        ours = results.run('ours', machine).memory.get(key)
        stock = results.run('stock', machine).memory.get(key)
        cells = [machine, key.path, key.backing, str(key.domains),
                 fmt_size(ours.size if ours else stock.size)]
        for what in ('kernel', 'slab', 'sec_pagetables', 'free'):
            for mem in (ours, stock):
                cells.append(f'{mem.per_page(what):.2f}' if mem else '-')
        if ours and stock and stock.per_page() > 0:
            cells.insert(7, f'{ours.per_page() / stock.per_page():.2f}')
        else:
            cells.insert(7, '-')
        body.append(cells)
    if not body:
        return []
    out = ['\nkernel memory per pinned 4 KiB page, in bytes (ours / stock kernel):',
           'method: the buffer is faulted in first; /proc/meminfo is read (after '
           '/proc/sys/vm/stat_refresh) before the map',
           '(IOMMU_IOAS_MAP; access: IOMMU_TEST_OP_ACCESS_PAGES; type1: VFIO_IOMMU_MAP_DMA) '
           'and while mapped, 3 times, each in a',
           'new context and domain; the median growth is divided by the 4 KiB pages mapped. '
           '"kernel" = Slab + SecPageTables',
           '(IOMMU page tables, "iommu-pt") + VmallocUsed, the counters that count to the '
           'byte or page; "MemFree" is its drop,',
           'which also sees every other page but moves by whole per-CPU page-list batches '
           '(0 often means the pages came from',
           'those lists).',
           text_table(('machine', 'path', 'backing', 'domains', 'size', 'kernel ours',
                       'kernel stock', 'ours/stock', 'slab ours', 'slab stock',
                       'iommu-pt ours', 'iommu-pt stock', 'MemFree ours', 'MemFree stock'),
                      body, left=3)]
    return out + domain_cost_table(results)


def domain_cost_table(results):
    """Mock rows split into what one more domain costs and what all of them share.

    With n domains the cost is shared + n * per_domain, so two measurements
    (1 and 2 domains) give both. per_domain is mostly the mock driver's own
    page table, which differs between the two kernels' mock drivers.
    """
    body = []
    for backing in ('4k', 'thp', 'hugetlb'):
        cells = [backing]
        for variant in VARIANTS:
            memory = results.run(variant, 'q35').memory
            one = memory.get(MemKey('mock', backing, 1))
            two = memory.get(MemKey('mock', backing, 2))
            if one and two:
                per_domain = two.per_page() - one.per_page()
                cells += [f'{one.per_page() - per_domain:.1f}', f'{per_domain:.1f}']
            else:
                cells += ['-', '-']
        body.append(cells)
    if all(c == '-' for row in body for c in row[1:]):
        return []
    return ['\nthe mock rows split: cost with n domains = shared + n * per domain '
            '(from 1 and 2 domains), bytes per page:',
            text_table(('backing', 'shared ours', 'per domain ours', 'shared stock',
                        'per domain stock'), body)]


def info_lines(results):
    """What the buffers were made of in each boot, from the program's info lines."""
    out = []
    for machine in MACHINES:
        for variant in VARIANTS:
            described = []
            for info in results.run(variant, machine).info:
                if 'backing' not in info or 'runs' not in info:
                    continue
                what = f'{info["backing"]} {info["runs"]} runs'
                if 'huge_bytes' in info and int(info.get('bytes') or 0):
                    what += (f' ({100 * int(info["huge_bytes"]) / int(info["bytes"]):.0f}% '
                             'THP)')
                described.append(what)
            if described:
                out.append(f'  {variant} on {machine}, each boot: ' + ', '.join(described))
    return out


# ---------------------------------------------------------------- targets

@dataclasses.dataclass
class Target:
    title: str
    met: bool
    summary: str
    details: list
    # False when no row of it was measured (BENCH= left its machine out)
    measured: bool = True

    def label(self):
        if not self.measured:
            return 'not measured'
        return 'met' if self.met else 'MISSED'


def noise_estimate(results):
    """How much the same code (type1) differs between the two boots: (median, max)."""
    diffs = []
    for key in results.keys('q35-vtd', ('type1',)):
        a = results.timing('ours', 'q35-vtd', key)
        b = results.timing('stock', 'q35-vtd', key)
        if a and b and a.ns and b.ns:
            diffs.append(abs(a.ns / b.ns - 1))
    if not diffs:
        return None
    return statistics.median(diffs), max(diffs)


def target_not_slower(results, noise):
    missed, compared = [], 0
    for machine in MACHINES:
        for key in results.keys(machine, ('mock',) + IOMMUFD_VTD_PATHS):
            value = ratio(results.timing('ours', machine, key),
                          results.timing('stock', machine, key))
            if value is None:
                continue
            compared += 1
            if value < 1.0:
                missed.append((value, key))
    missed.sort(key=lambda m: m[0])
    summary = f'{compared - len(missed)} of {compared} rows'
    if missed and noise:
        typical = sum(1 for value, _ in missed if value >= 1 - noise[0])
        largest = sum(1 for value, _ in missed if value >= 1 - noise[1])
        summary += (f'; of the {len(missed)} slower, {typical} by less than the typical '
                    f'and {largest} by less than the largest difference of identical code '
                    f'(see noise)')
    details = []
    if missed:
        per_section = {}
        for _, key in missed:
            name = f'{key.section} ({"VT-d" if key.path in IOMMUFD_VTD_PATHS else "mock"})'
            per_section[name] = per_section.get(name, 0) + 1
        details.append('slower rows: ' + ', '.join(f'{name} {count}'
                                                    for name, count in per_section.items())
                       + '; the slowest:')
    details += [f'{value:.2f}  {describe(key)}' for value, key in missed[:MAX_LISTED]]
    if len(missed) > MAX_LISTED:
        details.append(f'... {len(missed) - MAX_LISTED} more')
    return Target('ours at least as fast as stock on every row', compared > 0 and not missed,
                  summary, details, measured=compared > 0)


def memory_spread(results, machine, key):
    """Bytes by which one kernel's boots differed for one measurement (the largest)."""
    spread = 0
    for variant in VARIANTS:
        kernels = [m.kernel for m in results.run(variant, machine).memory_boots.get(key, [])]
        if kernels:
            spread = max(spread, max(kernels) - min(kernels))
    return spread


def target_memory(results):
    missed, compared = [], 0
    for machine in MACHINES:
        for key, ours in sorted(results.run('ours', machine).memory.items()):
            stock = results.run('stock', machine).memory.get(key)
            if key.path == 'type1' or not stock:
                continue
            compared += 1
            if ours.kernel > stock.kernel:
                spread = memory_spread(results, machine, key)
                missed.append(f'{machine} {key.path} {key.backing} {key.domains} domain(s): '
                              f'{ours.per_page():.3f} > {stock.per_page():.3f} bytes per page, '
                              f'{(ours.kernel - stock.kernel) / 1024:.0f} KiB more for '
                              f'{ours.pages} pages (boots of one kernel differed by up to '
                              f'{spread / 1024:.0f} KiB)')
    return Target('ours uses no more kernel memory per pinned page than stock',
                  compared > 0 and not missed,
                  f'{compared - len(missed)} of {compared} measurements', missed, measured=compared > 0)


def target_type1(results):
    missed, compared = [], 0
    for key in results.keys('q35-vtd', IOMMUFD_VTD_PATHS):
        if key.size < TYPE1_MIN_BYTES:
            continue
        value = ratio(results.timing('ours', 'q35-vtd', key),
                      results.timing('ours', 'q35-vtd', dataclasses.replace(key, path='type1')))
        if value is None:
            continue
        compared += 1
        if value < TYPE1_FACTOR:
            missed.append((value, key))
    missed.sort(key=lambda m: m[0])
    details = [f'{value:.2f}x  {describe(key)}' for value, key in missed[:MAX_LISTED]]
    if len(missed) > MAX_LISTED:
        details.append(f'... {len(missed) - MAX_LISTED} more')
    return Target(f'VT-d: ours at least {TYPE1_FACTOR}x type1 for buffers of '
                  f'{fmt_size(TYPE1_MIN_BYTES)} and more', compared > 0 and not missed,
                  f'{compared - len(missed)} of {compared} rows', details, measured=compared > 0)


def target_huge(results):
    """Huge-page buffers faster than 4 KiB ones where the domain has larger IOMMU pages.

    That is VT-d (2 MiB pages) from 2 MiB on; the mock domains of
    IOMMU_TEST_OP_MOCK_DOMAIN only have one page size, so no mock row counts.
    """
    missed, compared = [], 0
    for key in results.keys('q35-vtd', IOMMUFD_VTD_PATHS):
        if key.backing == '4k' or key.size < HUGE_MIN_BYTES:
            continue
        huge = results.timing('ours', 'q35-vtd', key)
        small = results.timing('ours', 'q35-vtd', dataclasses.replace(key, backing='4k'))
        value = ratio(huge, small)
        if value is None:
            continue
        compared += 1
        if value <= 1.0:
            missed.append(f'{value:.2f}x  {describe(key)} against 4k')
    return Target('huge-page buffers faster than 4 KiB ones where the domain has larger '
                  'IOMMU pages (VT-d, 2M and up; mock domains have one page size)',
                  compared > 0 and not missed, f'{compared - len(missed)} of {compared} rows',
                  missed, measured=compared > 0)


def evaluate_targets(results):
    noise = noise_estimate(results)
    return noise, [target_not_slower(results, noise), target_memory(results),
                   target_type1(results), target_huge(results)]


def sample_counts(results):
    """(samples kept, samples taken) over every row of every boot."""
    timings = [t for v in VARIANTS for m in MACHINES for t in results.run(v, m).times.values()]
    return (sum(len(t.all_ns) for t in timings),
            sum(t.taken or len(t.all_ns) for t in timings))


def report(results):
    """The whole report as lines of text."""
    kept, taken = sample_counts(results)
    out = ['', '== make bench: ours against stock (and VFIO type1), normal profile, TCG guests ==',
           f'Every time is the median of a row\'s samples, pooled from {ROUNDS} boots of each '
           'kernel (ours, stock, stock, ours);',
           'each boot warms every row up once, then runs all rows once per round, so a '
           'disturbance spreads over all rows;',
           'small rows repeat the operation within a sample. Only samples taken at full speed '
           'count: a fixed CPU loop is',
           f'timed before and after each, and a sample whose slower loop took over '
           f'{100 * (FULL_SPEED - 1):.0f}% longer than the boot\'s',
           f'fastest is set aside (a row keeps at least {MIN_SAMPLES}): {kept} of {taken} '
           'samples counted.',
           'MiB/s = buffer size / (do + undo) time, higher is better; "us" = do+undo in '
           'microseconds; ratios are',
           'throughput ratios (>1: the first is faster).']
    out += mock_tables(results)
    out += vtd_table(results)
    out += memory_table(results)
    buffers = info_lines(results)
    if buffers:
        out += ['', 'buffers: physically contiguous runs of the 128 MiB buffers (the program '
                'faults every other page in',
                'first, so that each run is one page of its backing in every boot):'] + buffers
    noise, targets = evaluate_targets(results)
    out += ['', 'targets (a benchmark: a missed target is reported, it does not fail make bench):']
    if noise:
        out.append(f'  noise: VFIO type1, the same code on both kernels, differs between '
                   f'them by {100 * noise[0]:.0f}% in a typical row (median), '
                   f'{100 * noise[1]:.0f}% at most')
    for target in targets:
        out.append(f'  [{target.label()}] {target.title}: {target.summary}')
        out += [f'      {line}' for line in target.details]
    return out, targets


# ---------------------------------------------------------------- running

def measuring_suite():
    """The smoke suite's line, with the time a measuring boot needs."""
    suite = select(name=SUITE)[0]
    return dataclasses.replace(suite, timeout=BOOT_SECONDS)


def require_program(kb):
    program = os.path.join(UserPrograms(kb).root, PROGRAM)
    if not os.path.exists(program):
        raise PipelineError(f'{PROGRAM} was not built for {kb.name} (see the build log)')


# BENCH=mock or BENCH=vtd (or the machine names, comma separated) boots only
# those machines, to measure one part quickly; the default is all of them.
BENCH_ALIASES = {'mock': 'q35', 'vtd': 'q35-vtd'}


def selected_machines(spec=None):
    """The machines BENCH (or spec) selects, in MACHINES order; all by default."""
    spec = os.environ.get('BENCH', '') if spec is None else spec
    wanted = {BENCH_ALIASES.get(w.strip(), w.strip()) for w in spec.split(',') if w.strip()}
    if not wanted:
        return MACHINES
    unknown = wanted - set(MACHINES)
    if unknown:
        raise PipelineError(f'BENCH={spec}: unknown {", ".join(sorted(unknown))} (one of '
                            f'{", ".join(list(BENCH_ALIASES) + list(MACHINES))})')
    return tuple(m for m in MACHINES if m in wanted)


def boot_order():
    """(machine, variant, round) in the order they boot: ABBA per machine."""
    order = []
    for machine in selected_machines():
        for rnd in range(ROUNDS):
            variants = VARIANTS if rnd % 2 == 0 else tuple(reversed(VARIANTS))
            order += [(machine, variant, rnd) for variant in variants]
    return order


def keep_log(boot, variant, machine, rnd):
    """The runner reuses one console log per kernel and machine: keep a copy."""
    kept = cache_path('logs', f'bench-{variant}-{machine}-{rnd + 1}.log')
    try:
        shutil.copyfile(boot.logfile, kept)
    except OSError:
        return boot.logfile
    return kept


def run_bench(builds):
    """Boot each (machine, variant) ROUNDS times; returns (Results, problems).

    builds: {variant: (KernelBuild, initramfs)}. problems lists why a boot
    did not deliver (build missing, guest failure, program errors).
    """
    suite = measuring_suite()
    boots = {}
    problems = []
    for variant in VARIANTS:
        if variant not in builds:
            problems.append(f'{variant}: no kernel to boot (its build failed)')
            continue
        try:
            require_program(builds[variant][0])
        except PipelineError as e:
            problems.append(f'{variant}: {e}')
            del builds[variant]
    for machine, variant, rnd in boot_order():
        if variant not in builds:
            continue
        kb, initramfs = builds[variant]
        where = f'{variant} on {machine}, boot {rnd + 1} of {ROUNDS}'
        log(f'== {where}: iommufd_bench {MEASURE_ARGS} ==')
        start = time.monotonic()
        boot = Boot(kb, initramfs, machine, [suite], args=MEASURE_ARGS)
        boot.run()
        boot.report_problems()
        run = parse_run(boot.lines.get(SUITE, []))
        boots.setdefault((variant, machine), []).append(run)
        for row in boot.rows():
            problems += [f'{where}: {row.suite}: {note}' for note in row.notes if row.failed]
        logfile = keep_log(boot, variant, machine, rnd)
        if not run.done:
            problems.append(f'{where}: the benchmark did not finish (console log {logfile})')
        problems += [f'{where}: {error}' for error in run.errors]
        log(f'  {len(run.times)} time rows, {len(run.memory)} memory rows in '
            f'{fmt_duration(time.monotonic() - start)} (console log {logfile})')
    runs = {variant: {} for variant in VARIANTS}
    for (variant, machine), found in boots.items():
        runs[variant][machine] = merge_runs(found)
    return Results(runs), problems
