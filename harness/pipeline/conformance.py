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

CONFORMANCE_SRC names a directory laid out like a kernel tree that holds a
later upstream's tools/testing/selftests/iommu/ (fetched by hand, outside the
clone, never committed). The programs are then built from there instead of
from the base tree, in the same way and against the same headers of the
kernel under test, and harness/conformance-newest.conf is their pending list.
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
NEWEST_PENDING_FILE = os.path.join(HARNESS, 'conformance-newest.conf')
SRC_VAR = 'CONFORMANCE_SRC'


def conformance_src(env=None):
    """The absolute directory CONFORMANCE_SRC names, or None (the base tree's selftests)."""
    env = os.environ if env is None else env
    src = (env.get(SRC_VAR) or '').strip()
    return os.path.abspath(os.path.expanduser(src)) if src else None


def pending_file(env=None):
    """The pending list of the selftests being run: the newest suite has its own."""
    return NEWEST_PENDING_FILE if conformance_src(env) else PENDING_FILE


def check_src(src):
    """The selftest directory of a CONFORMANCE_SRC tree; PipelineError if it is not one."""
    testdir = os.path.join(src, UPSTREAM_DIR)
    if not os.path.isdir(src):
        raise PipelineError(f'{SRC_VAR}={src}: no such directory')
    if not os.path.isfile(os.path.join(testdir, 'Makefile')):
        raise PipelineError(f'{SRC_VAR}={src}: no {UPSTREAM_DIR}/Makefile there (the directory '
                            'must be laid out like a kernel tree)')
    if not any(n.endswith('.c') for n in os.listdir(testdir)):
        raise PipelineError(f'{SRC_VAR}={src}: no .c file in {UPSTREAM_DIR}')
    return testdir


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


def _make_words(makefile_text, var):
    """Every word assigned to var (=, :=, +=) at the start of a line of a Makefile."""
    words = []
    for m in re.finditer(r'^%s[ \t]*[:+]?=[ \t]*(.*)$' % re.escape(var), makefile_text, re.M):
        words += m.group(1).split()
    return words


def upstream_programs(makefile_text):
    """The TEST_GEN_PROGS of upstream's Makefile."""
    return _make_words(makefile_text, 'TEST_GEN_PROGS')


def libcap_args(makefile_text, sources):
    """Extra make arguments so that sources using libcap link statically.

    Later selftests include <sys/capability.h>; a Makefile that does not put
    -lcap in LDLIBS (some put it in CFLAGS, before the source, where a static
    link cannot use it) gets LDLIBS on the command line: what it assigns, and
    -lcap. Nothing of upstream's files is changed.
    """
    uses = any(re.search(r'^\s*#\s*include\s*<sys/capability\.h>', text, re.M)
               for text in sources.values())
    ldlibs = _make_words(makefile_text, 'LDLIBS')
    if not uses or '-lcap' in ldlibs:
        return []
    return ['LDLIBS=' + ' '.join(ldlibs + ['-lcap'])]


# gcc's messages that name what a header lacks ('...' or ‘...’ quotes).
_Q = '[\'\u2018]'
_E = '[\'\u2019]'
MISSING_NAME_RES = [
    re.compile(_Q + r'(\w+)' + _E + ' undeclared'),
    re.compile(r'unknown type name ' + _Q + r'(\w+)' + _E),
    re.compile(r'(?:incomplete|undefined) type ' + _Q + r'(struct \w+)' + _E),
    re.compile(r'incomplete element type ' + _Q + r'(struct \w+)' + _E),
    re.compile(_Q + r'(struct \w+)' + _E + r' has no member named ' + _Q + r'(\w+)' + _E),
]
ERROR_LINE_RE = re.compile(r'^\S+:\d+:\d+: (?:fatal )?error: ')


def wrap_names(names, width=100, indent='  '):
    """names, comma separated, in lines of at most width characters; no name is split."""
    lines, line = [], ''
    for i, name in enumerate(names):
        item = f'{name},' if i < len(names) - 1 else name
        if line and len(indent) + len(line) + 1 + len(item) > width:
            lines.append(indent + line)
            line = item
        else:
            line = f'{line} {item}' if line else item
    return lines + [indent + line] if line else lines


def summarize_build_errors(text, first=20):
    """(the first compiler error lines, sorted names the headers lack) of a build log.

    A name is an identifier, 'struct x' for an unknown struct, or 'struct
    x.member' for a missing member.
    """
    errors = [l.strip() for l in text.splitlines() if ERROR_LINE_RE.match(l.strip())]
    missing = set()
    for line in errors:
        for rx in MISSING_NAME_RES:
            for m in rx.finditer(line):
                missing.add('.'.join(m.groups()))
    return errors[:first], sorted(missing)


