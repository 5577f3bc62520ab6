"""Paths, logging, subprocess helpers and the cache lock shared by all stages."""

import fcntl
import hashlib
import os
import shlex
import subprocess
import sys
import time

HARNESS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(HARNESS)
CACHE = os.path.abspath(os.environ.get('IOMMUFD_CACHE') or
                        os.path.join(os.path.expanduser('~'), '.cache', 'iommufd-6.12'))
TARBALL = os.environ.get('IOMMUFD_BASE_TARBALL', '/usr/src/linux-source-6.12.tar.xz')
JOBS = (os.cpu_count() or 1) + 1
VERBOSE = os.environ.get('V', '') not in ('', '0')

# Fixed so that two builds of the same sources produce the same objects: ccache
# hits after 'make clean', and no rebuild of init/version.o every time.
KBUILD_FIXED = {
    'KBUILD_BUILD_TIMESTAMP': 'Thu Jan  1 00:00:00 UTC 2026',
    'KBUILD_BUILD_USER': 'iommufd',
    'KBUILD_BUILD_HOST': 'harness',
    'KBUILD_BUILD_VERSION': '1',
}


class PipelineError(Exception):
    """A stage failed; str() is the one-line reason, detail the evidence."""

    def __init__(self, message, detail=''):
        super().__init__(message)
        self.detail = detail


def cache_path(*parts):
    return os.path.join(CACHE, *parts)


def log(msg):
    print(msg, flush=True)


def fmt_duration(seconds):
    seconds = int(round(seconds))
    if seconds < 60:
        return f'{seconds}s'
    return f'{seconds // 60}m{seconds % 60:02d}s'


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def clean_env(extra=None):
    """Environment for child processes, without our own make's state.

    The top-level make exports MAKEFLAGS (with our PROFILE=..., ARGS=... and a
    jobserver whose file descriptors we do not pass on): a kernel make must not
    inherit them.
    """
    env = dict(os.environ)
    for var in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'GNUMAKEFLAGS',
                'ARGS', 'SUITE', 'PROFILE', 'MACHINE', 'VARIANT', 'V', 'O', 'W', 'C'):
        env.pop(var, None)
    env['LC_ALL'] = 'C'
    if extra:
        env.update(extra)
    return env


def kbuild_env():
    ccache_dir = cache_path('ccache')
    os.makedirs(ccache_dir, exist_ok=True)
    return clean_env(dict(KBUILD_FIXED,
                          CCACHE_DIR=ccache_dir,
                          CCACHE_MAXSIZE='5G',
                          # Paths under the cache become relative, so a moved
                          # cache or another tree of the same layout still hits.
                          CCACHE_BASEDIR=CACHE,
                          CCACHE_NOHASHDIR='1'))


def kmake_cmd(tree, out, *args, cc='gcc'):
    """A kernel make command line for tree with objects in out.

    CC on the command line overrides the one CROSS_COMPILE would make, so a
    cross build names its compiler here (@cc); host tools always use gcc.
    """
    return ['make', '-C', tree, f'O={out}', f'-j{JOBS}',
            f'CC=ccache {cc}', 'HOSTCC=ccache gcc', *args]


def run_logged(cmd, logfile, cwd=None, env=None, title=None, tail_on_error=40,
               stream=None):
    """Run cmd with stdout+stderr appended to logfile; show progress.

    Returns the text it printed. Raises PipelineError (with the last lines of
    output and every 'error' line as detail) if it fails.
    """
    os.makedirs(os.path.dirname(logfile), exist_ok=True)
    stream = VERBOSE if stream is None else stream
    title = title or shlex.join(cmd[:3])
    start = time.monotonic()
    last_note = start
    lines = []
    with open(logfile, 'a', encoding='utf-8', errors='replace') as logf:
        logf.write(f'\n$ {shlex.join(cmd)}\n')
        logf.flush()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                text=True, errors='replace', bufsize=1)
        for line in proc.stdout:
            logf.write(line)
            lines.append(line.rstrip('\n'))
            if stream:
                print(line, end='', flush=True)
            now = time.monotonic()
            if not stream and now - last_note >= 30:
                last_note = now
                log(f'    ... {title}: {fmt_duration(now - start)}, at: {lines[-1].strip()[:90]}')
        rc = proc.wait()
    if rc != 0:
        errors = [l for l in lines if 'error' in l.lower() or 'Error' in l][:40]
        detail = '\n'.join(errors + ['--- last lines ---'] + lines[-tail_on_error:])
        raise PipelineError(f'{title} failed (exit {rc}); log: {logfile}', detail)
    return '\n'.join(lines)


def run_quiet(cmd, cwd=None, env=None, check=True):
    """Run a short helper command, capturing its output."""
    proc = subprocess.run(cmd, cwd=cwd, env=env or clean_env(), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors='replace')
    if check and proc.returncode != 0:
        raise PipelineError(f'{shlex.join(cmd)} failed (exit {proc.returncode})', proc.stdout)
    return proc


def config_lines(path):
    """(line number, text) of each line of a config file that is not blank or a comment."""
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if line and not line.startswith('#'):
                yield lineno, line


def write_atomic(path, data):
    """Write path by rename so no reader (and no hardlink) sees a partial file."""
    tmp = f'{path}.tmp{os.getpid()}'
    mode = 'wb' if isinstance(data, bytes) else 'w'
    with open(tmp, mode) as f:
        f.write(data)
    os.replace(tmp, path)


class CacheLock:
    """One pipeline at a time per cache: two would rebuild the same out dir."""

    def __init__(self):
        os.makedirs(CACHE, exist_ok=True)
        self.fd = None

    def __enter__(self):
        self.fd = os.open(cache_path('lock'), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f'waiting for another pipeline run holding {cache_path("lock")} ...')
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.release()

    def release(self):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def die(msg, detail=''):
    if detail:
        print(detail, file=sys.stderr)
    print(f'error: {msg}', file=sys.stderr, flush=True)
    sys.exit(2)
