"""Unit tests of the conformance stage: line fixes, pending list, counting,
and the choice of the selftests' source (CONFORMANCE_SRC).

Run: python3 -m unittest discover -s harness -p 'test_*.py'
"""

import os
import tempfile
import textwrap
import unittest
from unittest import mock

from harness.pipeline import conformance, runner
from harness.pipeline.results import Row, count_tap
from harness.pipeline.suites import Suite
from harness.test_pipeline import fake_boot

UTILS = textwrap.dedent('''\
    static int get_info(int fd, __u32 data_type)
    {
    \tstruct iommu_hw_info cmd = {
    \t\t.size = sizeof(cmd),
    \t\t.in_data_type = data_type,
    \t};

    \tif (data_type != IOMMU_HW_INFO_TYPE_DEFAULT)
    \t\tcmd.flags |= IOMMU_HW_INFO_FLAG_INPUT_TYPE;
    \treturn ioctl(fd, IOMMU_GET_HW_INFO, &cmd);
    }
    ''')
TESTS = 'get_info(fd, IOMMU_HW_INFO_TYPE_DEFAULT); flags = MOCK_FLAGS_DEVICE_PASID;\n'

NEW_UAPI = ('enum iommu_hw_info_type {\n\tIOMMU_HW_INFO_TYPE_NONE = 0,\n'
            '\tIOMMU_HW_INFO_TYPE_DEFAULT = 0,\n};\n'
            'enum iommufd_hw_info_flags {\n\tIOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,\n};\n')
OLD_UAPI = 'enum iommu_hw_info_type {\n\tIOMMU_HW_INFO_TYPE_NONE = 0,\n};\n'
NEW_TEST_HEADER = 'enum {\n\tMOCK_FLAGS_DEVICE_PASID = 1 << 2,\n};\n#define MOCK_PASID_WIDTH 20\n'


class LineFixTest(unittest.TestCase):
    def test_nothing_changes_when_the_headers_have_every_name(self):
        changed, diff, reasons = conformance.apply_line_fixes(
            {'iommufd_utils.h': UTILS, 'iommufd.c': TESTS},
            {'uapi': NEW_UAPI, 'test': NEW_TEST_HEADER})
        self.assertEqual((changed, diff, reasons), ({}, [], []))

    def test_later_names_are_dropped_or_replaced_for_an_older_header(self):
        changed, diff, reasons = conformance.apply_line_fixes(
            {'iommufd_utils.h': UTILS, 'iommufd.c': TESTS}, {'uapi': OLD_UAPI, 'test': ''})
        utils = changed['iommufd_utils.h']
        self.assertNotIn('in_data_type', utils)
        self.assertNotIn('INPUT_TYPE', utils)
        self.assertNotIn('if (data_type', utils)
        self.assertIn('return ioctl', utils)
        self.assertEqual(changed['iommufd.c'],
                         'get_info(fd, IOMMU_HW_INFO_TYPE_NONE); flags = (1 << 2);\n')
        self.assertTrue(any(l.startswith('-\t\t.in_data_type') for l in diff))
        self.assertTrue(any('MOCK_FLAGS_DEVICE_PASID' in r for r in reasons))

    def test_defines_knows_macros_enum_constants_and_members(self):
        self.assertTrue(conformance.defines('#define MOCK_PASID_WIDTH 20', 'MOCK_PASID_WIDTH'))
        self.assertTrue(conformance.defines(NEW_UAPI, 'IOMMU_HW_INFO_TYPE_DEFAULT'))
        self.assertTrue(conformance.defines('\t\t__u32 in_data_type;', 'in_data_type'))
        self.assertFalse(conformance.defines('/* IOMMU_HW_INFO_TYPE_DEFAULT later */',
                                             'IOMMU_HW_INFO_TYPE_DEFAULT'))

    def test_programs_of_upstreams_makefile(self):
        makefile = 'TEST_GEN_PROGS :=\nTEST_GEN_PROGS += iommufd\nTEST_GEN_PROGS += iommufd_fail_nth\n'
        self.assertEqual(conformance.upstream_programs(makefile), ['iommufd', 'iommufd_fail_nth'])


