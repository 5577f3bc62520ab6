"""Unit tests of make bench's parsing, ratios and targets (no kernel, no QEMU).

Run: python3 -m unittest discover -s harness -p 'test_*.py'
"""

import unittest

from harness.pipeline.bench import boots, parse, render, stats, tables
from harness.pipeline.bench.data import MACHINES, MemKey, Results, TimeKey, Timing
from harness.pipeline.bench.targets import evaluate_targets, target_memory
from harness.pipeline.common import PipelineError
from harness.pipeline.results import text_table

MIB = 1 << 20


def time_line(section, path, backing, size, domains, ns, do_ns=None):
    do_ns = ns // 2 if do_ns is None else do_ns
    return (f'@bench time section={section} path={path} backing={backing} bytes={size} '
            f'domains={domains} ns={ns} do_ns={do_ns} undo_ns={ns - do_ns} samples=5 ops=1 '
            f'spread=4.5')


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
        self.assertEqual(len(order), 8)


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
        lines, targets = render.report(results(q35, q35, vtd, vtd))
        text = '\n'.join(lines)
        for words in ('IOMMU_IOAS_COPY', 'pin + unpin', 'through VT-d', 'targets'):
            self.assertIn(words, text)
        self.assertEqual(len(targets), 4)

    def test_bench_selects_machines(self):
        self.assertEqual(boots.selected_machines(''), MACHINES)
        self.assertEqual(boots.selected_machines('vtd'), ('q35-vtd',))
        self.assertEqual(boots.selected_machines('q35-vtd, mock'), ('q35', 'q35-vtd'))
        with self.assertRaises(PipelineError):
            boots.selected_machines('amd')


if __name__ == '__main__':
    unittest.main()
