"""Unit tests of make bench: parsing, statistics, tables, targets, boots (no kernel, no QEMU).

Run: python3 -m unittest discover -s harness -p 'test_*.py'
"""

import os
import tempfile
import unittest
from unittest import mock

from harness.pipeline.bench import boots, parse, render, stats, tables
from harness.pipeline.bench.data import MACHINES, Memory, MemKey, Results, TimeKey, Timing
from harness.pipeline.bench.targets import (Target, evaluate_targets, listed, target_memory,
                                            target_not_slower)
from harness.pipeline.common import PipelineError
from harness.pipeline.results import Row, text_table
from harness.pipeline.suites import Suite

MIB = 1 << 20


def time_line(section, path, backing, size, domains, ns, do_ns=None):
    do_ns = ns // 2 if do_ns is None else do_ns
    return (f'@bench time section={section} path={path} backing={backing} bytes={size} '
            f'domains={domains} ns={ns} do_ns={do_ns} undo_ns={ns - do_ns} samples=5 ops=1 '
            f'spread=4.5')


def item_line(section, items, ns, do_ns=None):
    """An '@bench time' line of a vIOMMU row, which counts items."""
    do_ns = ns if do_ns is None else do_ns
    return (f'@bench time section={section} path=viommu items={items} ns={ns} do_ns={do_ns} '
            f'undo_ns={ns - do_ns} samples=5 ops=64 spread=2.0')


VIOMMU_SKIP = ('@bench skip invalidate,vevent built against a uAPI without the mock '
               'driver\'s vIOMMU and vEVENTQ')


def run_of(lines):
    return parse.parse_run(lines + ['@bench done errors=0'])


class ParseTest(unittest.TestCase):
    def test_time_memory_info_and_done(self):
        run = parse.parse_run([
            '# mock IOMMU (CONFIG_IOMMUFD_TEST)',
            '@bench info backing=thp bytes=134217728 huge_bytes=132120576',
            time_line('map', 'mock', '4k', 65536, 1, 40000, do_ns=30000),
            '@bench mem path=mock backing=4k domains=2 bytes=134217728 pages=32768 '
            'free=2097152 slab=1048576 sec_pagetables=1048576 vmalloc=0 reps=3',
            '@bench done errors=0',
        ])
        self.assertTrue(run.done)
        self.assertEqual(run.errors, [])
        timing = run.times[TimeKey('map', 'mock', '4k', 65536, 1)]
        self.assertEqual((timing.ns, timing.do_ns, timing.undo_ns), (40000, 30000, 10000))
        self.assertAlmostEqual(timing.spread, 4.5)
        self.assertAlmostEqual(timing.mib_per_s(65536), 1562.5)
        mem = run.memory[MemKey('mock', '4k', 2)]
        self.assertEqual(mem.per_page(), 64.0)
        self.assertEqual(mem.per_page('free'), 64.0)
        self.assertEqual(mem.per_page('slab'), 32.0)
        self.assertEqual(run.info[0]['huge_bytes'], '132120576')

    def test_errors_and_missing_end(self):
        run = parse.parse_run([
            '@bench error IOMMU_TEST_OP_MOCK_DOMAIN: No such device',
            '@bench time section=map path=mock backing=4k bytes=oops',
        ])
        self.assertFalse(run.done)
        self.assertEqual(run.errors[0], 'IOMMU_TEST_OP_MOCK_DOMAIN: No such device')
        self.assertIn('unreadable result line', run.errors[1])

    def test_error_count_without_error_lines(self):
        run = parse.parse_run(['@bench done errors=2'])
        self.assertTrue(run.done)
        self.assertEqual(len(run.errors), 1)

    def test_rows_of_items_have_no_buffer(self):
        run = run_of([item_line('invalidate', 16, 8000)])
        key = TimeKey('invalidate', 'viommu', '-', 0, 0, items=16)
        self.assertEqual(list(run.times), [key])
        self.assertEqual(run.times[key].undo_ns, 0)
        self.assertAlmostEqual(run.times[key].per_s(16), 2e6)

    def test_a_skip_is_no_error(self):
        run = run_of([VIOMMU_SKIP, '@bench skip'])
        self.assertEqual(run.skipped, [(('invalidate', 'vevent'), 'built against a uAPI '
                                        "without the mock driver's vIOMMU and vEVENTQ")])
        self.assertEqual(len(run.errors), 1)          # the bare one is unreadable
        merged = stats.merge_runs([run_of([VIOMMU_SKIP]), run_of([VIOMMU_SKIP])])
        self.assertEqual(len(merged.skipped), 1)
        self.assertEqual(merged.errors, [])

    def test_line_behind_other_text(self):
        # The runner hands over guest text; a prefix must not hide a result.
        run = parse.parse_run(['xx ' + time_line('copy', 'mock', 'thp', 2 * MIB, 0, 10)])
        self.assertIn(TimeKey('copy', 'mock', 'thp', 2 * MIB, 0), run.times)


