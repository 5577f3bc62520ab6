"""Entry point of the pipeline; the top-level Makefile's targets call this.

Usage, from the top of the repository: python3 -m harness.main COMMAND, with
COMMAND one of check run build kernel test conformance shell lint tree series
bench clean. Options come from the environment,
as make passes them: PROFILE (normal|debug), VARIANT (ours|stock), SUITE, MACHINE,
ARGS, V=1.
"""

import os
import shutil
import subprocess
import sys
import time
import traceback

from .machines import MACHINES, PROFILES
from .pipeline import bench as bench_mod
from .pipeline import suites as suites_mod
from .pipeline.conformance import load_pending
from .pipeline.common import (CACHE, REPO, CacheLock, PipelineError, cache_path, die,
                              fmt_duration, log)
from .pipeline.guest import UserPrograms, build_initramfs, qemu_command
from .pipeline.kbuild import KernelBuild
from .pipeline.lint import run_lint
from .pipeline.results import Row, summary_table, totals
from .pipeline.runner import Boot
from .pipeline.series import make_series
from .pipeline.tree import IOMMUFD_DIR, Base, Tree

PROFILE = os.environ.get('PROFILE') or 'normal'
VARIANT = os.environ.get('VARIANT') or 'ours'
VERBOSE = os.environ.get('V', '') not in ('', '0')


def show_error(err, indent='  '):
    log(f'{indent}ERROR: {err}')
    for line in str(getattr(err, 'detail', '') or '').splitlines()[-80:]:
        log(f'{indent}| {line}')


# ---------------------------------------------------------------- stages

def assemble(variant=VARIANT):
    base = Base()
    tree = Tree(base, variant)
    start = time.monotonic()
    changed = tree.assemble()
    what = f'{len(changed)} path(s) changed' if changed else 'up to date'
    log(f'tree {variant} (Linux {base.version}): {what} '
        f'[{fmt_duration(time.monotonic() - start)}]')
    if VERBOSE:
        for rel in changed:
            log(f'  {rel}')
    return tree


def require_kernel_sources(tree):
    if tree.variant != 'ours':
        return
    missing = [f for f in ('Makefile', 'Kconfig')
               if f'{IOMMUFD_DIR}/{f}' not in tree.ours]
    if missing:
        raise PipelineError(f'the repo has no {IOMMUFD_DIR}/{" or ".join(missing)} yet: our '
                            'iommufd cannot be built (VARIANT=stock builds upstream\'s)')


def prepare(tree, profile, progs_detail=True):
    """Kernel, user programs and initramfs of one profile. Returns (kb, initramfs, row).

    progs_detail=False reports a failed user program build in one line.
    """
    row = Row('build', profile)
    start = time.monotonic()
    kb = KernelBuild(tree, profile)
    initramfs = None
    try:
        require_kernel_sources(tree)
        kb.build()
        progs = UserPrograms(kb)
        try:
            progs.build()
        except PipelineError as e:
            # The kernel is fine: boot anyway, the suites missing a program fail.
            if progs_detail:
                show_error(e)
            else:
                log(f'  note: {e}')
            row.fail(f'user programs: {e}')
        initramfs = build_initramfs(progs)
        if not row.failed:
            row.passed = 1
    except PipelineError as e:
        show_error(e)
        row.fail(str(e))
        kb = None
    row.seconds = time.monotonic() - start
    return kb, initramfs, row


def by_machine(suites):
    groups = {}
    for suite in suites:
        groups.setdefault(suite.machine, []).append(suite)
    return groups


def run_suites(kb, initramfs, suites, args='', echo=None):
    rows = []
    for machine, group in by_machine(suites).items():
        boot = Boot(kb, initramfs, machine, group, kmemleak=PROFILES[kb.profile]['kmemleak'],
                    args=args, echo=echo)
        boot.run()
        boot.report_problems()
        rows += boot.rows()
    return rows


def profile_stage(tree, profile, suites, args='', echo=None):
    log(f'== profile {profile} ({tree.variant}) ==')
    kb, initramfs, build_row = prepare(tree, profile)
    rows = [build_row]
    if kb is None or initramfs is None:
        for suite in suites:
            rows.append(Row(suite.name, profile, failed=1, notes=['not run: build failed']))
        return rows
    return rows + run_suites(kb, initramfs, suites, args=args, echo=echo)


