"""The report's tables: times on q35 and the edu machines, memory per page, buffer layout."""

import dataclasses

from ..results import text_table
from .data import EDU_MACHINES, IOMMUFD_EDU_PATHS, MACHINES, VARIANTS, VIOMMU_PATH, MemKey
from .stats import ratio

BACKINGS = ('4k', 'thp', 'hugetlb')
MOCK_TITLES = {
    'map': 'IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP, mock domains linked to the IOAS',
    'copy': 'IOMMU_IOAS_COPY of a pinned mapping + IOMMU_IOAS_UNMAP of the copy '
            '(domains: of the destination IOAS)',
    'access': 'emulated access: pin + unpin (IOMMU_TEST_OP_ACCESS_PAGES), '
              'domains of the IOAS',
}
# The vIOMMU sections: title, what an item is, what 'us' is made of
VIOMMU_TITLES = {
    'invalidate': ('IOMMU_HWPT_INVALIDATE on a mock vIOMMU, entries of '
                   'struct iommu_viommu_invalidate_selftest naming its vDEVICE',
                   'entries', 'us per call'),
    'vevent': ('vEVENTQ delivery: IOMMU_TEST_OP_TRIGGER_VEVENT n times, then one read() '
               'of all n events, each checked', 'events', 'us trigger+read'),
}
# What the stock column says of a row stock cannot run
NO_COUNTERPART = 'no counterpart'


# ---------------------------------------------------------------- cells

