"""From samples to the numbers the report shows: medians, full speed, ratios, noise."""

import dataclasses
import statistics

from .data import EDU_MACHINES, MACHINES, VARIANTS, Memory, Run, Timing

# A sample counts when the CPU gauge around it took at most this much longer
# than the fastest gauge of its boot: the guest had the host's CPU then.
FULL_SPEED = 1.15
# Rows keep at least this many samples (those of the fastest gauges)
MIN_SAMPLES = 3


def pooled(timings):
    """One Timing from the samples of several boots: the median of them all.

    With an even count the lower middle sample is taken, so that the
    reported map and unmap times are those of one real sample.
    """
    samples = sorted((total, do) for t in timings for total, do in zip(t.all_ns, t.all_do_ns))
    if not samples:
        return timings[0]
    total, do = samples[(len(samples) - 1) // 2]
    spread = 100.0 * (samples[-1][0] - samples[0][0]) / total if total else 0.0
    return Timing(total, do, total - do, len(samples), timings[0].ops, spread,
                  [t for t, _ in samples], [d for _, d in samples],
                  taken=sum(t.taken or len(t.all_ns) for t in timings))


def at_full_speed(timing, fastest):
    """The row with only its samples taken at full speed (see FULL_SPEED).

    Under TCG another busy process on the host slows the whole guest for
    many seconds; samples taken then measure the host, not the kernel.
    """
    samples = list(zip(timing.all_gauge_ns, timing.all_ns, timing.all_do_ns))
    if not samples or not fastest:
        return timing
    kept = [s for s in samples if s[0] <= FULL_SPEED * fastest]
    if len(kept) < MIN_SAMPLES:
        kept = sorted(samples)[:MIN_SAMPLES]
    filtered = dataclasses.replace(timing, all_ns=[s[1] for s in kept],
                                   all_do_ns=[s[2] for s in kept],
                                   all_gauge_ns=[s[0] for s in kept], taken=len(samples))
    return pooled([filtered])


def keep_full_speed_samples(run):
    """Every row of one boot at full speed, against that boot's fastest gauge."""
    gauges = [g for t in run.times.values() for g in t.all_gauge_ns if g > 0]
    if gauges:
        fastest = min(gauges)
        run.times = {key: at_full_speed(t, fastest) for key, t in run.times.items()}
    return run


def averaged(memories):
    """One Memory whose every field is the (whole-byte) mean of the boots'."""
    return Memory(*(sum(getattr(m, f.name) for m in memories) // len(memories)
                    for f in dataclasses.fields(Memory)))


def merge_runs(runs):
    """The Run of one kernel and machine from its boots: samples pooled,
    memory averaged (it hardly moves), errors and info of every boot, each
    different skip once."""
    if len(runs) == 1:
        return runs[0]
    merged = Run(done=all(r.done for r in runs))
    for key in {k for r in runs for k in r.times}:
        merged.times[key] = pooled([r.times[key] for r in runs if key in r.times])
    for key in {k for r in runs for k in r.memory}:
        found = [r.memory[key] for r in runs if key in r.memory]
        merged.memory[key] = averaged(found)
        merged.memory_boots[key] = found
    for run in runs:
        merged.info += run.info
        merged.errors += run.errors
        merged.skipped += [s for s in run.skipped if s not in merged.skipped]
    return merged


def ratio(faster, slower):
    """Throughput of the first over the second (time of the second over the first)."""
    if faster is None or slower is None or not faster.ns:
        return None
    return slower.ns / faster.ns


def noise_estimate(results):
    """How much the same code (type1) differs between the two boots: (median, max)."""
    diffs = []
    for machine in EDU_MACHINES:
        for key in results.keys(machine, ('type1',)):
            a = results.timing('ours', machine, key)
            b = results.timing('stock', machine, key)
            if a and b and a.ns and b.ns:
                diffs.append(abs(a.ns / b.ns - 1))
    if not diffs:
        return None
    return statistics.median(diffs), max(diffs)


def memory_spread(results, machine, key):
    """Bytes by which one kernel's boots differed for one measurement (the largest)."""
    spread = 0
    for variant in VARIANTS:
        kernels = [m.kernel for m in results.run(variant, machine).memory_boots.get(key, [])]
        if kernels:
            spread = max(spread, max(kernels) - min(kernels))
    return spread


def sample_counts(results):
    """(samples kept, samples taken) over every row of every boot."""
    timings = [t for v in VARIANTS for m in MACHINES for t in results.run(v, m).times.values()]
    return (sum(len(t.all_ns) for t in timings),
            sum(t.taken or len(t.all_ns) for t in timings))