class PoolTest(unittest.TestCase):
    def test_samples_of_two_boots_pool_into_one_median(self):
        first = parse.parse_run([time_line('map', 'mock', '4k', MIB, 1, 50)
                                 + ' all_ns=50,10,90 all_do_ns=25,5,45'])
        second = parse.parse_run([time_line('map', 'mock', '4k', MIB, 1, 60)
                                  + ' all_ns=60,70,20 all_do_ns=30,35,10'])
        merged = stats.merge_runs([first, second])
        timing = merged.times[TimeKey('map', 'mock', '4k', MIB, 1)]
        self.assertEqual(timing.all_ns, [10, 20, 50, 60, 70, 90])
        # six samples: the lower middle one, with its own split
        self.assertEqual((timing.ns, timing.do_ns, timing.undo_ns), (50, 25, 25))
        self.assertEqual(timing.samples, 6)
        self.assertAlmostEqual(timing.spread, 160.0)
        self.assertFalse(merged.done)

    def test_samples_of_a_slow_guest_are_set_aside(self):
        # The second and fourth samples ran while the host took the CPU away
        run = parse.parse_run([time_line('map', 'mock', '4k', MIB, 1, 50)
                               + ' all_ns=50,90,52,95,48 all_do_ns=25,45,26,47,24'
                               + ' all_gauge_ns=100,180,110,150,105'])
        timing = run.times[TimeKey('map', 'mock', '4k', MIB, 1)]
        self.assertEqual(timing.all_ns, [48, 50, 52])
        self.assertEqual((timing.ns, timing.do_ns), (50, 25))
        self.assertEqual((timing.samples, timing.taken), (3, 5))

    def test_the_fastest_gauge_is_the_boots_and_rows_keep_three(self):
        # Against the boot's fastest gauge (10), no sample of this row is
        # at full speed: the three of its fastest gauges stay
        run = parse.parse_run([time_line('map', 'mock', '4k', MIB, 1, 50)
                               + ' all_ns=70,50,60,40 all_do_ns=35,25,30,20'
                               + ' all_gauge_ns=40,20,30,50',
                               time_line('map', 'mock', '4k', MIB, 0, 5)
                               + ' all_ns=5 all_do_ns=2 all_gauge_ns=10'])
        timing = run.times[TimeKey('map', 'mock', '4k', MIB, 1)]
        self.assertEqual(timing.all_ns, [50, 60, 70])
        self.assertEqual(timing.taken, 4)

    def test_kept_and_taken_samples_add_up_over_boots(self):
        line = (time_line('map', 'mock', '4k', MIB, 1, 50)
                + ' all_ns=50,90,52,48 all_do_ns=25,45,26,24 all_gauge_ns=100,200,100,100')
        merged = stats.merge_runs([parse.parse_run([line]), parse.parse_run([line])])
        self.assertEqual(stats.sample_counts(Results({'ours': {'q35': merged}})), (6, 8))

    def test_memory_of_two_boots_is_averaged(self):
        line = ('@bench mem path=mock backing=4k domains=1 bytes=8 copies=1 pages=2 free={} '
                'slab={} sec_pagetables=0 vmalloc=0 reps=3')
        merged = stats.merge_runs([run_of([line.format(10, 20)]), run_of([line.format(30, 40)])])
        mem = merged.memory[MemKey('mock', '4k', 1)]
        self.assertEqual((mem.free, mem.slab, mem.pages), (20, 30, 2))
        self.assertTrue(merged.done)

    def test_boot_order_alternates(self):
        order = [(m, v) for m, v, _ in boots.boot_order()]
        self.assertEqual(order[:4], [('q35', 'ours'), ('q35', 'stock'), ('q35', 'stock'),
                                     ('q35', 'ours')])
        self.assertEqual(len(order), 4 * len(MACHINES))
        self.assertEqual(order[-1], ('virt-smmuv3', 'ours'))


