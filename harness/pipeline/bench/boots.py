"""The measuring boots: which, in what order, and what each delivered."""

import dataclasses
import os
import shutil
import time

from ..common import PipelineError, cache_path, fmt_duration, log
from ..guest import UserPrograms
from ..runner import Boot
from ..suites import select
from ...machines import MACHINES as MACHINE_SPECS
from .data import MACHINES, VARIANTS, Results
from .parse import parse_run
from .stats import merge_runs

# The suite whose program the benchmark runs (with --measure): its line in
# suites.conf is the smoke test 'make check' runs.
SUITE = 'bench-smoke'
PROGRAM = 'samples/iommufd_bench'       # under the guest's /tests
MEASURE_ARGS = '--measure'
# Seconds one measuring boot may take (q35 needs about a minute under TCG).
BOOT_SECONDS = 600
# Boots per kernel and machine; the order is ours, stock, stock, ours.
ROUNDS = 2
# BENCH=mock, vtd, amd or virtio (or the machine names, comma separated)
# boots only those machines, to measure one part quickly; the default is all
# of them.
BENCH_ALIASES = {'mock': 'q35', 'vtd': 'q35-vtd', 'amd': 'q35-amd', 'virtio': 'q35-virtio',
                 'smmuv3': 'virt-smmuv3'}


def measuring_suite():
    """The smoke suite's line, with the time a measuring boot needs."""
    suite = select(name=SUITE)[0]
    return dataclasses.replace(suite, timeout=BOOT_SECONDS)


def require_program(kb):
    program = os.path.join(UserPrograms(kb).root, PROGRAM)
    if not os.path.exists(program):
        raise PipelineError(f'{PROGRAM} was not built for {kb.name} (see the build log)')


def selected_machines(spec=None):
    """The machines BENCH (or spec) selects, in MACHINES order; all by default."""
    spec = os.environ.get('BENCH', '') if spec is None else spec
    wanted = {BENCH_ALIASES.get(w.strip(), w.strip()) for w in spec.split(',') if w.strip()}
    if not wanted:
        return MACHINES
    unknown = wanted - set(MACHINES)
    if unknown:
        raise PipelineError(f'BENCH={spec}: unknown {", ".join(sorted(unknown))} (one of '
                            f'{", ".join(list(BENCH_ALIASES) + list(MACHINES))})')
    return tuple(m for m in MACHINES if m in wanted)


def boot_order():
    """(machine, variant, round) in the order they boot: ABBA per machine."""
    order = []
    for machine in selected_machines():
        for rnd in range(ROUNDS):
            variants = VARIANTS if rnd % 2 == 0 else tuple(reversed(VARIANTS))
            order += [(machine, variant, rnd) for variant in variants]
    return order


def machine_arch(machine):
    return MACHINE_SPECS[machine]['arch']


def selected_arches():
    """The architectures of the machines BENCH selects, each once, in machine order."""
    return tuple(dict.fromkeys(machine_arch(m) for m in selected_machines()))


def bootable(builds, problems):
    """The builds ({variant: {arch: (kb, initramfs)}}) that have the benchmark program.

    Why a variant has no boots on an arch goes to problems.
    """
    found = {}
    for variant in VARIANTS:
        for arch in selected_arches():
            build = builds.get(variant, {}).get(arch)
            where = variant if arch == 'x86_64' else f'{variant} ({arch})'
            if not build:
                problems.append(f'{where}: no kernel to boot (its build failed)')
                continue
            try:
                require_program(build[0])
            except PipelineError as e:
                problems.append(f'{where}: {e}')
                continue
            found.setdefault(variant, {})[arch] = build
    return found


def keep_log(boot, variant, machine, rnd):
    """The runner reuses one console log per kernel and machine: keep a copy."""
    kept = cache_path('logs', f'bench-{variant}-{machine}-{rnd + 1}.log')
    try:
        shutil.copyfile(boot.logfile, kept)
    except OSError:
        return boot.logfile
    return kept


def boot_problems(where, boot, run, logfile):
    """Why one boot's results are incomplete: the runner's failures, the program's."""
    problems = [f'{where}: {row.suite}: {note}'
                for row in boot.rows() if row.failed for note in row.notes]
    if not run.done:
        problems.append(f'{where}: the benchmark did not finish (console log {logfile})')
    return problems + [f'{where}: {error}' for error in run.errors]


def measure(build, machine, variant, rnd, suite, problems):
    """One measuring boot; its Run. Why it is incomplete goes to problems."""
    kb, initramfs = build
    where = f'{variant} on {machine}, boot {rnd + 1} of {ROUNDS}'
    log(f'== {where}: iommufd_bench {MEASURE_ARGS} ==')
    start = time.monotonic()
    boot = Boot(kb, initramfs, machine, [suite], args=MEASURE_ARGS)
    boot.run()
    boot.report_problems()
    run = parse_run(boot.lines.get(SUITE, []))
    logfile = keep_log(boot, variant, machine, rnd)
    problems += boot_problems(where, boot, run, logfile)
    log(f'  {len(run.times)} time rows, {len(run.memory)} memory rows in '
        f'{fmt_duration(time.monotonic() - start)} (console log {logfile})')
    return run


def run_bench(builds):
    """Boot each (machine, variant) ROUNDS times; returns (Results, problems).

    builds: {variant: {arch: (KernelBuild, initramfs)}}. problems lists why
    a boot did not deliver (build missing, guest failure, program errors).
    """
    suite = measuring_suite()
    problems = []
    to_boot = bootable(builds, problems)
    boots = {}
    for machine, variant, rnd in boot_order():
        build = to_boot.get(variant, {}).get(machine_arch(machine))
        if build:
            run = measure(build, machine, variant, rnd, suite, problems)
            boots.setdefault((variant, machine), []).append(run)
    runs = {variant: {} for variant in VARIANTS}
    for (variant, machine), found in boots.items():
        runs[variant][machine] = merge_runs(found)
    return Results(runs), problems