TAP = textwrap.dedent('''\
    TAP version 13
    1..3
    ok 1 iommufd_ioas.no_domain.area
    not ok 2 iommufd_ioas.mock_domain.alloc_hwpt_nested
    ok 3 iommufd_ioas.two_mock_domain.alloc_hwpt_nested
    # Totals: pass:2 fail:1 xfail:0 xpass:0 skip:0 error:0
    ''').splitlines()
PENDING = {'iommufd_ioas.mock_domain.alloc_hwpt_nested': 'needs faults',
           'iommufd_ioas.two_mock_domain.alloc_hwpt_nested': 'needs faults'}


class PendingTest(unittest.TestCase):
    def test_listed_failure_is_skipped_and_listed_pass_is_noted(self):
        row = Row('conformance', 'normal')
        self.assertEqual(count_tap(TAP, row, PENDING), [])
        self.assertEqual((row.passed, row.failed, row.skipped), (2, 0, 1))
        self.assertEqual(row.pending_failed, ['iommufd_ioas.mock_domain.alloc_hwpt_nested'])
        self.assertEqual(row.pending_passed,
                         ['iommufd_ioas.two_mock_domain.alloc_hwpt_nested'])

    def test_without_a_list_every_failure_counts(self):
        row = Row('conformance', 'normal')
        count_tap(TAP, row)
        self.assertEqual((row.passed, row.failed, row.skipped), (2, 1, 0))

    def test_pending_file_format(self):
        with mock.patch('builtins.open', mock.mock_open(read_data='# c\n\na.b.c  why not\n')), \
                mock.patch('os.path.exists', return_value=True):
            self.assertEqual(conformance.load_pending('x'), {'a.b.c': 'why not'})


class VariantBuild:
    profile = 'normal'
    name = 'ours-normal'
    arch = 'x86_64'

    class tree:
        variant = 'ours'


UPSTREAM = Suite('conformance', 'q35', ['normal'], 60, 'upstream', ['check'],
                 '/tests/conformance/iommufd')


class UpstreamSuiteTest(unittest.TestCase):
    def boot(self, variant):
        VariantBuild.tree.variant = variant
        console = '\n'.join(['@@harness:NONCE:init@@', '@@harness:NONCE:begin:conformance@@',
                             *TAP, '@@harness:NONCE:end:conformance:rc=1@@',
                             '@@harness:NONCE:done@@', ''])
        with mock.patch.object(runner, 'load_pending', return_value=PENDING):
            _, rows = fake_boot(console, [UPSTREAM], build=VariantBuild)
        return rows['conformance']

    def test_exit_code_of_expected_failures_is_accepted_for_ours(self):
        row = self.boot('ours')
        self.assertEqual((row.passed, row.failed, row.skipped), (2, 0, 1))

    def test_stock_has_no_pending_list(self):
        row = self.boot('stock')
        self.assertEqual((row.passed, row.failed, row.skipped), (2, 1, 0))


