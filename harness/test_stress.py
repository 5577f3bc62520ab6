"""Unit tests of what 'make stress' hands the guest: arguments and time limit."""

import contextlib
import io
import unittest

from harness.main import STRESS_SCENARIOS, stress_plan


class StressPlanTest(unittest.TestCase):
    def test_all_scenarios_by_default(self):
        args, timeout = stress_plan('', 60, 4, 1)
        self.assertEqual(args, '--seconds 60 --threads 4')
        self.assertGreaterEqual(timeout, STRESS_SCENARIOS * 60)

    def test_named_scenarios_are_passed_and_size_the_limit(self):
        args, one = stress_plan('dirty-vs-unmap', 600, 8, 1)
        self.assertEqual(args, '--seconds 600 --threads 8 --scenario dirty-vs-unmap')
        _, two = stress_plan('dirty-vs-unmap,,pasid-vs-fault', 600, 8, 1)
        self.assertGreaterEqual(one, 600)
        self.assertGreaterEqual(two, 1200)
        self.assertLess(one, two)

    def test_limit_is_in_normal_seconds_for_the_debug_factor(self):
        _, normal = stress_plan('', 30, 4, 1)
        _, scaled = stress_plan('', 30, 4, 4)
        self.assertGreaterEqual(scaled * 4, normal)
        self.assertLess(scaled, normal)

    def test_a_name_that_is_no_name_is_refused(self):
        with contextlib.redirect_stderr(io.StringIO()) as err, \
                self.assertRaises(SystemExit):
            stress_plan('x;reboot', 60, 4, 1)
        self.assertIn('SCENARIO=x;reboot', err.getvalue())


if __name__ == '__main__':
    unittest.main()
