"""Entry point of the pipeline; the top-level Makefile's targets call this.

Usage, from the top of the repository: python3 -m harness.main COMMAND, with
COMMAND one of check run build kernel test conformance shell lint tree series
bench fuzz stress clean. Options come from the environment, as make passes
them: PROFILE (normal|debug), VARIANT (ours|stock), SUITE, MACHINE, ARGS, BENCH,
SERIES_DIR, V=1, for conformance CONFORMANCE_SRC, for fuzz SEED, SECONDS and
THREADS, for stress SCENARIO, SECONDS and THREADS.
"""

import dataclasses
import os
import shutil
import subprocess
import sys
import time
import traceback

from .machines import MACHINES, PROFILES
from .pipeline import suites as suites_mod
from .pipeline.bench import render as bench_render
from .pipeline.bench.boots import run_bench, selected_arches as bench_arches
from .pipeline.bench.data import VARIANTS as BENCH_VARIANTS
from .pipeline.conformance import conformance_src, load_pending, pending_file
from .pipeline.common import (CACHE, REPO, VERBOSE, CacheLock, PipelineError, cache_path, die,
                              fmt_duration, log)
from .pipeline.guest import UserPrograms, build_initramfs, qemu_command
from .pipeline.kbuild import KernelBuild
from .pipeline.lint import run_lint
from .pipeline.results import Row, failure_notes, summary_table, totals
from .pipeline.runner import Boot
from .pipeline.series import make_series
from .pipeline.tree import IOMMUFD_DIR, Base, Tree

PROFILE = os.environ.get('PROFILE') or 'normal'
VARIANT = os.environ.get('VARIANT') or 'ours'


def show_error(err, indent='  '):
    log(f'{indent}ERROR: {err}')
    for line in str(getattr(err, 'detail', '') or '').splitlines()[-80:]:
        log(f'{indent}| {line}')


def console_echo(default):
    """What a boot echoes of the guest's console: V=1 shows all of it."""
    return 'all' if VERBOSE else default


# ---------------------------------------------------------------- stages

def assemble_tree(variant=VARIANT):
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


# The arch built when no suite asks for one (make kernel, make build) and the
# one whose build row keeps its old name: the selftests and most machines.
DEFAULT_ARCH = 'x86_64'


def build_row_name(arch):
    """The summary row of an arch's build: 'build' for x86_64, as before arm64."""
    return 'build' if arch == DEFAULT_ARCH else f'build-{arch}'


@dataclasses.dataclass
class Prepared:
    """What prepare() made of one profile and arch; kb and initramfs are None when it failed."""
    row: Row
    kb: KernelBuild = None
    initramfs: str = None

    @property
    def bootable(self):
        return self.kb is not None and self.initramfs is not None


def build_guest_image(kb, row, full_program_errors):
    """The user programs and the initramfs that carries them.

    A failed program build fails row, but the kernel is fine: the image is
    made all the same, and only the suites whose program is missing fail.
    """
    progs = UserPrograms(kb)
    try:
        progs.build()
    except PipelineError as e:
        if full_program_errors:
            show_error(e)
        else:
            log(f'  note: {e}')
        row.fail(f'user programs: {e}')
    return build_initramfs(progs)


def prepare(tree, profile, full_program_errors=True, arch=DEFAULT_ARCH):
    """Kernel, user programs and initramfs of one profile for @arch, with its build row."""
    prepared = Prepared(Row(build_row_name(arch), profile))
    start = time.monotonic()
    kb = KernelBuild(tree, profile, arch)
    try:
        require_kernel_sources(tree)
        kb.build()
        prepared.initramfs = build_guest_image(kb, prepared.row, full_program_errors)
        prepared.kb = kb
        if not prepared.row.failed:
            prepared.row.passed = 1
    except PipelineError as e:
        show_error(e)
        prepared.row.fail(str(e))
    prepared.row.seconds = time.monotonic() - start
    return prepared


def suites_by_machine(suites):
    groups = {}
    for suite in suites:
        groups.setdefault(suite.machine, []).append(suite)
    return groups


def run_suites(kb, initramfs, suites, args='', echo=None):
    """One boot per machine the suites need; their rows."""
    rows = []
    for machine, group in suites_by_machine(suites).items():
        boot = Boot(kb, initramfs, machine, group, kmemleak=PROFILES[kb.profile]['kmemleak'],
                    args=args, echo=echo)
        boot.run()
        boot.report_problems()
        rows += boot.rows()
    return rows


