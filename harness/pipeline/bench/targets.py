"""The targets of make bench (issues 3 and 4): each met, missed or not measured."""

import dataclasses

from .data import EDU_MACHINES, IOMMUFD_EDU_PATHS, MACHINES
from .stats import memory_spread, noise_estimate, ratio
from .tables import describe, fmt_size

TYPE1_FACTOR = 2.5
TYPE1_MIN_BYTES = 2 << 20
HUGE_MIN_BYTES = 2 << 20                # the smallest larger IOMMU page of the edu machines
MAX_LISTED = 12                         # rows listed under a missed target


@dataclasses.dataclass
class Target:
    title: str
    compared: int       # rows (or measurements) the target looked at
    missed: int         # of those, how many missed it
    details: list
    unit: str = 'rows'
    remark: str = ''    # said after the count

    @property
    def measured(self):
        """False when no row of it ran (BENCH= left its machine out)."""
        return self.compared > 0

    @property
    def met(self):
        return self.measured and not self.missed

    @property
    def summary(self):
        return f'{self.compared - self.missed} of {self.compared} {self.unit}{self.remark}'

    def label(self):
        if not self.measured:
            return 'not measured'
        return 'met' if self.met else 'MISSED'


def compared_ratios(rows):
    """[(ratio, where)] of the (where, first, second) rows where both were measured.

    where is a (machine, TimeKey) pair: the row and the machine it ran on.
    """
    found = []
    for key, first, second in rows:
        value = ratio(first, second)
        if value is not None:
            found.append((value, key))
    return found


def below(compared, limit):
    """The (ratio, key) under limit, lowest first."""
    return sorted((m for m in compared if m[0] < limit), key=lambda m: m[0])


def listed(lines):
    """The first MAX_LISTED lines, and how many more there were."""
    if len(lines) <= MAX_LISTED:
        return lines
    return lines[:MAX_LISTED] + [f'... {len(lines) - MAX_LISTED} more']


def slower_sections(missed):
    """'slower rows: map (mock) 3, ...; the slowest:' of the rows slower than stock."""
    per_section = {}
    for _, (machine, key) in missed:
        name = f'{key.section} ({EDU_MACHINES.get(machine, "mock")})'
        per_section[name] = per_section.get(name, 0) + 1
    return ('slower rows: ' + ', '.join(f'{name} {count}' for name, count in per_section.items())
            + '; the slowest:')


def within_noise(missed, noise):
    """How many of the slower rows are slower by less than identical code differs."""
    if not (missed and noise):
        return ''
    typical = sum(1 for value, _ in missed if value >= 1 - noise[0])
    largest = sum(1 for value, _ in missed if value >= 1 - noise[1])
    return (f'; of the {len(missed)} slower, {typical} by less than the typical '
            f'and {largest} by less than the largest difference of identical code '
            f'(see noise)')


def target_not_slower(results, noise):
    compared = compared_ratios(
        ((machine, key), results.timing('ours', machine, key),
         results.timing('stock', machine, key))
        for machine in MACHINES
        for key in results.keys(machine, ('mock',) + IOMMUFD_EDU_PATHS))
    missed = below(compared, 1.0)
    details = [slower_sections(missed)] if missed else []
    details += listed([f'{value:.2f}  {describe(key, machine)}'
                       for value, (machine, key) in missed])
    return Target('ours at least as fast as stock on every row', len(compared), len(missed),
                  details, remark=within_noise(missed, noise))


def memory_miss(results, machine, key, ours, stock):
    spread = memory_spread(results, machine, key)
    return (f'{machine} {key.path} {key.backing} {key.domains} domain(s): '
            f'{ours.per_page():.3f} > {stock.per_page():.3f} bytes per page, '
            f'{(ours.kernel - stock.kernel) / 1024:.0f} KiB more for '
            f'{ours.pages} pages (boots of one kernel differed by up to '
            f'{spread / 1024:.0f} KiB)')


def target_memory(results):
    """type1 rows are VFIO's, not ours: they do not count."""
    compared, missed = 0, []
    for machine in MACHINES:
        stock_memory = results.run('stock', machine).memory
        for key, ours in sorted(results.run('ours', machine).memory.items()):
            stock = stock_memory.get(key)
            if key.path == 'type1' or not stock:
                continue
            compared += 1
            if ours.kernel > stock.kernel:
                missed.append(memory_miss(results, machine, key, ours, stock))
    return Target('ours uses no more kernel memory per pinned page than stock',
                  compared, len(missed), missed, unit='measurements')


def against_ours(results, machine, keys, **other):
    """((machine, key), ours, ours on the row that differs from key by other)."""
    return (((machine, key), results.timing('ours', machine, key),
             results.timing('ours', machine, dataclasses.replace(key, **other)))
            for key in keys)


def target_type1(results):
    """A VT-d target: the factor was set against type1's page-by-page work there."""
    keys = [k for k in results.keys('q35-vtd', IOMMUFD_EDU_PATHS) if k.size >= TYPE1_MIN_BYTES]
    compared = compared_ratios(against_ours(results, 'q35-vtd', keys, path='type1'))
    missed = below(compared, TYPE1_FACTOR)
    return Target(f'VT-d: ours at least {TYPE1_FACTOR}x type1 for buffers of '
                  f'{fmt_size(TYPE1_MIN_BYTES)} and more', len(compared), len(missed),
                  listed([f'{value:.2f}x  {describe(key, machine)}'
                          for value, (machine, key) in missed]))


def target_huge(results):
    """Huge-page buffers faster than 4 KiB ones where the domain has larger IOMMU pages.

    That is every edu machine from 2 MiB on: VT-d's second-stage tables and
    AMD-Vi's v1 tables have 2 MiB pages, and QEMU's virtio-iommu offers every
    power of two from 4 KiB.  The mock domains of IOMMU_TEST_OP_MOCK_DOMAIN
    only have one page size, so no mock row counts.
    """
    compared = []
    for machine in EDU_MACHINES:
        keys = [k for k in results.keys(machine, IOMMUFD_EDU_PATHS)
                if k.backing != '4k' and k.size >= HUGE_MIN_BYTES]
        compared += compared_ratios(against_ours(results, machine, keys, backing='4k'))
    # Listed in table order, all of them; as fast as 4 KiB is not faster.
    missed = [f'{value:.2f}x  {describe(key, machine)} against 4k'
              for value, (machine, key) in compared if value <= 1.0]
    return Target('huge-page buffers faster than 4 KiB ones where the domain has larger '
                  'IOMMU pages (every edu machine, 2M and up; mock domains have one page '
                  'size)', len(compared), len(missed), missed)


def evaluate_targets(results):
    """(noise, [Target]): the noise estimate the first target is judged against."""
    noise = noise_estimate(results)
    return noise, [target_not_slower(results, noise), target_memory(results),
                   target_type1(results), target_huge(results)]
