"""Unit tests of the harness's own parsing (no kernel, no QEMU needed).

Run: python3 -m unittest discover -s harness -p 'test_*.py'
"""

import os
import tempfile
import textwrap
import types
import unittest
from unittest import mock

from harness import main
from harness.machines import ARCHES, MACHINES
from harness.pipeline import guest, kbuild, runner
from harness.pipeline.results import Row, SplatScanner, count_tap
from harness.pipeline.common import REPO, PipelineError, kmake_cmd
from harness.pipeline.suites import Suite, load_suites
from harness.pipeline.tree import SELFTEST_DIR

TAP_OK = textwrap.dedent('''\
    TAP version 13
    1..4
    # Starting 4 tests from 2 test cases.
    #  RUN           ioas.alloc ...
    #            OK  ioas.alloc
    ok 1 ioas.alloc
    not ok 2 ioas.map
    ok 3 ioas.huge # SKIP no hugepages
    ok 4 ioas.unmap
    # FAILED: 2 / 4 tests passed.
    # Totals: pass:2 fail:1 xfail:0 xpass:0 skip:1 error:0
    ''').splitlines()

WARN_TRACE = [
    '[   12.000001] ------------[ cut here ]------------',
    '[   12.000002] WARNING: CPU: 1 PID: 80 at drivers/iommu/iommufd/main.c:10 f+0x1/0x2',
    '[   12.000003] Call Trace:',
    '[   12.000004]  <TASK>',
    '[   12.000005] ---[ end trace 0000000000000000 ]---',
]


class TapTest(unittest.TestCase):
    def test_counts_and_failed_names(self):
        row = Row('core', 'normal')
        failed = count_tap(TAP_OK, row)
        self.assertEqual((row.passed, row.failed, row.skipped), (2, 1, 1))
        self.assertEqual(failed, ['not ok 2 ioas.map'])

    def test_truncated_output_fails(self):
        row = Row('core', 'normal')
        count_tap(TAP_OK[:6], row)             # plan of 4, one result, no totals
        self.assertEqual(row.passed, 1)
        self.assertEqual(row.failed, 1)
        self.assertIn('truncated', row.notes[-1])

    def test_no_plan_fails(self):
        row = Row('core', 'normal')
        count_tap(['sh: /tests/iommu/iommufd_core: not found'], row)
        self.assertEqual(row.failed, 1)

    def test_totals_win_over_garbled_lines(self):
        garbled = [l.replace('ok 4 ioas.unmap', 'o[   1.000000] x') for l in TAP_OK]
        row = Row('core', 'normal')
        count_tap(garbled, row)
        self.assertEqual((row.passed, row.failed, row.skipped), (2, 1, 1))


class SplatTest(unittest.TestCase):
    def test_warning_is_one_splat_with_its_trace(self):
        scanner = SplatScanner()
        for line in ['[    1.0] boot line'] + WARN_TRACE + ['[   13.000000] later']:
            scanner.feed(line, 'core')
        self.assertEqual(len(scanner.splats), 1)
        splat = scanner.splats[0]
        self.assertEqual(splat.owner, 'core')
        self.assertEqual(len(splat.lines), 4)
        self.assertTrue(splat.title.startswith('WARNING: CPU: 1'))

    def test_patterns(self):
        for text in ['BUG: KASAN: slab-use-after-free in x', 'UBSAN: shift-out-of-bounds in y',
                     'WARNING: possible circular locking dependency detected',
                     'INFO: task a.out:80 blocked for more than 120 seconds.',
                     'Kernel panic - not syncing: Fatal exception',
                     'refcount_t: underflow; use-after-free.',
                     'list_del corruption. prev->next should be x',
                     'ODEBUG: free active (active state 0) object: x',
                     'BUG: sleeping function called from invalid context at y',
                     'watchdog: BUG: soft lockup - CPU#0 stuck for 22s!',
                     'kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)']:
            scanner = SplatScanner()
            scanner.feed(f'[    5.000000] {text}', 'core')
            self.assertEqual(len(scanner.splats), 1, text)

    def test_test_output_is_not_a_splat(self):
        scanner = SplatScanner()
        scanner.feed('# WARNING: this is test output, not the kernel', 'core')
        scanner.feed('[    5.000000] kasan: KernelAddressSanitizer initialized', 'boot')
        self.assertEqual(scanner.splats, [])

    def test_kmemleak_objects(self):
        scanner = SplatScanner()
        for line in ['unreferenced object 0xffff888001 (size 64):', '  comm "a", pid 1',
                     '  backtrace (crc 0):', 'unreferenced object 0xffff888002 (size 8):']:
            scanner.feed(line, 'kmemleak', in_kmemleak=True)
        self.assertEqual(len(scanner.splats), 2)
        self.assertEqual(scanner.splats[0].kind, 'kmemleak')