class FormatTest(unittest.TestCase):
    def test_sizes(self):
        self.assertEqual([tables.fmt_size(s) for s in (65536, 2 * MIB, 128 * MIB, 1000)],
                         ['64K', '2M', '128M', '1000'])

    def test_ratio_is_of_throughput(self):
        fast = Timing(100, 50, 50, 5, 1, 0.0)
        slow = Timing(300, 150, 150, 5, 1, 0.0)
        self.assertEqual(stats.ratio(fast, slow), 3.0)
        self.assertIsNone(stats.ratio(None, slow))

    def test_table_alignment(self):
        text = text_table(('name', 'n'), [('a', '1'), ('bbb', '22')])
        self.assertEqual(text.splitlines(), ['name   n', '----  --', 'a      1', 'bbb   22'])


def results(ours_q35, stock_q35, ours_vtd=(), stock_vtd=()):
    return Results({'ours': {'q35': run_of(list(ours_q35)), 'q35-vtd': run_of(list(ours_vtd))},
                    'stock': {'q35': run_of(list(stock_q35)),
                              'q35-vtd': run_of(list(stock_vtd))}})


class TargetTest(unittest.TestCase):
    def test_slower_row_misses(self):
        res = results([time_line('map', 'mock', '4k', 65536, 0, 100),
                       time_line('map', 'mock', '4k', 65536, 1, 300)],
                      [time_line('map', 'mock', '4k', 65536, 0, 110),
                       time_line('map', 'mock', '4k', 65536, 1, 200)])
        _, targets = evaluate_targets(res)
        not_slower = targets[0]
        self.assertFalse(not_slower.met)
        self.assertIn('1 of 2 rows', not_slower.summary)
        self.assertIn('map (mock) 1', not_slower.details[0])
        self.assertTrue(not_slower.details[1].startswith('0.67'))

    def test_type1_and_huge_targets(self):
        ours_vtd = [time_line('map', 'auto', '4k', 2 * MIB, 1, 400),
                    time_line('map', 'auto', 'hugetlb', 2 * MIB, 1, 100),
                    time_line('map', 'auto', 'thp', 2 * MIB, 1, 500),
                    time_line('map', 'type1', '4k', 2 * MIB, 1, 1200),
                    time_line('map', 'type1', 'hugetlb', 2 * MIB, 1, 300),
                    time_line('map', 'type1', 'thp', 2 * MIB, 1, 1000),
                    # below 2 MiB: neither target looks at it
                    time_line('map', 'auto', 'thp', 65536, 1, 900),
                    time_line('map', 'type1', 'thp', 65536, 1, 100)]
        res = results([], [], ours_vtd, ours_vtd)
        _, targets = evaluate_targets(res)
        by_title = {t.title.split(':')[0]: t for t in targets}
        type1 = by_title['VT-d']
        self.assertFalse(type1.met)
        self.assertIn('2 of 3 rows', type1.summary)         # thp only 2.0x
        huge = [t for t in targets if t.title.startswith('huge-page')][0]
        self.assertFalse(huge.met)                           # thp slower than 4k
        self.assertEqual(len(huge.details), 1)
        self.assertIn('thp', huge.details[0])

    def test_targets_of_a_machine_left_out_are_not_measured(self):
        q35 = [time_line('map', 'mock', '4k', MIB, 1, 1000)]
        lines, targets = render.report(results(q35, q35))
        by_title = {t.title.split(':')[0]: t for t in targets}
        self.assertTrue(targets[0].met)
        self.assertFalse(by_title['VT-d'].measured)
        self.assertIn('[not measured] VT-d', '\n'.join(lines))
        self.assertNotIn('[MISSED] VT-d', '\n'.join(lines))

    def test_memory_target_ignores_type1(self):
        mem = ('@bench mem path={} backing=4k domains=1 bytes=134217728 pages=32768 '
               'free=0 slab={} sec_pagetables=0 vmalloc=0 reps=3')
        res = results([mem.format('mock', 32768 * 40)], [mem.format('mock', 32768 * 50)],
                      [mem.format('type1', 32768 * 90)], [mem.format('type1', 32768 * 10)])
        _, targets = evaluate_targets(res)
        memory = targets[1]
        self.assertTrue(memory.met)
        self.assertEqual(memory.summary, '1 of 1 measurements')

    def test_memory_detail_names_the_difference_and_the_spread(self):
        line = ('@bench mem path=mock backing=4k domains=1 bytes=8 copies=1 pages=4096 '
                'free=0 slab={} sec_pagetables=0 vmalloc=0 reps=3')
        ours = stats.merge_runs([run_of([line.format(8192)]), run_of([line.format(12288)])])
        stock = stats.merge_runs([run_of([line.format(4096)]), run_of([line.format(4096)])])
        res = Results({'ours': {'q35': ours}, 'stock': {'q35': stock}})
        memory = target_memory(res)
        self.assertFalse(memory.met)
        self.assertIn('6 KiB more for 4096 pages', memory.details[0])
        self.assertIn('differed by up to 4 KiB', memory.details[0])

    def test_buffer_layout_lines(self):
        run = run_of(['@bench info backing=4k bytes=8192 runs=2',
                      '@bench info backing=thp bytes=4194304 runs=2 huge_bytes=4194304'])
        res = Results({'ours': {'q35': run}})
        self.assertEqual(tables.info_lines(res),
                         ['  ours on q35, each boot: 4k 2 runs, thp 2 runs (100% THP)'])

    def test_noise_from_type1_on_both_kernels(self):
        res = results([], [], [time_line('map', 'type1', '4k', MIB, 1, 110)],
                      [time_line('map', 'type1', '4k', MIB, 1, 100)])
        median, worst = stats.noise_estimate(res)
        self.assertAlmostEqual(median, 0.1)
        self.assertAlmostEqual(worst, 0.1)

    def test_report_renders_every_section(self):
        q35 = [time_line(s, 'mock', '4k', MIB, 1, 1000) for s in ('map', 'copy', 'access')]
        vtd = [time_line('map', p, '4k', 2 * MIB, 1, 1000) for p in ('auto', 'hwpt', 'type1')]
        viommu = [item_line('invalidate', 16, 1000), item_line('vevent', 64, 1000, 500)]
        lines, targets = render.report(results(q35 + viommu, q35 + [VIOMMU_SKIP], vtd, vtd))
        text = '\n'.join(lines)
        for words in ('IOMMU_IOAS_COPY', 'pin + unpin', 'IOMMU_HWPT_INVALIDATE', 'vEVENTQ',
                      'through VT-d', 'targets'):
            self.assertIn(words, text)
        self.assertEqual(len(targets), 4)

    def test_viommu_rows_count_toward_no_target(self):
        # Much slower than anything of stock's, and yet no target misses
        ours = [time_line('map', 'mock', '4k', MIB, 1, 1000), item_line('invalidate', 1, 10 ** 9)]
        stock = [time_line('map', 'mock', '4k', MIB, 1, 1000), VIOMMU_SKIP]
        _, targets = evaluate_targets(results(ours, stock))
        self.assertTrue(targets[0].met)
        self.assertEqual(targets[0].summary, '1 of 1 rows')

    def test_bench_selects_machines(self):
        self.assertEqual(boots.selected_machines(''), MACHINES)
        self.assertEqual(boots.selected_machines('vtd'), ('q35-vtd',))
        self.assertEqual(boots.selected_machines('q35-vtd, mock'), ('q35', 'q35-vtd'))
        self.assertEqual(boots.selected_machines('virtio,amd'), ('q35-amd', 'q35-virtio'))
        with self.assertRaises(PipelineError):
            boots.selected_machines('smmu')