def finish(rows, title):
    """Print the one summary table and the final count; return the exit status."""
    table, notes = summary_table(rows)
    passed, failed = totals(rows)
    print(f'\n== {title} ==')
    print(table)
    if notes:
        print('failures:')
        print('\n'.join(notes))
    print(f'{passed} passed, {failed} failed', flush=True)
    return 1 if failed else 0


def pending_report(rows, verbose):
    """What became of the upstream tests listed in harness/conformance.conf."""
    pending = load_pending()
    seen = set()
    for row in rows:
        for name in row.pending_passed:
            log(f'  note ({row.suite}, {row.profile}): {name} passes now: '
                'remove it from harness/conformance.conf')
        seen.update(row.pending_failed + row.pending_passed)
        if verbose:
            for name in row.pending_failed:
                log(f'  not yet expected ({row.suite}, {row.profile}): {name}: {pending[name]}')
    return seen


def guarded(rows, fn, *args, **kwargs):
    """Run a stage; an unexpected crash of the harness itself counts as a failure."""
    try:
        return fn(*args, **kwargs)
    except PipelineError as e:
        show_error(e)
        rows.append(Row('harness', '-', failed=1, notes=[str(e)]))
    except Exception as e:  # noqa: BLE001 - the final line must still be printed
        traceback.print_exc()
        rows.append(Row('harness', '-', failed=1, notes=[f'harness crashed: {e!r}']))
    return None


# ---------------------------------------------------------------- commands

def cmd_check():
    rows = []
    start = time.monotonic()
    with CacheLock():
        tree = guarded(rows, assemble)
        if tree:
            if tree.variant == 'ours':
                log('== lint ==')
                lint_row = Row('lint', '-')
                rows.append(lint_row)
                guarded(rows, run_lint, tree, KernelBuild(tree, 'normal'), lint_row)
            for profile in ('normal', 'debug'):
                chosen = suites_mod.select(group='check', profile=profile)
                stage = guarded(rows, profile_stage, tree, profile, chosen,
                                echo='all' if VERBOSE else None)
                rows += stage or []
    pending_report(rows, verbose=False)
    return finish(rows, f'make check ({VARIANT}, {fmt_duration(time.monotonic() - start)})')


def cmd_run():
    rows = []
    with CacheLock():
        tree = guarded(rows, assemble)
        if tree:
            chosen = suites_mod.select(group='run', profile='normal')
            rows += guarded(rows, profile_stage, tree, 'normal', chosen, echo='suite') or []
    return finish(rows, 'make run')


def cmd_conformance():
    """The base tree's upstream selftests against our (or the stock) kernel."""
    rows = []
    with CacheLock():
        tree = guarded(rows, assemble)
        if tree:
            chosen = suites_mod.select(group='conformance', profile=PROFILE)
            rows += guarded(rows, profile_stage, tree, PROFILE, chosen,
                            echo='all' if VERBOSE else None) or []
    report = cache_path('progs', f'{VARIANT}-{PROFILE}', 'conformance-changes.txt')
    if os.path.exists(report):
        log('')
        with open(report) as f:
            log(f.read().rstrip())
    if VARIANT == 'ours':
        log('\n== not yet expected to pass (harness/conformance.conf) ==')
        seen = pending_report(rows, verbose=True)
        for name, reason in load_pending().items():
            if name not in seen:
                log(f'  {name}: not in this run\'s results ({reason})')
    return finish(rows, f'make conformance ({VARIANT}, {PROFILE})')


def cmd_test():
    name = os.environ.get('SUITE')
    if not name:
        die('SUITE= is required, e.g. make test SUITE=core PROFILE=normal ARGS="-t name"')
    args = os.environ.get('ARGS', '')
    rows = []
    with CacheLock():
        suite = suites_mod.select(name=name)[0]
        if PROFILE not in suite.profiles:
            log(f'note: suite {name} is not listed for profile {PROFILE}; running it anyway')
        tree = guarded(rows, assemble)
        if tree:
            echo = 'all' if VERBOSE else 'suite'
            rows += guarded(rows, profile_stage, tree, PROFILE, [suite], args=args,
                            echo=echo) or []
    return finish(rows, f'make test SUITE={name} PROFILE={PROFILE}'
                  + (f' ARGS={args}' if args else ''))


def cmd_kernel(profiles):
    with CacheLock():
        tree = assemble()
        failed = False
        for profile in profiles:
            kb, _, row = prepare(tree, profile)
            failed |= bool(row.failed)
    return 1 if failed else 0