class FakeBuild:
    profile = 'normal'
    name = 'test-normal'
    arch = 'x86_64'


def fake_boot(console, suites, kmemleak=False, limit=None, build=FakeBuild):
    """Run Boot on a shell script that prints console (with the boot's nonce)."""
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, 'console')
        with open(script, 'w') as f:
            f.write(console)
        boot = runner.Boot(build(), '/dev/null', 'q35', suites, kmemleak=kmemleak)
        boot.logfile = os.path.join(tmp, 'boot.log')
        text = console.replace('NONCE', boot.nonce)
        with open(script, 'w') as f:
            f.write(text)
        cmd = ['sh', '-c', f'cat {script}; sleep 30']
        with mock.patch.object(runner, 'qemu_command', lambda *a, **k: cmd), \
                mock.patch.object(runner.Boot, 'time_limit', lambda self: limit or 5), \
                mock.patch('builtins.print'):
            if limit is None:
                cmd[2] = f'cat {script}'
            boot.run()
        return boot, {r.suite: r for r in boot.rows()}


CORE = Suite('core', 'q35', ['normal'], 60, 'tap', ['check'], '/tests/iommu/iommufd_core')
DEMO = Suite('demo', 'q35', ['normal'], 60, 'exit', ['check'], '/tests/samples/iommufd_demo')


class BootTest(unittest.TestCase):
    def test_clean_run(self):
        console = '\n'.join(['[    0.000000] Linux version 6.12', '@@harness:NONCE:init@@',
                             '@@harness:NONCE:begin:core@@', *TAP_OK,
                             '@@harness:NONCE:end:core:rc=1@@', '@@harness:NONCE:begin:demo@@',
                             'hello', '@@harness:NONCE:end:demo:rc=0@@',
                             '@@harness:NONCE:done@@', ''])
        boot, rows = fake_boot(console, [CORE, DEMO])
        self.assertEqual((rows['core'].passed, rows['core'].failed), (2, 1))
        self.assertEqual((rows['demo'].passed, rows['demo'].failed), (1, 0))
        self.assertNotIn('boot', rows)

    def test_splat_fails_the_running_suite(self):
        console = '\n'.join(['@@harness:NONCE:init@@', '@@harness:NONCE:begin:demo@@',
                             *WARN_TRACE, '@@harness:NONCE:end:demo:rc=0@@',
                             '@@harness:NONCE:done@@', ''])
        _, rows = fake_boot(console, [DEMO])
        self.assertEqual((rows['demo'].passed, rows['demo'].failed), (1, 1))

    def test_hang_hits_the_time_limit(self):
        console = '@@harness:NONCE:init@@\n@@harness:NONCE:begin:core@@\nTAP version 13\n'
        boot, rows = fake_boot(console, [CORE, DEMO], limit=2)
        self.assertTrue(boot.timed_out)
        self.assertEqual(rows['boot'].failed, 1)
        self.assertGreaterEqual(rows['core'].failed, 1)
        self.assertEqual(rows['demo'].failed, 1)      # never started

    def test_repeats_of_one_warning_count_once(self):
        again = [l.replace('PID: 80', 'PID: 81').replace('12.', '14.') for l in WARN_TRACE]
        console = '\n'.join(['@@harness:NONCE:init@@', '@@harness:NONCE:begin:demo@@',
                             *WARN_TRACE, *again, '@@harness:NONCE:end:demo:rc=0@@',
                             '@@harness:NONCE:done@@', ''])
        _, rows = fake_boot(console, [DEMO])
        self.assertEqual(rows['demo'].failed, 1)
        self.assertIn('(x2)', rows['demo'].notes[-1])

    def test_marker_cut_by_a_kernel_message_is_put_back_together(self):
        console = '\n'.join([
            '@@harness:NONCE:in[    1.334082] input: ImExPS/2 Generic Explorer Mouse',
            'it@@', '@@harness:NONCE:begin:core@@',
            'ok 1 ioas.al[    2.000001] random: crng init done', 'loc', *TAP_OK[1:5],
            *TAP_OK[6:], '@@harness:NONCE:end:core:rc=1@@',
            '@@harness:NONCE:done@@', ''])
        boot, rows = fake_boot(console, [CORE])
        self.assertTrue(boot.init_seen)
        self.assertNotIn('boot', rows)
        self.assertEqual((rows['core'].passed, rows['core'].failed), (2, 1))

    def test_forged_marker_without_nonce_is_ignored(self):
        console = '\n'.join(['@@harness:NONCE:init@@', '@@harness:NONCE:begin:demo@@',
                             '@@harness:deadbeef:end:demo:rc=0@@',
                             '@@harness:NONCE:end:demo:rc=3@@', '@@harness:NONCE:done@@', ''])
        _, rows = fake_boot(console, [DEMO])
        self.assertEqual(rows['demo'].failed, 1)



