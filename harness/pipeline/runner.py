"""Boot one (machine, kernel) with a list of suites and turn the console into results."""

import base64
import os
import re
import secrets
import shlex
import select
import subprocess
import time

from ..machines import PROFILES
from .common import cache_path, fmt_duration, log
from .conformance import load_pending
from .guest import qemu_command
from .results import KERNEL_LINE, TAP_RESULT, Row, SplatScanner, count_tap, group_splats

KMEMLEAK_SECONDS = 300      # two full scans of 2 GiB under TCG, with KASAN
TAIL_LINES = 60
MAX_TRACES = 10             # distinct splat traces printed per boot


class Boot:
    """One QEMU run. echo: None (progress only), 'suite' (suite output too), 'all'."""

    def __init__(self, kb, initramfs, machine, suites, kmemleak=False, args='', echo=None):
        self.kb = kb
        self.initramfs = initramfs
        self.machine = machine
        self.suites = suites
        self.kmemleak = kmemleak
        self.args = args
        self.echo = echo
        self.nonce = secrets.token_hex(4)
        self.marker = re.compile(r'@@harness:' + self.nonce + r':([^@]*)@@')
        self.logfile = cache_path('logs', f'boot-{kb.name}-{machine}.log')
        self.tail = []
        self.current = None          # suite running now (None: boot or between suites)
        self.last_suite = None
        self.init_seen = self.done_seen = False
        self.cut_fragment = ''       # start of a guest line a kernel message cut
        self.lines = {}              # suite -> its output lines (kernel lines excluded)
        self.rc = {}
        self.started = {}
        self.seconds = {}
        self.scanner = SplatScanner()
        self.failed_tests = {}
        self.splat_noted = {}

    # ------------------------------------------------------------ running

    def cmdline(self):
        words = [f'harness.nonce={self.nonce}']
        if self.suites:
            words.append('harness.suites=' + ','.join(
                f'{s.name}:{s.timeout_for(self.kb.profile)}' for s in self.suites))
        if self.kmemleak:
            words.append('harness.kmemleak=1')
        if self.args:
            words.append('harness.args=' + base64.b64encode(self.args.encode()).decode())
        return words

    def time_limit(self):
        limit = sum(s.timeout_for(self.kb.profile) + 15 for s in self.suites)
        limit += PROFILES[self.kb.profile]['boot_margin']
        return limit + (KMEMLEAK_SECONDS if self.kmemleak else 0)

    def run(self):
        cmd = qemu_command(self.machine, self.kb, self.initramfs, self.cmdline())
        limit = self.time_limit()
        names = ', '.join(s.name for s in self.suites) or '(none)'
        log(f'  booting {self.machine} with kernel {self.kb.name}: suites {names} '
            f'(limit {fmt_duration(limit)}, console log {self.logfile})')
        os.makedirs(os.path.dirname(self.logfile), exist_ok=True)
        self.start = time.monotonic()
        deadline = self.start + limit
        self.timed_out = False
        with open(self.logfile, 'w', encoding='utf-8', errors='replace') as logf:
            logf.write('$ ' + shlex.join(cmd) + '\n')
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            pending = b''
            fd = proc.stdout.fileno()
            self.last_note = self.start
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.timed_out = True
                    break
                ready, _, _ = select.select([fd], [], [], min(remaining, 5.0))
                self._progress()
                if not ready:
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                pending += chunk
                *complete, pending = pending.split(b'\n')
                for raw in complete:
                    self._line(raw, logf)
            if pending:
                self._line(pending, logf)
            if self.timed_out:
                proc.kill()
            proc.wait()
            proc.stdout.close()
        self.elapsed = time.monotonic() - self.start
        self.qemu_rc = proc.returncode
        self.scanner.close()

    def _note_splat(self, owner, splat):
        """Say so as it happens; for a burst of the same report, once per minute."""
        now = time.monotonic()
        key = (owner, splat.signature)
        if now - self.splat_noted.get(key, -1e9) >= 60:
            self.splat_noted[key] = now
            log(f'  [{owner}] kernel splat: {splat.title[:120]}')

    def _progress(self):
        """A line a minute while nothing else is printed, so a long suite shows life."""
        now = time.monotonic()
        if self.echo is not None or now - self.last_note < 60:
            return
        self.last_note = now
        where = self.current or ('booting' if not self.init_seen else 'between suites')
        if self.current in self.lines:
            results = sum(1 for l in self.lines[self.current] if re.match(r'(not )?ok ', l))
            where += f': {results} results so far'
        log(f'    ... {fmt_duration(now - self.start)} into the boot, {where}')

    def _line(self, raw, logf):
        line = raw.decode('utf-8', 'replace').replace('\r', '')
        logf.write(line + '\n')
        logf.flush()
        self.tail = (self.tail + [line])[-TAIL_LINES:]
        if self.echo == 'all':
            print(line, flush=True)
        # The guest and the kernel share the console: a kernel message can
        # land in the middle of a guest line (even a marker).  Keep the
        # guest's first half and put it back in front of its second half,
        # the next line that is not the kernel's.
        kernel = KERNEL_LINE.search(line)
        if kernel and kernel.start() > 0:
            self.cut_fragment += line[:kernel.start()]
            line = line[kernel.start():]
        elif not kernel and self.cut_fragment:
            line, self.cut_fragment = self.cut_fragment + line, ''
        self._guest_or_kernel_line(line)

    def _guest_or_kernel_line(self, line):
        m = self.marker.search(line)
        if m:
            self.scanner.close()
            self._marker(m.group(1))
            return
        owner = self.current or self.last_suite or 'boot'
        splat = self.scanner.feed(line, owner, in_kmemleak=self.current == 'kmemleak')
        if splat and self.echo != 'all':
            self._note_splat(owner, splat)
        kernel = KERNEL_LINE.search(line)
        user_part = line[:kernel.start()] if kernel else line
        if self.current and (user_part.strip() or not kernel):
            self.lines[self.current].append(user_part)
            if self.echo == 'suite':
                print(user_part, flush=True)
            elif self.echo is None and user_part.startswith('not ok'):
                log(f'  [{self.current}] {user_part}{self._pending_tag(user_part)}')

    def _pending_tag(self, result_line):
        """' (not yet expected)' for a failure on the conformance pending list."""
        suite = next((s for s in self.suites if s.name == self.current), None)
        if suite is None or suite.format != 'upstream' or self.kb.tree.variant != 'ours':
            return ''
        m = TAP_RESULT.match(result_line)
        return ' (not yet expected)' if m and m.group(3) in load_pending() else ''

    def _marker(self, text):
        now = time.monotonic()
        if text == 'init':
            self.init_seen = True
            log(f'  guest up after {fmt_duration(now - self.start)}')
        elif text.startswith('begin:'):
            name = text[len('begin:'):]
            self.current = self.last_suite = name
            self.lines[name] = []
            self.started[name] = now
            if self.echo is None:
                log(f'  [{name}] running ...')
        elif text.startswith('end:'):
            m = re.match(r'end:(.*):rc=(-?\d+)$', text)
            if m:
                name, rc = m.group(1), int(m.group(2))
                self.rc[name] = rc
                self.seconds[name] = now - self.started.get(name, now)
                log(f'  [{name}] exit code {rc} after {fmt_duration(self.seconds[name])}')
            self.current = None
        elif text == 'done':
            self.done_seen = True

    # ------------------------------------------------------------ results

    def rows(self):
        """Result rows for this boot (one per suite, plus boot/kmemleak when relevant)."""
        profile = self.kb.profile
        rows = {}
        for suite in self.suites:
            row = rows[suite.name] = Row(suite.name, profile,
                                         seconds=self.seconds.get(suite.name, 0.0))
            self._suite_row(suite, row)
        if self.kmemleak:
            row = rows['kmemleak'] = Row('kmemleak', profile,
                                         seconds=self.seconds.get('kmemleak', 0.0))
            if 'kmemleak' in self.rc:
                row.passed += 1
            else:
                row.fail('kmemleak scan did not run to its end')
        boot = Row('boot', profile, seconds=self.elapsed - sum(self.seconds.values()))
        if not self.init_seen:
            boot.fail('the guest never reached /init')
        elif self.timed_out:
            boot.fail(f'time limit {fmt_duration(self.time_limit())} hit '
                      f'(running: {self.current or "between suites"})')
        elif not self.done_seen:
            boot.fail(f'QEMU ended (exit {self.qemu_rc}) before the guest finished '
                      f'(running: {self.current or "between suites"})')
        # One failed entry per distinct report: a WARN_ON hit a thousand times
        # is one bug, not a thousand.
        for splat, count in group_splats(self.scanner.splats):
            owner = splat.owner if splat.owner in rows else 'boot'
            target = boot if owner == 'boot' else rows[owner]
            what = 'memory leak' if splat.kind == 'kmemleak' else 'kernel splat'
            times = f' (x{count})' if count > 1 else ''
            target.fail(f'{what}{times}: {splat.title[:100]}')
            if target is rows.get('kmemleak') and target.passed:
                target.passed = 0
        result = list(rows.values())
        if boot.failed:
            result.insert(0, boot)
        return result

    def _suite_row(self, suite, row):
        if suite.name not in self.lines:
            row.fail('not run (the guest stopped before it)')
            return
        rc = self.rc.get(suite.name)
        if suite.format in ('tap', 'upstream'):
            # Only our kernel has a list of what it does not pass yet.
            pending = (load_pending() if suite.format == 'upstream'
                       and self.kb.tree.variant == 'ours' else None)
            self.failed_tests[suite.name] = count_tap(self.lines[suite.name], row, pending)
        elif rc == 0:
            row.passed += 1
        # kselftest exits 1 when any test failed, expected failures included.
        expected_rc = 1 if row.pending_failed and not row.failed else 0
        if rc is None:
            row.fail('truncated: no end marker (hang, oops or time limit)')
        elif rc != expected_rc:
            timeout = suite.timeout_for(self.kb.profile)
            why = f'killed by its {timeout}s time limit' if rc in (124, 137, 143) else ''
            if suite.format == 'exit' or not row.failed:
                row.fail(f'exit code {rc}' + (f' ({why})' if why else ''))
            else:
                row.notes.append(f'exit code {rc}' + (f' ({why})' if why else ''))

    def report_problems(self):
        """Print what a developer needs to see: failed tests, traces, the console tail."""
        for name, failed in self.failed_tests.items():
            for line in failed:
                log(f'  [{name}] {line}')
        groups = group_splats(self.scanner.splats)
        for splat, count in groups[:MAX_TRACES]:
            again = f', seen {count} times' if count > 1 else ''
            log(f'  ---- {splat.kind} splat during {splat.owner}{again} ----')
            for line in splat.lines:
                log(f'  | {line}')
        if len(groups) > MAX_TRACES:
            log(f'  ---- {len(groups) - MAX_TRACES} more distinct splats: see {self.logfile}')
        broken = (not self.init_seen or self.timed_out or not self.done_seen
                  or any(s.name not in self.rc for s in self.suites))
        if broken:
            log(f'  ---- last {TAIL_LINES} console lines ({self.logfile}) ----')
            for line in self.tail:
                log(f'  | {line}')
