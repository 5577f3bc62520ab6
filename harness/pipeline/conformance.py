"""Conformance: the base tree's own upstream selftests run against our kernel.

The pristine tools/testing/selftests/iommu/ of the base tree (upstream's
iommufd.c and iommufd_fail_nth.c) is built with upstream's own Makefile and
lib.mk against the kernel's installed uAPI headers and the kernel's
drivers/iommu/iommufd/iommufd_test.h, so that the test ABI the programs see is
the one the kernel under test implements.

The 6.12.y base carries a few selftest lines from a later kernel. A line is
changed only when the header it needs lacks the name it uses (our backports
provide them, so for our kernel nothing is changed); every change is printed.

harness/conformance.conf lists the upstream tests our kernel does not pass
yet, each with the reason. A listed test that fails is counted as skipped
(expected), a listed test that passes is reported so the entry can go.
"""

import difflib
import os
import re
import shutil
from dataclasses import dataclass

from .common import (HARNESS, PipelineError, clean_env, config_lines, log, run_logged,
                     write_atomic)

UPSTREAM_DIR = 'tools/testing/selftests/iommu'
TEST_HEADER = 'drivers/iommu/iommufd/iommufd_test.h'
UAPI_HEADER = 'linux/iommufd.h'
# What upstream's selftests include by relative path, next to their own dir.
KSELFTEST_FILES = ['kselftest_harness.h', 'kselftest.h', 'lib.mk']
PENDING_FILE = os.path.join(HARNESS, 'conformance.conf')


@dataclass
class LineFix:
    """Change lines matching pattern when header lacks name.

    header is 'uapi' (the installed linux/iommufd.h) or 'test' (the kernel's
    iommufd_test.h); replacement None drops the line.
    """
    header: str
    name: str
    pattern: str
    replacement: object
    why: str


# In order: the drops run before the renames that would change their lines.
LINE_FIXES = [
    LineFix('uapi', 'IOMMU_HW_INFO_FLAG_INPUT_TYPE', r'^\s*\.in_data_type = data_type,\s*$',
            None, 'iommu_hw_info.in_data_type is a later uAPI'),
    LineFix('uapi', 'IOMMU_HW_INFO_FLAG_INPUT_TYPE',
            r'^\s*if \(data_type != IOMMU_HW_INFO_TYPE_DEFAULT\)\s*$', None,
            'IOMMU_HW_INFO_FLAG_INPUT_TYPE is a later uAPI'),
    LineFix('uapi', 'IOMMU_HW_INFO_FLAG_INPUT_TYPE',
            r'^\s*cmd\.flags \|= IOMMU_HW_INFO_FLAG_INPUT_TYPE;\s*$', None,
            'IOMMU_HW_INFO_FLAG_INPUT_TYPE is a later uAPI'),
    LineFix('uapi', 'IOMMU_HW_INFO_TYPE_DEFAULT', r'\bIOMMU_HW_INFO_TYPE_DEFAULT\b',
            'IOMMU_HW_INFO_TYPE_NONE', 'IOMMU_HW_INFO_TYPE_DEFAULT (0) is a later uAPI'),
    LineFix('test', 'MOCK_FLAGS_DEVICE_PASID', r'\bMOCK_FLAGS_DEVICE_PASID\b', '(1 << 2)',
            'later kernels define MOCK_FLAGS_DEVICE_PASID as 1 << 2'),
    LineFix('test', 'MOCK_PASID_WIDTH', r'\bMOCK_PASID_WIDTH\b', '20',
            'later kernels define MOCK_PASID_WIDTH as 20'),
]


def defines(text, name):
    """True if a header text defines name (macro, enum constant or struct member)."""
    return re.search(r'(#define\s+%s\b|\b%s\s*=|\b%s\s*;)' % ((re.escape(name),) * 3),
                     text) is not None


def apply_line_fixes(sources, headers):
    """sources: {file name: text}; headers: {'uapi'|'test': text}.

    Returns ({file name: new text}, [unified diff lines]).
    """
    fixes = [f for f in LINE_FIXES if not defines(headers[f.header], f.name)]
    changed = {}
    diff = []
    for name in sorted(sources):
        old_lines = sources[name].splitlines(keepends=True)
        new_lines = []
        for line in old_lines:
            for fix in fixes:
                if not re.search(fix.pattern, line):
                    continue
                if fix.replacement is None:
                    line = None
                    break
                line = re.sub(fix.pattern, fix.replacement, line)
            if line is not None:
                new_lines.append(line)
        if new_lines != old_lines:
            changed[name] = ''.join(new_lines)
            diff += difflib.unified_diff(old_lines, new_lines, f'a/{UPSTREAM_DIR}/{name}',
                                         f'b/{UPSTREAM_DIR}/{name}', n=0)
    reasons = sorted({f'{f.name}: {f.why}' for f in fixes})
    return changed, [l.rstrip('\n') for l in diff], reasons