def mem_line(backing, domains, slab, pages=4, path='mock'):
    return (f'@bench mem path={path} backing={backing} domains={domains} bytes=8388608 '
            f'copies=1 pages={pages} free=0 slab={slab} sec_pagetables=0 vmalloc=0 reps=3')


def table_row(table, n=0):
    """The cells of the n-th body row of a text_table."""
    return table.splitlines()[2 + n].split()


class TableTest(unittest.TestCase):
    def test_cells_round_by_size(self):
        slow = Timing(10 ** 9, 150000, 2500, 5, 1, 0.0)
        self.assertEqual(tables.rate_cell(slow, 50 * MIB), '50.0')
        self.assertEqual(tables.rate_cell(slow, 150 * MIB), '150')
        self.assertEqual(tables.us_cell(slow), '150+2.5')
        self.assertEqual((tables.rate_cell(None, MIB), tables.us_cell(None)), ('-', '-'))

    def test_mock_table_marks_what_stock_did_not_measure(self):
        lines = tables.mock_tables(results([time_line('map', 'mock', '4k', MIB, 1, 1000)], []))
        self.assertEqual(len(lines), 2)
        self.assertIn('IOMMU_IOAS_MAP', lines[0])
        self.assertEqual(table_row(lines[1]),
                         ['4k', '1M', '1', '1000000', '-', '-', '0.5+0.5', '-'])

    def test_edu_table_compares_each_kernel_with_its_own_type1(self):
        ours = [time_line('map', 'auto', '4k', 2 * MIB, 1, 1000),
                time_line('map', 'type1', '4k', 2 * MIB, 1, 3000)]
        stock = [time_line('map', 'auto', '4k', 2 * MIB, 1, 2000),
                 time_line('map', 'type1', '4k', 2 * MIB, 1, 4000)]
        lines = tables.edu_table(results([], [], ours, stock), 'q35-vtd')
        self.assertIn('through VT-d with edu bound (q35-vtd)', lines[0])
        self.assertEqual(table_row(lines[-1]),
                         ['4k', '2M', 'auto', '2000000', '1000000', '666667', '500000',
                          '2.00', '3.00', '2.00', '0.5+0.5', '1.0+1.0', '1.5+1.5'])

    def test_edu_table_says_which_kernel_lacked_a_path(self):
        ours = [time_line('map', p, '4k', 2 * MIB, 1, 1000) for p in ('auto', 'hwpt', 'type1')]
        stock = [time_line('map', p, '4k', 2 * MIB, 1, 1000) for p in ('auto', 'type1')]
        stock.append('@bench skip map:hwpt a HWPT allocated before the first attach maps '
                     'nothing')
        res = Results({'ours': {'q35-virtio': run_of(ours)},
                       'stock': {'q35-virtio': run_of(stock)}})
        lines = tables.edu_table(res, 'q35-virtio')
        self.assertIn('through virtio-iommu with edu bound (q35-virtio)', lines[0])
        self.assertEqual(lines[-1], '  skipped by stock: a HWPT allocated before the first '
                                    'attach maps nothing')
        hwpt = table_row(lines[2], 1)
        self.assertEqual((hwpt[2], hwpt[4]), ('hwpt', '-'))
        _, judged = render.report(res)
        self.assertEqual(judged[0].summary, '1 of 1 rows')

    def test_viommu_tables_are_ours_alone(self):
        ours = [item_line('invalidate', 256, 128000), item_line('invalidate', 1, 5000),
                item_line('vevent', 64, 640000, do_ns=512000)]
        lines = tables.viommu_tables(results(ours, [VIOMMU_SKIP]))
        text = '\n'.join(lines)
        self.assertIn('IOMMU_HWPT_INVALIDATE', lines[0])
        self.assertIn('entries/s', lines[0])
        self.assertEqual(table_row(lines[1]), ['1', '200000', 'no', 'counterpart', '5.0'])
        self.assertEqual(table_row(lines[1], 1), ['256', '2000000', 'no', 'counterpart', '128'])
        self.assertIn('events/s', lines[2])
        self.assertEqual(table_row(lines[3]), ['64', '100000', 'no', 'counterpart', '512+128'])
        self.assertIn('no stock counterpart', text)
        self.assertTrue(lines[-1].startswith('  skipped by stock: built against a uAPI'))

    def test_viommu_tables_tell_a_skip_without_rows(self):
        lines = tables.viommu_tables(results([VIOMMU_SKIP], [VIOMMU_SKIP]))
        self.assertEqual(lines[0], '\nvIOMMU rows (q35): none measured')
        self.assertEqual(len(lines), 3)
        self.assertEqual(tables.viommu_tables(results([], [])), [])

    def test_memory_row_per_page_with_the_ratio_after_kernel(self):
        ours = Memory(8 * MIB, 4, 0, 40, 8, 0, 3)
        stock = Memory(8 * MIB, 4, 0, 24, 0, 0, 3)
        self.assertEqual(tables.memory_row('q35', MemKey('mock', '4k', 1), ours, stock),
                         ['q35', 'mock', '4k', '1', '8M', '12.00', '6.00', '2.00',
                          '10.00', '6.00', '2.00', '0.00', '0.00', '0.00'])
        self.assertEqual(tables.memory_row('q35', MemKey('mock', '4k', 1), None, stock),
                         ['q35', 'mock', '4k', '1', '8M', '-', '6.00', '-',
                          '-', '6.00', '-', '0.00', '-', '0.00'])

    def test_memory_table_lists_rows_of_either_kernel(self):
        res = results([mem_line('4k', 1, 40)], [mem_line('thp', 2, 40)])
        table = tables.memory_table(res)[-1]
        self.assertEqual([table_row(table, n)[:4] for n in range(2)],
                         [['q35', 'mock', '4k', '1'], ['q35', 'mock', 'thp', '2']])

    def test_domain_cost_from_one_and_two_domains(self):
        res = results([mem_line('4k', 1, 40), mem_line('4k', 2, 56)], [])
        lines = tables.domain_cost_table(res)
        self.assertEqual(table_row(lines[-1]), ['4k', '6.0', '4.0', '-', '-'])
        self.assertEqual(table_row(lines[-1], 1), ['thp', '-', '-', '-', '-'])
        self.assertEqual(tables.domain_cost_table(results([mem_line('4k', 1, 40)], [])), [])