def fmt_size(size):
    for unit, shift in (('G', 30), ('M', 20), ('K', 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f'{size >> shift}{unit}'
    return str(size)


def rate_cell(timing, size):
    """MiB/s of a row ('-' when not measured), with one decimal below 100."""
    if not timing:
        return '-'
    mib_per_s = timing.mib_per_s(size)
    return f'{mib_per_s:.0f}' if mib_per_s >= 100 else f'{mib_per_s:.1f}'


def fmt_us(ns):
    """Microseconds, with one decimal below 100."""
    return f'{ns / 1000:.0f}' if ns >= 100000 else f'{ns / 1000:.1f}'


def us_cell(timing):
    """'do+undo' in microseconds ('-' when not measured)."""
    if not timing:
        return '-'
    return f'{fmt_us(timing.do_ns)}+{fmt_us(timing.undo_ns)}'


def items_cell(timing, items):
    """Items per second of a row ('-' when not measured)."""
    return f'{timing.per_s(items):.0f}' if timing else '-'


def item_us_cell(timing):
    """Microseconds per call; 'do+undo' when there is an undo."""
    if not timing:
        return '-'
    return us_cell(timing) if timing.undo_ns else fmt_us(timing.do_ns)


def ratio_cell(faster, slower):
    value = ratio(faster, slower)
    return '-' if value is None else f'{value:.2f}'


def describe(key, machine='q35'):
    """A time row of machine in words, for the targets' lists."""
    iommu = EDU_MACHINES.get(machine, '')
    where = {'mock': f'{key.domains} mock dom', 'auto': f'{iommu} auto domain',
             'hwpt': f'{iommu} own HWPT', 'type1': f'{iommu} type1'}.get(key.path, key.path)
    return f'{key.section} {key.backing} {fmt_size(key.size)} ({where})'


# ---------------------------------------------------------------- times

def mock_tables(results):
    """The q35 sections: map, copy, access, each ours against stock."""
    out = []
    keys = results.keys('q35', ('mock',))
    for section, title in MOCK_TITLES.items():
        body = []
        for key in (k for k in keys if k.section == section):
            ours = results.timing('ours', 'q35', key)
            stock = results.timing('stock', 'q35', key)
            body.append((key.backing, fmt_size(key.size), str(key.domains),
                         rate_cell(ours, key.size), rate_cell(stock, key.size),
                         ratio_cell(ours, stock), us_cell(ours), us_cell(stock)))
        if body:
            out.append(f'\n{title} (q35), MiB/s:')
            out.append(text_table(('backing', 'size', 'domains', 'ours', 'stock',
                                   'ours/stock', 'ours us', 'stock us'), body, left=2))
    return out


def skip_reasons(results, machine, sections=VIOMMU_TITLES):
    """'stock: why' of each kernel that skipped any of sections on machine, once each.

    A skip names sections ('invalidate') or one path of a section ('map:hwpt').
    """
    reasons = []
    for variant in VARIANTS:
        for skipped, why in results.run(variant, machine).skipped:
            if set(skipped) & set(sections):
                reasons.append(f'{variant}: {why}')
    return list(dict.fromkeys(reasons))


def viommu_tables(results):
    """The q35 rows through the mock vIOMMU, in items per second.

    Stock 6.12 has no vIOMMU: its column says so where it measured nothing,
    and no target counts these rows.
    """
    out = []
    keys = results.keys('q35', (VIOMMU_PATH,))
    for section, (title, unit, us_what) in VIOMMU_TITLES.items():
        body = []
        for key in (k for k in keys if k.section == section):
            ours = results.timing('ours', 'q35', key)
            stock = results.timing('stock', 'q35', key)
            body.append((str(key.items), items_cell(ours, key.items),
                         items_cell(stock, key.items) if stock else NO_COUNTERPART,
                         item_us_cell(ours)))
        if body:
            out.append(f'\n{title} (q35), {unit}/s:')
            out.append(text_table((f'{unit}/call', 'ours', 'stock', f'ours {us_what}'), body,
                                  left=0))
    reasons = skip_reasons(results, 'q35')
    if out:
        out.append('(no stock counterpart: stock 6.12 has no vIOMMU, so these rows are ours '
                   'alone and count toward no target)')
    elif reasons:
        out.append('\nvIOMMU rows (q35): none measured')
    return out + [f'  skipped by {reason}' for reason in reasons]


def edu_table(results, machine):
    """An edu machine's section: ours and stock through iommufd, each against type1."""
    body = []
    for key in results.keys(machine, IOMMUFD_EDU_PATHS):
        type1_key = dataclasses.replace(key, path='type1')
        ours = results.timing('ours', machine, key)
        stock = results.timing('stock', machine, key)
        type1 = results.timing('ours', machine, type1_key)
        type1_stock = results.timing('stock', machine, type1_key)
        body.append([key.backing, fmt_size(key.size), key.path,
                     *(rate_cell(t, key.size) for t in (ours, stock, type1, type1_stock)),
                     ratio_cell(ours, stock), ratio_cell(ours, type1),
                     ratio_cell(stock, type1_stock),
                     *(us_cell(t) for t in (ours, stock, type1))])
    if not body:
        return []
    skips = skip_reasons(results, machine, [f'map:{path}' for path in IOMMUFD_EDU_PATHS])
    return [f'\nIOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP through {EDU_MACHINES[machine]} with edu '
            f'bound ({machine}), '
            'against VFIO_IOMMU_MAP_DMA + UNMAP_DMA on a type1 container, MiB/s:',
            '(auto: device attached to the IOAS; hwpt: to a HWPT allocated for it; '
            'type1 / type1@stock: the container in the ours / stock boot)',
            text_table(('backing', 'size', 'path', 'ours', 'stock', 'type1', 'type1@stock',
                        'ours/stock', 'ours/type1', 'stock/type1', 'ours us', 'stock us',
                        'type1 us'), body, left=3)] + [f'  skipped by {why}' for why in skips]


def edu_tables(results):
    """The sections of every edu machine, in EDU_MACHINES order."""
    return [line for machine in EDU_MACHINES for line in edu_table(results, machine)]


# ---------------------------------------------------------------- memory

def per_page_cell(memory, what):
    return f'{memory.per_page(what):.2f}' if memory else '-'


def memory_row(machine, key, ours, stock):
    """Per page: kernel ours, stock and their ratio; slab, iommu-pt, MemFree ours and stock."""
    if ours and stock and stock.per_page() > 0:
        kernel_ratio = f'{ours.per_page() / stock.per_page():.2f}'
    else:
        kernel_ratio = '-'
    cells = [machine, key.path, key.backing, str(key.domains), fmt_size((ours or stock).size),
             per_page_cell(ours, 'kernel'), per_page_cell(stock, 'kernel'), kernel_ratio]
    for what in ('slab', 'sec_pagetables', 'free'):
        cells += [per_page_cell(ours, what), per_page_cell(stock, what)]
    return cells


def memory_table(results):
    body = [memory_row(machine, key, results.run('ours', machine).memory.get(key),
                       results.run('stock', machine).memory.get(key))
            for machine, key in results.memory_keys()]
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


def domain_cost_cells(memory, backing):
    """[shared, per domain] bytes per page of the mock rows of one backing."""
    one = memory.get(MemKey('mock', backing, 1))
    two = memory.get(MemKey('mock', backing, 2))
    if not (one and two):
        return ['-', '-']
    per_domain = two.per_page() - one.per_page()
    return [f'{one.per_page() - per_domain:.1f}', f'{per_domain:.1f}']


def domain_cost_table(results):
    """Mock rows split into what one more domain costs and what all of them share.

    With n domains the cost is shared + n * per_domain, so two measurements
    (1 and 2 domains) give both. per_domain is mostly the mock driver's own
    page table, which differs between the two kernels' mock drivers.
    """
    body = []
    for backing in BACKINGS:
        cells = [backing]
        for variant in VARIANTS:
            cells += domain_cost_cells(results.run(variant, 'q35').memory, backing)
        body.append(cells)
    if all(c == '-' for row in body for c in row[1:]):
        return []
    return ['\nthe mock rows split: cost with n domains = shared + n * per domain '
            '(from 1 and 2 domains), bytes per page:',
            text_table(('backing', 'shared ours', 'per domain ours', 'shared stock',
                        'per domain stock'), body)]


# ---------------------------------------------------------------- buffers

def describe_buffer(info):
    """'thp 2 runs (100% THP)' from an '@bench info' line; None if it lacks the runs."""
    if 'backing' not in info or 'runs' not in info:
        return None
    what = f'{info["backing"]} {info["runs"]} runs'
    if 'huge_bytes' in info and int(info.get('bytes') or 0):
        what += f' ({100 * int(info["huge_bytes"]) / int(info["bytes"]):.0f}% THP)'
    return what


def info_lines(results):
    """What the buffers were made of in each boot, from the program's info lines."""
    out = []
    for machine in MACHINES:
        for variant in VARIANTS:
            described = [d for d in map(describe_buffer, results.run(variant, machine).info)
                         if d]
            if described:
                out.append(f'  {variant} on {machine}, each boot: ' + ', '.join(described))
    return out
