"""The whole report of make bench, and the lines that close it."""

from ..common import fmt_duration
from .boots import ROUNDS
from .stats import FULL_SPEED, MIN_SAMPLES, sample_counts
from .tables import edu_tables, info_lines, memory_table, mock_tables, viommu_tables
from .targets import evaluate_targets


def method_lines(results):
    """How the times were taken, and how many samples counted."""
    kept, taken = sample_counts(results)
    return ['', '== make bench: ours against stock (and VFIO type1), normal profile, TCG guests ==',
            f'Every time is the median of a row\'s samples, pooled from {ROUNDS} boots of each '
            'kernel (ours, stock, stock, ours);',
            'each boot warms every row up once, then runs all rows once per round, so a '
            'disturbance spreads over all rows;',
            'small rows repeat the operation within a sample. Only samples taken at full speed '
            'count: a fixed CPU loop is',
            f'timed before and after each, and a sample whose slower loop took over '
            f'{100 * (FULL_SPEED - 1):.0f}% longer than the boot\'s',
            f'fastest is set aside (a row keeps at least {MIN_SAMPLES}): {kept} of {taken} '
            'samples counted.',
            'MiB/s = buffer size / (do + undo) time, higher is better; "us" = do+undo in '
            'microseconds; ratios are',
            'throughput ratios (>1: the first is faster). The vIOMMU rows count items '
            '(entries, events) per second instead.']


def buffer_lines(results):
    buffers = info_lines(results)
    if not buffers:
        return []
    return ['', 'buffers: physically contiguous runs of the 128 MiB buffers (the program '
            'faults every other page in',
            'first, so that each run is one page of its backing in every boot):'] + buffers


def target_lines(noise, targets):
    out = ['', 'targets (a benchmark: a missed target is reported, it does not fail make bench):']
    if noise:
        out.append(f'  noise: VFIO type1, the same code on both kernels, differs between '
                   f'them by {100 * noise[0]:.0f}% in a typical row (median), '
                   f'{100 * noise[1]:.0f}% at most')
    for target in targets:
        out.append(f'  [{target.label()}] {target.title}: {target.summary}')
        out += [f'      {line}' for line in target.details]
    return out


def report(results):
    """The whole report as lines of text, and the targets it judged."""
    noise, targets = evaluate_targets(results)
    lines = (method_lines(results) + mock_tables(results) + viommu_tables(results)
             + edu_tables(results) + memory_table(results) + buffer_lines(results)
             + target_lines(noise, targets))
    return lines, targets


def closing_lines(targets, build_notes, problems, seconds):
    """What went wrong on the way, and the last line: the targets' count, complete or not.

    build_notes: failure notes of the build rows; problems: why boots did not
    deliver (run_bench's); seconds: how long make bench took.
    """
    out = []
    if build_notes:
        out += ['notes from the builds:'] + [f'  {n}' for n in build_notes]
    if problems:
        out += ['problems (results are incomplete):'] + [f'  {p}' for p in problems]
    met = sum(1 for t in targets if t.met)
    unmeasured = sum(1 for t in targets if not t.measured)
    counts = f'{met} met, {len(targets) - met - unmeasured} missed'
    if unmeasured:
        counts += f', {unmeasured} not measured'
    out.append(f'make bench: {len(targets)} targets, {counts}; '
               f'{"results INCOMPLETE" if problems else "all boots delivered"} '
               f'[{fmt_duration(seconds)}]')
    return out