class SourceChoiceTest(unittest.TestCase):
    def test_without_the_variable_the_base_tree_and_conformance_conf(self):
        for env in ({}, {'CONFORMANCE_SRC': ''}, {'CONFORMANCE_SRC': '  '}):
            self.assertIsNone(conformance.conformance_src(env))
            self.assertEqual(conformance.pending_file(env), conformance.PENDING_FILE)

    def test_the_variable_chooses_the_directory_and_the_newest_list(self):
        env = {'CONFORMANCE_SRC': '/work/upstream-newest/'}
        self.assertEqual(conformance.conformance_src(env), '/work/upstream-newest')
        self.assertEqual(conformance.pending_file(env), conformance.NEWEST_PENDING_FILE)
        self.assertEqual(os.path.basename(conformance.NEWEST_PENDING_FILE),
                         'conformance-newest.conf')

    def test_a_relative_directory_is_made_absolute(self):
        self.assertEqual(conformance.conformance_src({'CONFORMANCE_SRC': 'up'}),
                         os.path.join(os.getcwd(), 'up'))

    def test_load_pending_reads_the_list_of_the_chosen_suite(self):
        with tempfile.TemporaryDirectory() as d:
            newest = os.path.join(d, 'newest.conf')
            with open(newest, 'w') as f:
                f.write('# c\niommufd_viommu.mock_viommu.hw_queue  no HW queue uAPI yet\n')
            with mock.patch.object(conformance, 'NEWEST_PENDING_FILE', newest), \
                    mock.patch.dict(os.environ, {'CONFORMANCE_SRC': d}):
                self.assertEqual(conformance.load_pending(),
                                 {'iommufd_viommu.mock_viommu.hw_queue': 'no HW queue uAPI yet'})
            with mock.patch.object(conformance, 'PENDING_FILE', os.path.join(d, 'none.conf')), \
                    mock.patch.dict(os.environ, {'CONFORMANCE_SRC': ''}):
                self.assertEqual(conformance.load_pending(), {})

    def test_the_source_must_look_like_a_kernel_tree(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(conformance.PipelineError, 'no such directory'):
                conformance.check_src(os.path.join(d, 'missing'))
            with self.assertRaisesRegex(conformance.PipelineError, 'Makefile'):
                conformance.check_src(d)
            testdir = os.path.join(d, conformance.UPSTREAM_DIR)
            os.makedirs(testdir)
            with open(os.path.join(testdir, 'Makefile'), 'w') as f:
                f.write('TEST_GEN_PROGS += iommufd\n')
            with self.assertRaisesRegex(conformance.PipelineError, r'no \.c file'):
                conformance.check_src(d)
            open(os.path.join(testdir, 'iommufd.c'), 'w').close()
            self.assertEqual(conformance.check_src(d), testdir)

    def test_the_builder_takes_its_sources_from_the_chosen_directory(self):
        class Progs:
            dir = '/cache/progs/ours-normal'

            class kb:
                class tree:
                    dir = '/cache/tree/ours'

                    class base:
                        src = '/cache/base/src'

        base = conformance.UpstreamSelftests(Progs, src='')
        self.assertEqual(base.pristine, '/cache/base/src/' + conformance.UPSTREAM_DIR)
        self.assertEqual(base.origin, 'the base tree')
        newest = conformance.UpstreamSelftests(Progs, src='/up')
        self.assertEqual(newest.pristine, '/up/' + conformance.UPSTREAM_DIR)
        self.assertIn('/up/' + conformance.UPSTREAM_DIR, newest.inputs())
        self.assertIn('CONFORMANCE_SRC=/up', newest.origin)
        with mock.patch.dict(os.environ, {'CONFORMANCE_SRC': '/up'}):
            self.assertEqual(conformance.UpstreamSelftests(Progs).src, '/up')


CAP_SOURCE = {'iommufd.c': '#include <stdlib.h>\n#include <sys/capability.h>\n'}


class BuildArgsTest(unittest.TestCase):
    def test_programs_after_an_empty_assignment(self):
        makefile = 'TEST_GEN_PROGS :=\nTEST_GEN_PROGS += iommufd\n\ninclude ../lib.mk\n'
        self.assertEqual(conformance.upstream_programs(makefile), ['iommufd'])

    def test_libcap_is_added_only_when_used_and_not_linked(self):
        self.assertEqual(conformance.libcap_args('CFLAGS += -Wall\n', {'a.c': '#include <x.h>'}),
                         [])
        self.assertEqual(conformance.libcap_args('CFLAGS += -Wall\n', CAP_SOURCE),
                         ['LDLIBS=-lcap'])
        self.assertEqual(conformance.libcap_args('LDLIBS += -lcap\n', CAP_SOURCE), [])
        # -lcap among CFLAGS comes before the source: useless for a static link.
        self.assertEqual(conformance.libcap_args('CFLAGS += -lcap\n', CAP_SOURCE),
                         ['LDLIBS=-lcap'])
        self.assertEqual(conformance.libcap_args('LDLIBS := -lpthread\n', CAP_SOURCE),
                         ['LDLIBS=-lpthread -lcap'])


GCC_ERRORS = textwrap.dedent('''\
    make: Entering directory '/x/tools/testing/selftests/iommu'
    In file included from iommufd.c:12:
    iommufd_utils.h: In function '_test_cmd_viommu_alloc':
    iommufd_utils.h:800:16: error: variable 'cmd' has initializer but incomplete type
    iommufd_utils.h:801:18: error: 'struct iommu_viommu_alloc' has no member named 'size'
    iommufd_utils.h:810:25: error: 'IOMMU_VIOMMU_ALLOC' undeclared (first use in this function); did you mean 'IOMMU_IOAS_ALLOC'?
    iommufd.c:90:9: error: invalid application of 'sizeof' to incomplete type 'struct iommu_ioas_change_process'
    iommufd.c:91:9: error: ‘IOMMU_HWPT_ALLOC_PASID’ undeclared here (not in a function)
    iommufd.c:92:9: error: ‘struct iommu_test_cmd’ has no member named ‘pasid_check’
    iommufd.c:93:9: error: array type has incomplete element type 'struct iommu_viommu_invalidate_selftest'
    iommufd.c:94:9: warning: unused variable 'x' [-Wunused-variable]
    make: *** [../lib.mk:222: /out/iommufd] Error 1
    ''')


class BuildErrorSummaryTest(unittest.TestCase):
    def test_first_errors_and_the_names_the_headers_lack(self):
        errors, missing = conformance.summarize_build_errors(GCC_ERRORS)
        self.assertEqual(len(errors), 7)
        self.assertTrue(errors[0].startswith('iommufd_utils.h:800:16: error: variable'))
        self.assertEqual(missing, ['IOMMU_HWPT_ALLOC_PASID', 'IOMMU_VIOMMU_ALLOC',
                                   'struct iommu_ioas_change_process',
                                   'struct iommu_test_cmd.pasid_check',
                                   'struct iommu_viommu_alloc.size',
                                   'struct iommu_viommu_invalidate_selftest'])

    def test_first_limits_the_error_lines_not_the_names(self):
        errors, missing = conformance.summarize_build_errors(GCC_ERRORS, first=2)
        self.assertEqual(len(errors), 2)
        self.assertEqual(len(missing), 6)

    def test_a_failed_build_is_told_as_one(self):
        with tempfile.TemporaryDirectory() as d:
            class Progs:
                dir = d
                logfile = os.path.join(d, 'progs.log')

                class kb:
                    name = 'ours-normal'
                    headers = '/out/usr/include'

                    class tree:
                        dir = '/tree'

            builder = conformance.UpstreamSelftests(Progs, src='/up')
            with open(Progs.logfile, 'w') as f:
                # An earlier build's errors in the same log do not count.
                f.write('$ make -C /elsewhere\nold.c:1:1: error: \'OLD\' undeclared\n')
                f.write(f'$ make -k -C {builder.work}/src/tools/testing/selftests/iommu\n')
                f.write(GCC_ERRORS)
            err = builder._build_failure(conformance.PipelineError('make failed', 'tail'))
            self.assertIn('failed to build for ours-normal (6 name(s) missing)', str(err))
            self.assertIn('struct iommu_viommu_alloc.size', err.detail)
            self.assertLess(len(err.detail.splitlines()), 40)
            self.assertIn('first compiler errors:', err.detail)
            self.assertNotIn('OLD', err.detail)
            with open(builder.report) as f:
                self.assertIn('BUILD FAILED', f.read())

    def test_names_are_wrapped_whole(self):
        names = ['struct iommu_viommu_alloc.size'] * 5 + ['IOMMU_VIOMMU_ALLOC']
        lines = conformance.wrap_names(names, width=70)
        self.assertEqual(lines[0], '  struct iommu_viommu_alloc.size, struct iommu_viommu_alloc.size,')
        self.assertEqual(lines[-1], '  struct iommu_viommu_alloc.size, IOMMU_VIOMMU_ALLOC')
        self.assertEqual(len(lines), 3)
        self.assertTrue(all(len(l) <= 70 for l in lines))
        self.assertEqual(conformance.wrap_names([]), [])

    def test_a_clean_log_has_nothing(self):
        self.assertEqual(conformance.summarize_build_errors('gcc -o x x.c\n'), ([], []))


if __name__ == '__main__':
    unittest.main()