class RenderTest(unittest.TestCase):
    def test_last_line_counts_the_targets(self):
        targets = [Target('a', 2, 0, []), Target('b', 2, 1, []), Target('c', 0, 0, [])]
        self.assertEqual(render.closing_lines(targets, [], [], 65),
                         ['make bench: 3 targets, 1 met, 1 missed, 1 not measured; '
                          'all boots delivered [1m05s]'])

    def test_notes_and_problems_come_before_the_last_line(self):
        lines = render.closing_lines([Target('a', 1, 0, [])], ['build (normal): x'],
                                     ['ours on q35, boot 1 of 2: y'], 5)
        self.assertEqual(lines, ['notes from the builds:', '  build (normal): x',
                                 'problems (results are incomplete):',
                                 '  ours on q35, boot 1 of 2: y',
                                 'make bench: 1 targets, 1 met, 0 missed; results INCOMPLETE [5s]'])


class ListTest(unittest.TestCase):
    def test_long_lists_are_cut(self):
        lines = [str(n) for n in range(15)]
        self.assertEqual(listed(lines), lines[:12] + ['... 3 more'])
        self.assertEqual(listed(lines[:12]), lines[:12])

    def test_slower_rows_are_told_against_the_noise(self):
        res = results([time_line('map', 'mock', '4k', MIB, 1, 1000),
                       time_line('map', 'mock', '4k', MIB, 2, 1000)],
                      [time_line('map', 'mock', '4k', MIB, 1, 970),
                       time_line('map', 'mock', '4k', MIB, 2, 600)])
        target = target_not_slower(res, (0.05, 0.5))
        self.assertEqual(target.summary, '0 of 2 rows; of the 2 slower, 1 by less than the '
                         'typical and 2 by less than the largest difference of identical code '
                         '(see noise)')
        self.assertEqual(target.details[1:], ['0.60  map 4k 1M (2 mock dom)',
                                              '0.97  map 4k 1M (1 mock dom)'])