def suites_by_arch(suites):
    """{arch: its suites}, each arch whose machines the suites need, x86_64 first.

    A kernel is built per arch in the result.  With no suites at all (make
    kernel, a group empty in a profile) that is x86_64, as before there was
    another arch; arm64 is built only when one of its suites runs.
    """
    groups = {}
    for suite in suites:
        groups.setdefault(MACHINES[suite.machine]['arch'], []).append(suite)
    if not groups:
        groups[DEFAULT_ARCH] = []
    return dict(sorted(groups.items(), key=lambda item: (item[0] != DEFAULT_ARCH, item[0])))


def arch_stage(tree, profile, arch, suites, args='', echo=None):
    """Build @arch's kernel and guest image, boot its machines; the rows."""
    if arch != DEFAULT_ARCH:
        log(f'-- {arch} --')
    prepared = prepare(tree, profile, arch=arch)
    rows = [prepared.row]
    if not prepared.bootable:
        return rows + [Row(suite.name, profile, failed=1, notes=['not run: build failed'])
                       for suite in suites]
    return rows + run_suites(prepared.kb, prepared.initramfs, suites, args=args, echo=echo)


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


def run_profile(rows, tree, profile, suites, args='', echo=None):
    """arch_stage() of each arch the suites need, each under guard, their rows
    added to rows: a crash in one arch's stage keeps the other's results."""
    log(f'== profile {profile} ({tree.variant}) ==')
    for arch, arch_suites in suites_by_arch(suites).items():
        stage_rows = guarded(rows, arch_stage, tree, profile, arch, arch_suites,
                             args=args, echo=echo)
        rows.extend(stage_rows or [])


def finish(rows, title):
    """Print the one summary table and the final count; return the exit status.

    Every command that tests ends here, so the count is its last line (what
    .ci/run's log must end with).
    """
    table, notes = summary_table(rows)
    passed, failed = totals(rows)
    print(f'\n== {title} ==')
    print(table)
    if notes:
        print('failures:')
        print('\n'.join(notes))
    print(f'{passed} passed, {failed} failed', flush=True)
    return 1 if failed else 0


def pending_name():
    """The pending list in use, as a path from the top of the repository."""
    return os.path.relpath(pending_file(), REPO)


def pending_report(rows, verbose):
    """What became of the upstream tests listed in the pending list (pending_file())."""
    pending = load_pending()
    seen = set()
    for row in rows:
        for name in row.pending_passed:
            log(f'  note ({row.suite}, {row.profile}): {name} passes now: '
                f'remove it from {pending_name()}')
        seen.update(row.pending_failed + row.pending_passed)
        if verbose:
            for name in row.pending_failed:
                log(f'  not yet expected ({row.suite}, {row.profile}): {name}: {pending[name]}')
    return seen


# ---------------------------------------------------------------- commands

def cmd_check():
    rows = []
    start = time.monotonic()
    with CacheLock():
        tree = guarded(rows, assemble_tree)
        if tree:
            if tree.variant == 'ours':
                log('== lint ==')
                lint_row = Row('lint', '-')
                rows.append(lint_row)
                guarded(rows, run_lint, tree, KernelBuild(tree, 'normal'), lint_row)
            for profile in ('normal', 'debug'):
                run_profile(rows, tree, profile,
                            suites_mod.select(group='check', profile=profile),
                            echo=console_echo(None))
    pending_report(rows, verbose=False)
    return finish(rows, f'make check ({VARIANT}, {fmt_duration(time.monotonic() - start)})')


def debug_only_run_suites():
    """'run' suites that need the debug kernel: QEMU as the VMM needs /dev/vfio/vfio
    served by iommufd, which only that profile's configuration has."""
    return [s for s in suites_mod.select(group='run', profile='debug')
            if 'normal' not in s.profiles]


def cmd_run():
    rows = []
    with CacheLock():
        tree = guarded(rows, assemble_tree)
        if tree:
            run_profile(rows, tree, 'normal', suites_mod.select(group='run', profile='normal'),
                        echo='suite')
            debug_suites = debug_only_run_suites()
            if debug_suites:
                run_profile(rows, tree, 'debug', debug_suites, echo='suite')
    return finish(rows, 'make run')