class UpstreamSelftests:
    """Builds the base tree's selftests for one kernel build into root/conformance."""

    def __init__(self, progs, src=None):
        self.progs = progs
        self.kb = progs.kb
        # CONFORMANCE_SRC, or the base tree (the default).
        self.src = conformance_src() if src is None else src
        self.origin = (f'{SRC_VAR}={self.src}' if self.src else 'the base tree')
        self.pristine = os.path.join(self.src or self.kb.tree.base.src, UPSTREAM_DIR)
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
            if not os.path.isfile(os.path.join(self.pristine, name)):
                continue
            shutil.copy2(os.path.join(self.pristine, name), os.path.join(testdir, name))
            if name.endswith(('.c', '.h')):
                sources[name] = self._read(os.path.join(testdir, name))
        return testdir, sources

    def build(self):
        """Returns the list of programs built into root/conformance."""
        if self.src:
            check_src(self.src)
        testdir, sources = self._lay_out_sources()
        headers = {'uapi': self._read(os.path.join(self.kb.headers, UAPI_HEADER)),
                   'test': self._read(os.path.join(self.kb.tree.dir, TEST_HEADER))}
        changed, diff, reasons = apply_line_fixes(sources, headers)
        for name, text in changed.items():
            write_atomic(os.path.join(testdir, name), text)
        report = [f'upstream selftests from {self.origin}']
        if diff:
            report += ['upstream selftests: lines changed to build against this kernel\'s '
                       'headers:'] + [f'  {r}' for r in reasons] + diff
        else:
            report += ['upstream selftests: built unchanged (no line needed a change for '
                       'this kernel\'s headers)']
        makefile = self._read(os.path.join(testdir, 'Makefile'))
        extra = libcap_args(makefile, sources)
        if extra:
            report.append(f'upstream selftests: they use libcap, their Makefile does not link '
                          f'it: make {" ".join(extra)}')
        write_atomic(self.report, '\n'.join(report) + '\n')
        for line in report:
            log(f'  {line}')
        progs = upstream_programs(makefile)
        if not progs:
            raise PipelineError(f'no TEST_GEN_PROGS in {self.origin}\'s {UPSTREAM_DIR}/Makefile')
        out = os.path.join(self.work, 'build')
        os.makedirs(out, exist_ok=True)
        log(f'  building {UPSTREAM_DIR} of {self.origin} ({", ".join(progs)}) '
            f'for {self.kb.name}')
        try:
            # -k: every program's errors, not only the first one's.
            run_logged(['make', '-k', '-C', testdir, f'OUTPUT={out}',
                        f'KHDR_INCLUDES=-isystem {self.kb.headers}', f'CC={self.progs.cc}',
                        *extra],
                       self.progs.logfile, env=clean_env(),
                       title=f'upstream selftests build ({self.kb.name})')
        except PipelineError as e:
            raise self._build_failure(e) from None
        dest = os.path.join(self.progs.root, 'conformance')
        os.makedirs(dest, exist_ok=True)
        for name in progs:
            shutil.copy2(os.path.join(out, name), os.path.join(dest, name))
        return progs

    def _build_failure(self, err):
        """The build's error, told as such: the compiler's first errors, what the headers lack."""
        with open(self.progs.logfile, encoding='utf-8', errors='replace') as f:
            log_text = f.read()
        # Only this build's part of the log (run_logged starts it with '$ make -k -C testdir').
        start = log_text.rfind(f'$ make -k -C {self.work}')
        errors, missing = summarize_build_errors(log_text[max(start, 0):])
        lines = [f'the upstream selftests of {self.origin} do not compile against '
                 f'{self.kb.name}\'s headers ({self.kb.headers}/{UAPI_HEADER}, '
                 f'{self.kb.tree.dir}/{TEST_HEADER})']
        lines.append('first compiler errors:' if errors else
                     'no compiler error found; the last lines of the build:')
        lines += [f'  {l}' for l in errors] if errors else err.detail.splitlines()[-20:]
        if missing:
            lines.append(f'names those headers lack ({len(missing)}):')
            lines += wrap_names(missing)
        with open(self.report, 'a', encoding='utf-8') as f:
            f.write('upstream selftests: BUILD FAILED\n' + '\n'.join(lines) + '\n')
        what = f'{len(missing)} name(s) missing' if missing else 'see the log'
        return PipelineError(f'upstream selftests of {self.origin} failed to build for '
                             f'{self.kb.name} ({what}); log: {self.progs.logfile}',
                             '\n'.join(lines))


# ---------------------------------------------------------------- expectations

def load_pending(path=None):
    """{test name: reason} of upstream tests not expected to pass yet.

    path defaults to the list of the selftests being run (pending_file()).
    """
    path = path or pending_file()
    pending = {}
    if not os.path.exists(path):
        return pending
    for lineno, line in config_lines(path):
        fields = line.split(None, 1)
        if len(fields) != 2:
            raise PipelineError(f'{path}:{lineno}: expected "<test name> <reason>"')
        pending[fields[0]] = fields[1]
    return pending
