"""Unit tests of the conformance stage: line fixes, pending list, counting.

Run: python3 -m unittest discover -s harness -p 'test_*.py'
"""

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


if __name__ == '__main__':
    unittest.main()