def print_conformance_changes():
    """The lines of the upstream selftests changed to build (see conformance.py)."""
    report = cache_path('progs', f'{VARIANT}-{PROFILE}', 'conformance-changes.txt')
    if os.path.exists(report):
        log('')
        with open(report) as f:
            log(f.read().rstrip())


def print_pending_tests(rows):
    log(f'\n== not yet expected to pass ({pending_name()}) ==')
    seen = pending_report(rows, verbose=True)
    for name, reason in load_pending().items():
        if name not in seen:
            log(f'  {name}: not in this run\'s results ({reason})')


def cmd_conformance():
    """The base tree's upstream selftests against our (or the stock) kernel.

    With CONFORMANCE_SRC, the later upstream selftests of that directory.
    """
    src = conformance_src()
    if src:
        log(f'upstream selftests from CONFORMANCE_SRC={src} (expected failures: '
            f'{pending_name()})')
    rows = []
    with CacheLock():
        tree = guarded(rows, assemble_tree)
        if tree:
            run_profile(rows, tree, PROFILE,
                        suites_mod.select(group='conformance', profile=PROFILE),
                        echo=console_echo(None))
    print_conformance_changes()
    # Only our kernel has a list of the tests it does not pass yet.
    if VARIANT == 'ours':
        print_pending_tests(rows)
    what = f', CONFORMANCE_SRC={src}' if src else ''
    return finish(rows, f'make conformance ({VARIANT}, {PROFILE}{what})')


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
        tree = guarded(rows, assemble_tree)
        if tree:
            run_profile(rows, tree, PROFILE, [suite], args=args, echo=console_echo('suite'))
    return finish(rows, f'make test SUITE={name} PROFILE={PROFILE}'
                  + (f' ARGS={args}' if args else ''))


def run_debug_suite(suite, args, title):
    """Run @suite with @args appended on the debug kernel (q35), then the
    kmemleak scan; what 'make fuzz' and 'make stress' do."""
    rows = []
    with CacheLock():
        tree = guarded(rows, assemble_tree)
        if tree:
            run_profile(rows, tree, 'debug', [suite], args=args,
                        echo=console_echo('suite'))
    return finish(rows, title)


def fuzz_number(name, default, low, high):
    text = os.environ.get(name) or str(default)
    if not text.isdigit() or not low <= int(text) <= high:
        die(f'{name}={text}: a whole number from {low} to {high} is needed')
    return int(text)


