"""Lint of our sources: checkpatch, sparse, W=1, kernel-doc, and harness/abi-check."""

import os
import re
import shutil
import time

from .common import (HARNESS, REPO, PipelineError, cache_path, clean_env, fmt_duration,
                     kbuild_env, kmake_cmd, log, run_quiet)
from .tree import IOMMUFD_DIR, SAMPLES_DIR, SELFTEST_DIR

CHECKPATCH_ROOTS = (IOMMUFD_DIR + '/', 'include/', SELFTEST_DIR + '/', SAMPLES_DIR + '/')
KERNEL_DOC_FILES = ('include/uapi/linux/iommufd.h', 'include/linux/iommufd.h')
DIAG = re.compile(r'^(?P<path>[^\s:]+):(?P<line>\d+):(?:\d+:)? ?(?P<kind>warning|error)\b')
SHOW_LINES = 60


class Check:
    """The outcome of one lint check."""

    def __init__(self, name):
        self.name = name
        self.ok = True
        self.summary = ''
        self.output = []

    def failed(self, summary, output):
        self.ok = False
        self.summary = summary
        self.output = output


def _run(cmd, cwd, env=None, logname=None):
    """(exit code, output lines) of cmd; with logname, also written to lint-<logname>.log."""
    proc = run_quiet(cmd, cwd=cwd, env=env, check=False)
    if logname:
        path = cache_path('logs', f'lint-{logname}.log')
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write('$ ' + ' '.join(cmd) + '\n' + proc.stdout)
    return proc.returncode, proc.stdout.splitlines()


def our_sources(tree):
    return [p for p in tree.our_paths()
            if p.endswith(('.c', '.h')) and p.startswith(CHECKPATCH_ROOTS)]


def _checkpatch_cwd(files):
    """A scratch dir that shows our files under their repo paths.

    checkpatch writes its CamelCase cache (.checkpatch-camelcase.*) into its
    cwd: that must not be the repo. Symlinks keep the reported paths short.
    """
    scratch = cache_path('lint', 'checkpatch')
    os.makedirs(scratch, exist_ok=True)
    for top in sorted({f.split('/')[0] for f in files}):
        link = os.path.join(scratch, top)
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(os.path.join(REPO, top), link)
    return scratch


def checkpatch(tree):
    check = Check('checkpatch')
    files = our_sources(tree)
    if not files:
        check.summary = 'no files'
        return check
    script = os.path.join(tree.base.src, 'scripts', 'checkpatch.pl')
    rc, out = _run(['perl', script, '--strict', '--no-tree', f'--root={tree.dir}',
                    '--show-types', '--no-summary', '--color=never', '--quiet', '-f', *files],
                   _checkpatch_cwd(files), logname='checkpatch')
    issues = [l for l in out if re.match(r'^(ERROR|WARNING|CHECK):', l)]
    if rc != 0 or issues:
        check.failed(f'{len(issues)} issue(s) in {len(files)} files', out)
    else:
        check.summary = f'{len(files)} files clean'
    return check


def _diagnostics_on(lines, ours, out_dir, tree_dir, sparse_only=False):
    """Compiler/sparse diagnostics about one of our files (with their context lines).

    gcc tags its warnings with the option ([-Wunused-variable]); sparse does
    not. The sparse check leaves gcc's to the W=1 check so each is reported once.
    """
    hits = []
    for i, line in enumerate(lines):
        m = DIAG.match(line)
        if not m or (sparse_only and re.search(r'\[-W[^\]]*\]$', line)):
            continue
        path = os.path.normpath(os.path.join(out_dir, m.group('path')))
        rel = os.path.relpath(path, tree_dir)
        if rel in ours:
            hits.append(rel + line[m.end('path'):])
            # gcc's source excerpt: '  12 |   code' and '     |   ^~~'
            hits.extend(l for l in lines[i + 1:i + 3] if re.match(r'^\s*\d* \|', l))
    return hits


def _kbuild_check(kb, name, extra_args, ours):
    check = Check(name)
    cmd = kmake_cmd(kb.tree.dir, kb.out, *extra_args, IOMMUFD_DIR + '/')
    with _objects_set_aside(kb):
        rc, out = _run(cmd, kb.tree.dir, env=kbuild_env(), logname=name)
    hits = _diagnostics_on(out, ours, kb.out, kb.tree.dir, sparse_only=name == 'sparse')
    if rc != 0:
        check.failed(f'make {" ".join(extra_args)} {IOMMUFD_DIR}/ failed (exit {rc})',
                     hits + ['--- last lines ---'] + out[-30:])
    elif hits:
        n = sum(1 for h in hits if DIAG.match(h))
        check.failed(f'{n} warning(s) on our files', hits)
    else:
        check.summary = 'clean'
    return check