def cmd_shell():
    machine = os.environ.get('MACHINE') or 'q35'
    if machine not in MACHINES:
        die(f'unknown MACHINE={machine} (one of {", ".join(MACHINES)})')
    if not sys.stdin.isatty():
        die('make shell needs a terminal on stdin')
    lock = CacheLock()
    with lock:
        tree = assemble()
        kb, initramfs, row = prepare(tree, PROFILE)
        if kb is None or initramfs is None:
            return 1
        cmd = qemu_command(machine, kb, initramfs, ['harness.nonce=shell', 'harness.shell=1'],
                           interactive=True)
        lock.release()
    log(f'booting {machine} ({kb.name}); leave the shell with "exit" (or Ctrl-A X)')
    return subprocess.call(cmd)


def cmd_bench():
    """Both variants' normal kernels, then the measuring boots and the report.

    Exits 0 when every boot delivered its results, whatever the targets say.
    """
    rows = []
    builds = {}
    start = time.monotonic()
    with CacheLock():
        for variant in bench_mod.VARIANTS:
            log(f'== build: {variant}, normal profile ==')
            tree = guarded(rows, assemble, variant)
            # Only the benchmark program matters here: our selftests, laid
            # over the stock tree too, need uAPI that stock lacks.
            prepared = tree and guarded(rows, prepare, tree, 'normal', progs_detail=False)
            if not prepared:
                continue
            kb, initramfs, build_row = prepared
            rows.append(build_row)
            if kb is not None and initramfs is not None:
                builds[variant] = (kb, initramfs)
        results, problems = bench_mod.run_bench(builds)
    lines, targets = bench_mod.report(results)
    print('\n'.join(lines))
    # A program that did not build for one variant is a problem; one that
    # did while something else of that profile failed is only noted.
    notes = [f'{r.suite} ({r.profile}): {n}' for r in rows for n in r.notes if r.failed]
    if notes:
        print('notes from the builds:')
        print('\n'.join(f'  {n}' for n in notes))
    if problems:
        print('problems (results are incomplete):')
        print('\n'.join(f'  {p}' for p in problems))
    met = sum(1 for t in targets if t.met)
    unmeasured = sum(1 for t in targets if not t.measured)
    counts = f'{met} met, {len(targets) - met - unmeasured} missed'
    if unmeasured:
        counts += f', {unmeasured} not measured'
    print(f'make bench: {len(targets)} targets, {counts}; '
          f'{"results INCOMPLETE" if problems else "all boots delivered"} '
          f'[{fmt_duration(time.monotonic() - start)}]', flush=True)
    return 1 if problems else 0


def cmd_lint():
    rows = [Row('lint', '-')]
    with CacheLock():
        tree = guarded(rows, assemble, 'ours')
        if tree:
            guarded(rows, run_lint, tree, KernelBuild(tree, 'normal'), rows[0])
    return finish(rows, 'make lint')


def cmd_tree():
    with CacheLock():
        tree = assemble()
        log(tree.dir)
    return 0


def cmd_series():
    with CacheLock():
        outdir, series = make_series(Base(), os.environ.get('SERIES_DIR'))
    for patch in series:
        log(f'  {os.path.basename(patch)}')
    log(f'{len(series)} patches in {outdir} (checked: they git am onto the pristine base)')
    return 0


def cmd_clean():
    with CacheLock():
        for sub in ('tree', 'stage', 'out', 'progs', 'initramfs', 'logs', 'series',
                    'series-work'):
            shutil.rmtree(cache_path(sub), ignore_errors=True)
    log(f'removed build outputs from {CACHE}; kept base/ (pristine), ccache/, git-base/')
    return 0


COMMANDS = {
    'check': cmd_check,
    'run': cmd_run,
    'test': cmd_test,
    'conformance': cmd_conformance,
    'build': lambda: cmd_kernel(list(PROFILES)),
    'kernel': lambda: cmd_kernel([PROFILE]),
    'shell': cmd_shell,
    'lint': cmd_lint,
    'tree': cmd_tree,
    'series': cmd_series,
    'bench': cmd_bench,
    'clean': cmd_clean,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        die(f'usage: {sys.argv[0]} {{{",".join(COMMANDS)}}}')
    if PROFILE not in PROFILES:
        die(f'unknown PROFILE={PROFILE} (one of {", ".join(PROFILES)})')
    os.chdir(REPO)
    try:
        sys.exit(COMMANDS[sys.argv[1]]())
    except PipelineError as e:
        show_error(e, indent='')
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == '__main__':
    main()