BENCH_SUITE = Suite('bench-smoke', 'q35', ['normal'], 600, 'exit', ['check'],
                    '/tests/samples/iommufd_bench')


class FakeBoot:
    """Boot's part that run_bench uses; stock fails on q35-vtd."""
    booted = []

    def __init__(self, kb, initramfs, machine, suites, args=''):
        self.booted.append((kb, machine, args))
        self.fails = (kb, machine) == ('stock', 'q35-vtd')
        self.logfile = os.path.join(os.environ['BENCH_TMP'], f'boot-{kb}-{machine}.log')
        with open(self.logfile, 'w') as f:
            f.write('console\n')
        lines = ['@bench error IOMMU_HWPT_ALLOC: No such device'] if self.fails else [
            time_line('map', 'mock', '4k', MIB, 1, 1000) + ' all_ns=1000 all_do_ns=500',
            '@bench done errors=0']
        self.lines = {suites[0].name: lines}

    def run(self):
        pass

    def report_problems(self):
        pass

    def rows(self):
        row = Row(BENCH_SUITE.name, 'normal')
        if self.fails:
            row.fail('exit code 1')
        return [row]


# {variant: {arch: (kb, initramfs)}}: FakeBoot is told the kernel by name
X86 = {'ours': {'x86_64': ('ours', 'i')}, 'stock': {'x86_64': ('stock', 'i')}}