class _objects_set_aside:
    """Run a lint build of our directory in the normal out dir without disturbing it.

    Up-to-date objects print no warnings, so the lint build starts from an
    empty object dir (ccache replays the compiler's warnings on a hit, so this
    stays cheap). The normal build's objects are moved aside meanwhile and
    put back unchanged (same mtimes), so it neither recompiles nor relinks.
    """

    def __init__(self, kb):
        self.objdir = os.path.join(kb.out, IOMMUFD_DIR)
        self.keep = self.objdir + '.iommufd-keep'

    def __enter__(self):
        if os.path.isdir(self.keep):           # an interrupted earlier lint
            shutil.rmtree(self.objdir, ignore_errors=True)
            os.rename(self.keep, self.objdir)
        if os.path.isdir(self.objdir):
            os.rename(self.objdir, self.keep)
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.objdir, ignore_errors=True)
        if os.path.isdir(self.keep):
            os.rename(self.keep, self.objdir)


def kernel_doc(tree):
    check = Check('kernel-doc')
    files = [p for p in tree.our_paths()
             if p in KERNEL_DOC_FILES or (p.startswith(IOMMUFD_DIR + '/')
                                          and p.endswith(('.c', '.h')))]
    if not files:
        check.summary = 'no files'
        return check
    script = os.path.join(tree.base.src, 'scripts', 'kernel-doc')
    rc, out = _run(['perl', script, '-none', '-Wall', *files], REPO, logname='kernel-doc')
    issues = [l for l in out if re.search(r'\b(warning|error)\b', l, re.I)]
    if rc != 0 or issues:
        check.failed(f'{len(issues)} warning(s) in {len(files)} files', out)
    else:
        check.summary = f'{len(files)} files clean'
    return check


def abi_check(tree, kb):
    """harness/abi-check (written separately): one more entry when it exists.

    Called as 'abi-check <pristine base tree> <repo>'; the environment also
    names the build tree and the normal kernel's out dir.
    """
    script = os.path.join(HARNESS, 'abi-check')
    if not (os.path.isfile(script) and os.access(script, os.X_OK)):
        return None
    check = Check('abi-check')
    env = clean_env({'IOMMUFD_CACHE': cache_path(), 'IOMMUFD_TREE': tree.dir,
                     'IOMMUFD_BASE_TREE': tree.base.src, 'IOMMUFD_OUT': kb.out})
    rc, out = _run([script, tree.base.src, REPO], REPO, env=env, logname='abi-check')
    if rc != 0:
        check.failed(f'exit code {rc}', out)
    else:
        check.summary = 'ok'
    return check


def run_lint(tree, kb, row):
    """Run every check, print each result, count them in row (suite 'lint')."""
    start = time.monotonic()
    ours = set(tree.our_paths())
    checks = [lambda: checkpatch(tree), lambda: kernel_doc(tree)]
    configured = None
    try:
        kb.configure()
        configured = True
    except PipelineError as e:
        configured = e
    for name, args in (('sparse', ['C=2']), ('w1', ['W=1'])):
        if configured is True:
            checks.append(lambda n=name, a=args: _kbuild_check(kb, n, a, ours))
        else:
            def cannot(n=name):
                check = Check(n)
                check.failed(f'kernel not configurable: {configured}',
                             str(configured.detail).splitlines())
                return check
            checks.append(cannot)
    checks.append(lambda: abi_check(tree, kb))
    for make_check in checks:
        t0 = time.monotonic()
        check = make_check()
        if check is None:
            continue
        took = fmt_duration(time.monotonic() - t0)
        if check.ok:
            row.passed += 1
            log(f'  lint {check.name}: ok ({check.summary}, {took})')
        else:
            row.fail(f'{check.name}: {check.summary}')
            log(f'  lint {check.name}: FAILED ({check.summary}, {took})')
            for line in check.output[:SHOW_LINES]:
                log(f'  | {line}')
            if len(check.output) > SHOW_LINES:
                log(f'  | ... {len(check.output) - SHOW_LINES} more lines in '
                    f'{cache_path("logs", "lint-" + check.name + ".log")}')
    row.seconds = time.monotonic() - start