def upstream_programs(makefile_text):
    """The TEST_GEN_PROGS of upstream's Makefile."""
    progs = []
    for m in re.finditer(r'^TEST_GEN_PROGS\s*\+?=\s*(.*)$', makefile_text, re.M):
        progs += m.group(1).split()
    return progs


class UpstreamSelftests:
    """Builds the base tree's selftests for one kernel build into root/conformance."""

    def __init__(self, progs):
        self.progs = progs
        self.kb = progs.kb
        self.pristine = os.path.join(self.kb.tree.base.src, UPSTREAM_DIR)
        self.work = os.path.join(progs.dir, 'conformance')
        self.report = os.path.join(progs.dir, 'conformance-changes.txt')

    def inputs(self):
        """Paths whose content decides the build (for the staleness digest)."""
        return [self.pristine, os.path.join(self.kb.tree.dir, TEST_HEADER)]

    def _read(self, path):
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.read()

    def _lay_out_sources(self):
        """A minimal tree in which upstream's relative includes resolve."""
        src = os.path.join(self.work, 'src')
        shutil.rmtree(src, ignore_errors=True)
        testdir = os.path.join(src, UPSTREAM_DIR)
        os.makedirs(testdir)
        os.makedirs(os.path.join(src, os.path.dirname(TEST_HEADER)))
        tree = self.kb.tree.dir
        for name in KSELFTEST_FILES:
            shutil.copy2(os.path.join(tree, 'tools/testing/selftests', name),
                         os.path.join(src, 'tools/testing/selftests', name))
        shutil.copy2(os.path.join(tree, TEST_HEADER), os.path.join(src, TEST_HEADER))
        # lib.mk includes scripts/subarch.include from the top of the tree.
        os.symlink(os.path.join(tree, 'scripts'), os.path.join(src, 'scripts'))
        sources = {}
        for name in sorted(os.listdir(self.pristine)):
            shutil.copy2(os.path.join(self.pristine, name), os.path.join(testdir, name))
            if name.endswith(('.c', '.h')):
                sources[name] = self._read(os.path.join(testdir, name))
        return testdir, sources

    def build(self):
        """Returns the list of programs built into root/conformance."""
        testdir, sources = self._lay_out_sources()
        headers = {'uapi': self._read(os.path.join(self.kb.headers, UAPI_HEADER)),
                   'test': self._read(os.path.join(self.kb.tree.dir, TEST_HEADER))}
        changed, diff, reasons = apply_line_fixes(sources, headers)
        for name, text in changed.items():
            write_atomic(os.path.join(testdir, name), text)
        if diff:
            report = ['upstream selftests: lines changed to build against this kernel\'s '
                      'headers:'] + [f'  {r}' for r in reasons] + diff
        else:
            report = ['upstream selftests: built unchanged (every name they use is in '
                      'this kernel\'s headers)']
        write_atomic(self.report, '\n'.join(report) + '\n')
        for line in report:
            log(f'  {line}')
        progs = upstream_programs(self._read(os.path.join(testdir, 'Makefile')))
        if not progs:
            raise PipelineError(f'no TEST_GEN_PROGS in the base tree\'s {UPSTREAM_DIR}/Makefile')
        out = os.path.join(self.work, 'build')
        os.makedirs(out, exist_ok=True)
        log(f'  building the base tree\'s {UPSTREAM_DIR} ({", ".join(progs)}) '
            f'for {self.kb.name}')
        run_logged(['make', '-C', testdir, f'OUTPUT={out}',
                    f'KHDR_INCLUDES=-isystem {self.kb.headers}', f'CC={self.progs.cc}'],
                   self.progs.logfile, env=clean_env(),
                   title=f'upstream selftests build ({self.kb.name})')
        dest = os.path.join(self.progs.root, 'conformance')
        os.makedirs(dest, exist_ok=True)
        for name in progs:
            shutil.copy2(os.path.join(out, name), os.path.join(dest, name))
        return progs


# ---------------------------------------------------------------- expectations

def load_pending(path=PENDING_FILE):
    """{test name: reason} of upstream tests not expected to pass yet."""
    pending = {}
    if not os.path.exists(path):
        return pending
    for lineno, line in config_lines(path):
        fields = line.split(None, 1)
        if len(fields) != 2:
            raise PipelineError(f'{path}:{lineno}: expected "<test name> <reason>"')
        pending[fields[0]] = fields[1]
    return pending