class RunBenchTest(unittest.TestCase):
    def run_bench(self, builds, bench='mock,vtd', missing_program=()):
        def require_program(kb):
            if kb in missing_program:
                raise PipelineError(f'{boots.PROGRAM} was not built for {kb}')
        FakeBoot.booted = []
        with tempfile.TemporaryDirectory() as tmp, \
                mock.patch.dict(os.environ, {'BENCH': bench, 'BENCH_TMP': tmp}), \
                mock.patch.object(boots, 'Boot', FakeBoot), \
                mock.patch.object(boots, 'measuring_suite', lambda: BENCH_SUITE), \
                mock.patch.object(boots, 'require_program', require_program), \
                mock.patch.object(boots, 'cache_path', lambda *p: os.path.join(tmp, *p)), \
                mock.patch.object(boots, 'log'):
            os.makedirs(os.path.join(tmp, 'logs'))
            res, problems = boots.run_bench(builds)
            kept = sorted(os.listdir(os.path.join(tmp, 'logs')))
        return res, [p.replace(tmp, 'TMP') for p in problems], kept

    def test_boots_go_abba_and_pool_per_kernel(self):
        res, problems, kept = self.run_bench(X86)
        self.assertEqual([(kb, m) for kb, m, _ in FakeBoot.booted],
                         [('ours', 'q35'), ('stock', 'q35'), ('stock', 'q35'), ('ours', 'q35'),
                          ('ours', 'q35-vtd'), ('stock', 'q35-vtd'), ('stock', 'q35-vtd'),
                          ('ours', 'q35-vtd')])
        self.assertEqual({args for _, _, args in FakeBoot.booted}, {'--measure'})
        self.assertEqual(res.timing('ours', 'q35', TimeKey('map', 'mock', '4k', MIB, 1)).samples,
                         2)
        self.assertEqual(len(kept), 8)
        self.assertIn('bench-stock-q35-vtd-2.log', kept)
        self.assertEqual(problems[:3], [
            'stock on q35-vtd, boot 1 of 2: bench-smoke: exit code 1',
            'stock on q35-vtd, boot 1 of 2: the benchmark did not finish (console log '
            'TMP/logs/bench-stock-q35-vtd-1.log)',
            'stock on q35-vtd, boot 1 of 2: IOMMU_HWPT_ALLOC: No such device'])
        self.assertEqual(len(problems), 6)

    def test_a_variant_without_kernel_or_program_does_not_boot(self):
        res, problems, _ = self.run_bench({'ours': X86['ours']}, missing_program=('ours',))
        self.assertEqual(FakeBoot.booted, [])
        self.assertEqual(problems, ['ours: samples/iommufd_bench was not built for ours',
                                    'stock: no kernel to boot (its build failed)'])
        self.assertEqual(res.run('ours', 'q35').times, {})

    def test_bench_mock_boots_only_q35(self):
        _, problems, _ = self.run_bench(X86, bench='mock')
        self.assertEqual({m for _, m, _ in FakeBoot.booted}, {'q35'})
        self.assertEqual(len(FakeBoot.booted), 4)
        self.assertEqual(problems, [])

    def test_each_machine_boots_the_kernel_of_its_arch(self):
        builds = {v: {'x86_64': (v, 'i'), 'arm64': (f'{v}-arm64', 'i')} for v in ('ours', 'stock')}
        self.run_bench(builds, bench='smmuv3,virtio')
        self.assertEqual(sorted({(kb, m) for kb, m, _ in FakeBoot.booted}),
                         [('ours', 'q35-virtio'), ('ours-arm64', 'virt-smmuv3'),
                          ('stock', 'q35-virtio'), ('stock-arm64', 'virt-smmuv3')])

    def test_an_arch_without_its_kernel_is_a_problem_not_a_crash(self):
        _, problems, _ = self.run_bench(X86, bench='smmuv3')
        self.assertEqual(FakeBoot.booted, [])
        self.assertEqual(problems, ['ours (arm64): no kernel to boot (its build failed)',
                                    'stock (arm64): no kernel to boot (its build failed)'])


if __name__ == '__main__':
    unittest.main()