def cmd_fuzz():
    """The ioctl fuzzer for SECONDS on the debug kernel (q35), then kmemleak.

    It is the 'fuzz' suite of suites.conf, with a time limit that fits the
    run time.  The guest runs the suite's command of its own copy of
    suites.conf with the arguments appended (as 'make test ARGS='): the
    fuzzer takes the last of repeated options, so these win.
    """
    seed = fuzz_number('SEED', 1, 0, 2**64 - 1)
    seconds = fuzz_number('SECONDS', 600, 1, 24 * 3600)
    threads = fuzz_number('THREADS', 4, 1, 16)
    base = suites_mod.select(name='fuzz')[0]
    factor = PROFILES['debug']['timeout_factor']
    # the run itself, then closing everything under KASAN: a margin
    suite = dataclasses.replace(
        base, timeout=-(-(seconds + 120 + seconds // 10) // factor))
    args = f'--seed {seed} --seconds {seconds} --threads {threads}'
    return run_debug_suite(suite, args,
                           f'make fuzz SEED={seed} SECONDS={seconds} THREADS={threads}')


# The scenarios of iommufd_stress (its table 'scenarios'), for the time
# limit of a run of them all
STRESS_SCENARIOS = 8


def stress_plan(scenario, seconds, threads, factor):
    """The arguments of iommufd_stress for a 'make stress' run, and the
    suite's time limit in normal-profile seconds (the debug profile scales
    it by @factor): each scenario's run time, its setup and checks, and a
    margin for booting and closing everything under KASAN.
    """
    names = [name for name in scenario.split(',') if name]
    for name in names:
        if not name.replace('-', '').isalpha():
            die(f'SCENARIO={scenario}: a comma list of scenario names is needed')
    count = len(names) or STRESS_SCENARIOS
    limit = count * (seconds + 15) + 120
    args = f'--seconds {seconds} --threads {threads}'
    if names:
        args += f' --scenario {",".join(names)}'
    return args, -(-(limit + limit // 10) // factor)


def cmd_stress():
    """The race stress scenarios for SECONDS each on the debug kernel (q35).

    It is the 'stress' suite of suites.conf with SECONDS, THREADS and, if
    given, SCENARIO (a comma list) appended: the program takes the last of
    repeated --seconds and --threads, so these win.
    """
    seconds = fuzz_number('SECONDS', 60, 1, 24 * 3600)
    threads = fuzz_number('THREADS', 4, 1, 64)
    scenario = os.environ.get('SCENARIO', '')
    args, timeout = stress_plan(scenario, seconds, threads,
                                PROFILES['debug']['timeout_factor'])
    suite = dataclasses.replace(suites_mod.select(name='stress')[0],
                                timeout=timeout)
    return run_debug_suite(suite, args,
                           f'make stress SCENARIO={scenario} SECONDS={seconds} '
                           f'THREADS={threads}')


def cmd_kernel(profiles):
    with CacheLock():
        tree = assemble_tree()
        # Every profile is built, whether or not an earlier one failed.
        failed = [prepare(tree, profile).row.failed for profile in profiles]
    return 1 if any(failed) else 0


def cmd_shell():
    machine = os.environ.get('MACHINE') or 'q35'
    if machine not in MACHINES:
        die(f'unknown MACHINE={machine} (one of {", ".join(MACHINES)})')
    if not sys.stdin.isatty():
        die('make shell needs a terminal on stdin')
    with CacheLock():
        prepared = prepare(assemble_tree(), PROFILE, arch=MACHINES[machine]['arch'])
        if not prepared.bootable:
            return 1
        kb = prepared.kb
        cmd = qemu_command(machine, kb, prepared.initramfs,
                           ['harness.nonce=shell', 'harness.shell=1'], interactive=True)
    # The lock is not held while the shell is open, which can be for hours:
    # QEMU only reads the kernel and the initramfs.
    log(f'booting {machine} ({kb.name}); leave the shell with "exit" (or Ctrl-A X)')
    return subprocess.call(cmd)


def build_bench_kernels(rows):
    """{variant: {arch: (KernelBuild, initramfs)}} of the normal kernels that boot.

    One per variant and architecture of the machines BENCH selects.  Each
    build's row (and any harness failure) is added to rows.
    """
    builds = {}
    for variant in BENCH_VARIANTS:
        tree = None
        for arch in bench_arches():
            log(f'== build: {variant}, normal profile, {arch} ==')
            tree = tree or guarded(rows, assemble_tree, variant)
            # Only the benchmark program matters here: our selftests, laid
            # over the stock tree too, need uAPI that stock lacks.
            prepared = tree and guarded(rows, prepare, tree, 'normal',
                                        full_program_errors=False, arch=arch)
            if not prepared:
                continue
            rows.append(prepared.row)
            if prepared.bootable:
                builds.setdefault(variant, {})[arch] = (prepared.kb, prepared.initramfs)
    return builds


def cmd_bench():
    """Both variants' normal kernels, then the measuring boots and the report.

    Exits 0 when every boot delivered its results, whatever the targets say.
    """
    rows = []
    start = time.monotonic()
    with CacheLock():
        builds = build_bench_kernels(rows)
        results, problems = run_bench(builds)
    lines, targets = bench_render.report(results)
    # A program that did not build for one variant is a problem; one that
    # did while something else of that profile failed is only noted.
    lines += bench_render.closing_lines(targets, failure_notes(rows), problems,
                                        time.monotonic() - start)
    print('\n'.join(lines), flush=True)
    return 1 if problems else 0


def cmd_lint():
    rows = [Row('lint', '-')]
    with CacheLock():
        tree = guarded(rows, assemble_tree, 'ours')
        if tree:
            guarded(rows, run_lint, tree, KernelBuild(tree, 'normal'), rows[0])
    return finish(rows, 'make lint')


def cmd_tree():
    with CacheLock():
        tree = assemble_tree()
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
    'fuzz': cmd_fuzz,
    'stress': cmd_stress,
    'clean': cmd_clean,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        die(f'usage: python3 -m harness.main {{{",".join(COMMANDS)}}}')
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