ARM_DMA = Suite('arm-dma', 'virt-smmuv3', ['normal'], 60, 'exit', ['check'],
                '/tests/samples/iommufd_vmm_dma')


class ArchBuild:
    """A kernel build as qemu_command and UserPrograms see it."""

    def __init__(self, arch, profile='normal'):
        self.arch = arch
        self.profile = profile
        self.name = f'test-{profile}-{arch}'
        self.image = '/nonexistent/Image'
        self.tree = types.SimpleNamespace(dir='/nonexistent', variant='ours',
                                          base=types.SimpleNamespace(src='/nonexistent'))


class ArchTest(unittest.TestCase):
    def test_a_kernel_per_arch_the_suites_need_x86_64_first(self):
        plan = main.suites_by_arch([ARM_DMA, CORE, DEMO])
        self.assertEqual(list(plan), ['x86_64', 'arm64'])
        self.assertEqual(plan['arm64'], [ARM_DMA])
        self.assertEqual(plan['x86_64'], [CORE, DEMO])

    def test_arm64_only_when_asked_and_x86_64_without_suites(self):
        self.assertEqual(list(main.suites_by_arch([CORE])), ['x86_64'])
        self.assertEqual(list(main.suites_by_arch([ARM_DMA])), ['arm64'])
        self.assertEqual(main.suites_by_arch([]), {'x86_64': []})

    def test_build_rows_are_named_by_arch(self):
        self.assertEqual(main.build_row_name('x86_64'), 'build')
        self.assertEqual(main.build_row_name('arm64'), 'build-arm64')

    def test_a_crashed_arch_stage_keeps_the_other_arch_rows(self):
        def stage(tree, profile, arch, suites, args='', echo=None):
            if arch == 'arm64':
                raise RuntimeError('boom')
            return [Row('core', profile, passed=1)]
        rows = []
        tree = types.SimpleNamespace(variant='ours')
        with mock.patch.object(main, 'arch_stage', stage), \
                mock.patch('traceback.print_exc'), mock.patch('builtins.print'):
            main.run_profile(rows, tree, 'normal', [CORE, ARM_DMA])
        self.assertEqual([r.suite for r in rows], ['core', 'harness'])
        self.assertEqual(rows[1].failed, 1)

    def test_every_machine_and_arch_is_complete(self):
        fields = set(ARCHES['x86_64'])
        for arch, spec in ARCHES.items():
            self.assertEqual(set(spec), fields, arch)
            self.assertTrue(os.path.exists(os.path.join(REPO, 'configs', f'{arch}.config')))
        for name, machine in MACHINES.items():
            self.assertIn(machine['arch'], ARCHES, name)

    def test_arm64_console_and_emulator(self):
        cmd = guest.qemu_command('virt-smmuv3', ArchBuild('arm64'), '/initrd', ['x=1'])
        self.assertEqual(cmd[0], 'qemu-system-aarch64')
        append = cmd[cmd.index('-append') + 1].split()
        self.assertEqual(append[0], 'console=ttyAMA0')
        self.assertNotIn('console=ttyS0', append)
        self.assertNotIn('no_timer_check', append)
        self.assertIn('virt,iommu=smmuv3,gic-version=3', cmd)

    def test_x86_64_console_is_unchanged(self):
        cmd = guest.qemu_command('q35', ArchBuild('x86_64'), '/initrd', [])
        append = cmd[cmd.index('-append') + 1].split()
        self.assertEqual(cmd[0], 'qemu-system-x86_64')
        self.assertEqual(append[0], 'console=ttyS0')
        self.assertIn('no_timer_check', append)

    def test_a_machine_boots_only_its_arch_kernel(self):
        with self.assertRaisesRegex(PipelineError, 'virt-virtio is arm64'):
            guest.qemu_command('virt-virtio', ArchBuild('x86_64'), '/initrd', [])

    def test_kvm_only_for_the_host_arch(self):
        with mock.patch.dict(os.environ, {'IOMMUFD_KVM': '1'}), \
                mock.patch.object(guest, 'kvm_usable', lambda: True), \
                mock.patch.object(guest.platform, 'machine', lambda: 'x86_64'):
            self.assertIn('kvm', guest.accel_args(MACHINES['q35']))
            arm = guest.accel_args(MACHINES['virt-smmuv3'])
        self.assertEqual(arm[:2], ['-accel', 'tcg,thread=multi'])

    def test_cross_kernel_make_names_its_compiler(self):
        cmd = kmake_cmd('/tree', '/out', 'ARCH=arm64', cc='aarch64-linux-gnu-gcc')
        self.assertIn('CC=ccache aarch64-linux-gnu-gcc', cmd)
        self.assertIn('HOSTCC=ccache gcc', cmd)
        self.assertIn('CC=ccache gcc', kmake_cmd('/tree', '/out'))

    def test_arm64_carries_only_the_samples(self):
        arm = guest.UserPrograms(ArchBuild('arm64'))
        self.assertEqual(arm._builders(), [arm._build_samples])
        self.assertEqual(arm.cc, 'aarch64-linux-gnu-gcc -static')
        self.assertNotIn(SELFTEST_DIR, [d for d, _ in arm._sources()])
        x86 = guest.UserPrograms(ArchBuild('x86_64'))
        self.assertEqual(x86._builders(), [x86._build_selftests, x86._build_samples,
                                           x86.upstream.build])

    def test_build_row_names_are_not_suite_names(self):
        with self.assertRaisesRegex(PipelineError, 'suite name build-arm64 is taken'):
            SuitesFileTest().load('build-arm64 q35 normal 60 exit - true\n')


