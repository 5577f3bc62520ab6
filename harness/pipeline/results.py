"""Result rows, TAP counting, kernel splat detection and the summary table."""

import re
from dataclasses import dataclass, field

from .common import fmt_duration


@dataclass
class Row:
    """One line of the summary: a suite (or lint/build/boot/kmemleak) in a profile."""
    suite: str
    profile: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    notes: list = field(default_factory=list)
    # Tests on a pending list (harness/conformance.conf): failed as expected,
    # or passed although listed.
    pending_failed: list = field(default_factory=list)
    pending_passed: list = field(default_factory=list)

    def fail(self, note, count=1):
        self.failed += count
        self.notes.append(note)


# ---------------------------------------------------------------- TAP

TAP_RESULT = re.compile(r'^(not ok|ok)\s+(\d+)\b\s*(?:-\s*)?(.*?)\s*(?:#\s*(SKIP|TODO|XFAIL|XPASS)\b(.*))?$',
                        re.I)
TAP_PLAN = re.compile(r'^1\.\.(\d+)')
TAP_TOTALS = re.compile(r'^# Totals: pass:(\d+) fail:(\d+) xfail:(\d+) xpass:(\d+) '
                        r'skip:(\d+) error:(\d+)')


def count_tap(lines, row, pending=None):
    """Add the TAP results in lines to row; return the names of failed tests.

    pending: {test name: reason} of tests not expected to pass yet; their
    failures count as skipped (and are listed in row.pending_failed).
    """
    pending = pending or {}
    passed = failed = skipped = expected_failures = 0
    planned = []
    totals = []
    failed_names = []
    for line in lines:
        m = TAP_RESULT.match(line)
        if m:
            ok, _, name, directive, _ = m.groups()
            directive = (directive or '').upper()
            if directive in ('SKIP', 'TODO'):
                skipped += 1
            elif ok.lower() == 'ok':
                passed += 1
                if name in pending:
                    row.pending_passed.append(name)
            elif name in pending:
                expected_failures += 1
                row.pending_failed.append(name)
            else:
                failed += 1
                failed_names.append(line.strip())
            continue
        m = TAP_PLAN.match(line)
        if m:
            planned.append(int(m.group(1)))
            continue
        m = TAP_TOTALS.match(line)
        if m:
            totals.append([int(x) for x in m.groups()])
    if totals and len(totals) == len(planned):
        # The harness's own count wins over lines that a kernel message garbled.
        t_pass, t_fail, t_xfail, t_xpass, t_skip, t_error = map(sum, zip(*totals))
        passed, failed, skipped = t_pass + t_xfail, t_fail + t_xpass + t_error, t_skip
        # The totals do not know the pending list.
        failed -= expected_failures
    skipped += expected_failures
    row.passed += passed
    row.skipped += skipped
    row.failed += failed
    if failed:
        row.notes.append(f'{failed} test(s) failed')
    if not planned:
        row.fail('no TAP plan in the output')
    elif passed + failed + skipped < sum(planned):
        row.fail(f'truncated: {passed + failed + skipped} of {sum(planned)} tests reported')
    return failed_names


# ---------------------------------------------------------------- kernel splats

KERNEL_LINE = re.compile(r'\[\s*\d+\.\d{6}\]')
SPLAT = re.compile('|'.join([
    r'\bBUG:', r'kernel BUG at', r'\bOops\b', r'WARNING:', r'KASAN:', r'UBSAN:',
    r'possible circular locking', r'inconsistent lock state', r'suspicious RCU usage',
    r'possible recursive locking', r'INFO: task .* blocked for more than',
    r'Kernel panic', r'general protection fault', r'refcount_t:',
    r'list_add corruption', r'list_del corruption', r'ODEBUG:',
    r'Unable to handle kernel', r'rcu: INFO: .* detected stalls',
    r'kmemleak: .*(disabled|[Pp]ool empty)', r'new suspected memory leaks',
]))
LEAK = re.compile(r'unreferenced object 0x')
TRACE_END = re.compile(r'---\[ end (trace|Kernel panic)|^={20,}$')
MAX_TRACE_LINES = 120


@dataclass
class Splat:
    owner: str
    lines: list
    kind: str = 'kernel'
    closed: bool = False

    @property
    def title(self):
        text = self.lines[0]
        m = KERNEL_LINE.search(text)
        return text[m.end():].strip() if m else text.strip()

    @property
    def signature(self):
        """What repeats of the same report share: no CPU, PID, address or time."""
        parts = [self.title]
        if self.kind == 'kmemleak':      # leaks differ by where they were allocated
            frames = [l for l in self.lines if re.search(r'\w\+0x[0-9a-f]+/0x', l)]
            parts += frames[:6]
        text = ' '.join(parts)
        text = re.sub(r'\[\s*\d+\.\d+\]|CPU: \d+|PID: \d+|pid \d+|0x[0-9a-fA-F]+|'
                      r'\b[0-9a-f]{8,}\b', '', text)
        return ' '.join(text.split())


def group_splats(splats):
    """[(first splat, count)] per (owner, signature), in order of appearance."""
    groups = {}
    for splat in splats:
        key = (splat.owner, splat.signature)
        if key in groups:
            groups[key][1] += 1
        else:
            groups[key] = [splat, 1]
    return [tuple(g) for g in groups.values()]


class SplatScanner:
    """Feeds on console lines; collects each splat with the lines of its trace."""

    def __init__(self):
        self.splats = []
        self.active = None

    def close(self):
        if self.active:
            self.active.closed = True
        self.active = None

    def feed(self, line, owner, in_kmemleak=False):
        """Returns a new Splat when line starts one, else None."""
        kernel = KERNEL_LINE.search(line)
        kernel_text = line[kernel.start():] if kernel else ''
        body = line[kernel.end():].strip() if kernel else line.strip()
        if in_kmemleak and LEAK.search(line):
            return self._start(owner, line, 'kmemleak')
        if kernel and SPLAT.search(kernel_text) and not self._continues(kernel_text):
            return self._start(owner, line, 'kernel')
        if self.active:
            self.active.lines.append(line)
            limit = 40 if self.active.kind == 'kmemleak' else MAX_TRACE_LINES
            if TRACE_END.search(body) or len(self.active.lines) >= limit:
                self.close()
        return None

    def _continues(self, kernel_text):
        """A matching line inside a report that is still open belongs to it."""
        return self.active is not None and self.active.kind == 'kernel'

    def _start(self, owner, line, kind):
        self.close()
        self.active = Splat(owner, [line], kind)
        self.splats.append(self.active)
        return self.active


# ---------------------------------------------------------------- summary

def text_table(head, body, left=1):
    """Columns aligned; the first 'left' columns to the left, the rest to the right."""
    rows = [tuple(head)] + [tuple(r) for r in body]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    out = []
    for n, cells in enumerate(rows):
        out.append('  '.join(c.ljust(w) if i < left else c.rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip())
        if n == 0:
            out.append('  '.join('-' * w for w in widths))
    return '\n'.join(out)


def summary_table(rows):
    """The table of make check (and the other test commands) and its failure notes."""
    head = ('suite', 'profile', 'passed', 'failed', 'skipped', 'time')
    body = [(r.suite, r.profile, str(r.passed), str(r.failed), str(r.skipped),
             fmt_duration(r.seconds)) for r in rows]
    return text_table(head, body, left=2), [f'  {note}' for note in failure_notes(rows)]


def failure_notes(rows):
    """'suite (profile): note' for every note of a failed row."""
    return [f'{r.suite} ({r.profile}): {n}' for r in rows for n in r.notes if r.failed]


def totals(rows):
    return sum(r.passed for r in rows), sum(r.failed for r in rows)