class PatchSymbolTest(unittest.TestCase):
    def test_symbols_a_patch_adds_to_kconfig(self):
        with tempfile.TemporaryDirectory() as tmp:
            patch = os.path.join(tmp, '0001.patch')
            with open(patch, 'w') as f:
                f.write('+config NEW_ONE\n+\tbool "x"\n config OLD_ONE\n'
                        '+menuconfig NEW_MENU\n-config GONE\n')
            with mock.patch.object(kbuild, 'repo_patches', lambda: [patch]):
                self.assertEqual(kbuild.patch_symbols(), {'CONFIG_NEW_ONE', 'CONFIG_NEW_MENU'})


class SuitesFileTest(unittest.TestCase):
    def load(self, text):
        with tempfile.NamedTemporaryFile('w', suffix='.conf') as f:
            f.write(text)
            f.flush()
            return load_suites(f.name)

    def test_comments_and_blank_lines_are_skipped(self):
        suites = self.load('# name machine profiles timeout format groups command\n\n'
                           'core q35 normal,debug 300 tap check /tests/iommu/iommufd_core -v\n'
                           '   # an indented comment\n')
        self.assertEqual(list(suites), ['core'])
        self.assertEqual(suites['core'].profiles, ['normal', 'debug'])
        self.assertEqual(suites['core'].command, '/tests/iommu/iommufd_core -v')

    def test_an_error_names_its_line(self):
        with self.assertRaisesRegex(PipelineError, r'\.conf:3: expected 7 fields, got 3'):
            self.load('# comment\n\nbad q35 normal\n')


if __name__ == '__main__':
    unittest.main()
