"""User programs for the guest, the initramfs, and the QEMU command line."""

import gzip
import hashlib
import io
import os
import platform
import shutil
import stat

from ..machines import ARCHES, BASE_CMDLINE, MACHINES, PROFILES
from .bundle import with_bundles
from .common import (HARNESS, PipelineError, cache_path, clean_env, log, run_logged,
                     write_atomic)
from .conformance import UpstreamSelftests
from .suites import load_suites
from .tree import SAMPLES_DIR, SELFTEST_DIR, IOMMUFD_DIR


# ---------------------------------------------------------------- user programs

def _digest_tree(digest, root, suffix=''):
    for dirpath, dirnames, names in os.walk(root):
        dirnames.sort()
        for name in sorted(n for n in names if n.endswith(suffix)):
            path = os.path.join(dirpath, name)
            digest.update(os.path.relpath(path, root).encode() + b'\0')
            with open(path, 'rb') as f:
                digest.update(f.read())


class UserPrograms:
    """Static test programs built against one kernel's installed uAPI headers.

    Only the kinds its arch lists (ARCHES[arch]['programs']): an arch whose
    suites only do DMA does not wait for every selftest to cross-compile.
    """

    def __init__(self, kb):
        self.kb = kb
        self.dir = cache_path('progs', kb.name)
        self.root = os.path.join(self.dir, 'root')        # becomes /tests in the guest
        self.logfile = cache_path('logs', f'progs-{kb.name}.log')
        self.cc = ARCHES[kb.arch]['user_cc']
        self.programs = ARCHES[kb.arch]['programs']
        self.notes = []
        self.upstream = UpstreamSelftests(self)

    def _builders(self):
        """The build step of each kind of program the arch carries, in order."""
        steps = {'selftests': self._build_selftests, 'samples': self._build_samples,
                 'conformance': self.upstream.build}
        return [steps[kind] for kind in self.programs]

    def _sources(self):
        """(dir, file suffix) of the tree whose files the programs are built from."""
        sources = []
        if 'selftests' in self.programs:
            sources.append((SELFTEST_DIR, ''))
        if 'samples' in self.programs:
            sources.append((SAMPLES_DIR, ''))
        # The tests include the kernel's private test header (iommufd_test.h).
        return sources + [(IOMMUFD_DIR, '.h')]

    def _inputs_digest(self):
        """Changes whenever any input of the user programs changes.

        kselftest's lib.mk does not track headers, so staleness is decided here.
        """
        tree = self.kb.tree.dir
        digest = hashlib.sha256(f'{self.cc} {self.programs}'.encode())
        for sub, suffix in self._sources():
            path = os.path.join(tree, sub)
            if os.path.isdir(path):
                digest.update(sub.encode())
                _digest_tree(digest, path, suffix)
        for name in ('lib.mk', 'kselftest.h', 'kselftest_harness.h'):
            with open(os.path.join(tree, 'tools/testing/selftests', name), 'rb') as f:
                digest.update(f.read())
        upstream = self.upstream.inputs() if 'conformance' in self.programs else []
        for path in upstream:
            digest.update(path.encode())
            if os.path.isdir(path):
                _digest_tree(digest, path)
            else:
                with open(path, 'rb') as f:
                    digest.update(f.read())
        _digest_tree(digest, self.kb.headers)
        return digest.hexdigest()

    def _make(self, subdir, outdir, *extra):
        os.makedirs(outdir, exist_ok=True)
        run_logged(['make', '-C', os.path.join(self.kb.tree.dir, subdir), f'OUTPUT={outdir}',
                    f'KHDR_INCLUDES=-isystem {self.kb.headers}', f'CC={self.cc}', *extra],
                   self.logfile, env=clean_env(), title=f'{subdir} build ({self.kb.name})')

    def _build_selftests(self):
        if not os.path.exists(os.path.join(self.kb.tree.dir, SELFTEST_DIR, 'Makefile')):
            self.notes.append(f'no {SELFTEST_DIR}/Makefile yet: /tests/iommu is empty')
            return
        log(f'  building {SELFTEST_DIR} for {self.kb.name}')
        self._make(SELFTEST_DIR, f'{self.dir}/build/iommu',
                   f'INSTALL_PATH={self.root}/iommu', 'install')

    def _build_samples(self):
        if not os.path.exists(os.path.join(self.kb.tree.dir, SAMPLES_DIR, 'Makefile')):
            self.notes.append(f'no {SAMPLES_DIR}/Makefile yet: /tests/samples is empty')
            return
        log(f'  building {SAMPLES_DIR} for {self.kb.name}')
        out = f'{self.dir}/build/samples'
        try:
            # -k: a sample that needs uAPI the stock kernel's headers lack
            # (the PASID one) must not keep the others, the bench among
            # them, from being built; the failure is still reported.
            self._make(SAMPLES_DIR, out, '-k')
        finally:
            os.makedirs(f'{self.root}/samples', exist_ok=True)
            for name in sorted(os.listdir(out)):
                path = os.path.join(out, name)
                if os.path.isfile(path) and os.access(path, os.X_OK) and '.' not in name:
                    shutil.copy2(path, f'{self.root}/samples/{name}')

    def build(self):
        stamp = os.path.join(self.dir, '.inputs')
        digest = self._inputs_digest()
        try:
            with open(stamp) as f:
                if f.read() == digest:
                    return
        except FileNotFoundError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.root)
        errors = []
        for build in self._builders():
            try:
                build()
            except PipelineError as e:
                errors.append(e)     # build the other one all the same
        for note in self.notes:
            log(f'  note: {note}')
        if errors:
            raise PipelineError('; '.join(map(str, errors)),
                                '\n'.join(e.detail for e in errors))
        write_atomic(stamp, digest)


# ---------------------------------------------------------------- initramfs

class Cpio:
    """A newc cpio archive written from Python: no root or mknod needed for /dev/console."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1
        self.seen = set()

    def _entry(self, name, mode, data=b'', rdev=(0, 0), nlink=1):
        namez = name.encode() + b'\0'
        fields = [self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(namez), 0]
        self.ino += 1
        self.buf.write(b'070701' + b''.join(b'%08X' % v for v in fields))
        self.buf.write(namez)
        self.buf.write(b'\0' * ((4 - (110 + len(namez)) % 4) % 4))
        self.buf.write(data)
        self.buf.write(b'\0' * ((4 - len(data) % 4) % 4))

    def dir(self, name, mode=0o755):
        parent = os.path.dirname(name)
        if parent and parent not in self.seen:
            self.dir(parent)
        if name not in self.seen:
            self.seen.add(name)
            self._entry(name, stat.S_IFDIR | mode, nlink=2)

    def file(self, name, data, mode=0o644):
        self.dir(os.path.dirname(name))
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name, target):
        self.dir(os.path.dirname(name))
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor, mode=0o600):
        self.dir(os.path.dirname(name))
        self._entry(name, stat.S_IFCHR | mode, rdev=(major, minor))

    def add_tree(self, src, dest):
        for dirpath, dirnames, names in os.walk(src):
            dirnames.sort()
            rel = os.path.relpath(dirpath, src)
            self.dir(os.path.normpath(os.path.join(dest, rel)))
            for name in sorted(names) + [d for d in dirnames
                                         if os.path.islink(os.path.join(dirpath, d))]:
                path = os.path.join(dirpath, name)
                target = os.path.normpath(os.path.join(dest, rel, name))
                if os.path.islink(path):
                    self.symlink(target, os.readlink(path))
                else:
                    with open(path, 'rb') as f:
                        self.file(target, f.read(), stat.S_IMODE(os.stat(path).st_mode))

    def finish(self):
        self._entry('TRAILER!!!', 0, nlink=1)
        return self.buf.getvalue()


def build_initramfs(progs):
    """gzip'd cpio: busybox, /init, suite commands, /tests. Returns its path."""
    kb = progs.kb
    arch = ARCHES[kb.arch]
    archive = Cpio()
    for d in ('bin', 'sbin', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'tmp', 'root',
              'tests', 'harness/suites'):
        archive.dir(d)
    archive.chardev('dev/console', 5, 1)
    archive.chardev('dev/null', 1, 3, 0o666)
    if not os.path.exists(arch['busybox']):
        raise PipelineError(f'no {kb.arch} busybox at {arch["busybox"]}: harness/deps.sh '
                            'installs it (as root)')
    with open(arch['busybox'], 'rb') as f:
        archive.file('bin/busybox', f.read(), 0o755)
    archive.symlink('bin/sh', 'busybox')
    with open(os.path.join(HARNESS, 'init.sh'), 'rb') as f:
        archive.file('init', f.read(), 0o755)
    for suite in load_suites().values():
        archive.file(f'harness/suites/{suite.name}', suite.command.encode() + b'\n')
    archive.add_tree(progs.root, 'tests')
    path = cache_path('initramfs', f'{kb.name}.cpio.gz')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomic(path, gzip.compress(archive.finish(), compresslevel=1))
    return path


# ---------------------------------------------------------------- QEMU

def kvm_usable():
    """True if /dev/kvm answers KVM_GET_API_VERSION."""
    import fcntl
    try:
        fd = os.open('/dev/kvm', os.O_RDWR)
    except OSError:
        return False
    try:
        return fcntl.ioctl(fd, 0xAE00) == 12
    except OSError:
        return False
    finally:
        os.close(fd)


_accel_noted = False


def host_arch():
    """The host's architecture in ARCHES's names (uname says aarch64 for arm64)."""
    return {'aarch64': 'arm64'}.get(platform.machine(), platform.machine())


def accel_args(machine):
    """KVM when asked for and usable, else TCG; KVM only runs guests of the
    host's own architecture, so a cross-arch machine always gets TCG."""
    global _accel_noted
    want_kvm = os.environ.get('IOMMUFD_KVM') == '1'
    if machine['arch'] != host_arch():
        return ['-accel', 'tcg,thread=multi', '-cpu', machine['cpu']]
    if want_kvm and kvm_usable():
        return ['-accel', 'kvm', '-cpu', 'host']
    if want_kvm and not _accel_noted:
        log('note: IOMMUFD_KVM=1 but /dev/kvm is not usable here: using TCG')
    _accel_noted = True
    return ['-accel', 'tcg,thread=multi', '-cpu', machine['cpu']]


def qemu_command(machine_name, kb, initramfs, cmdline_extra, interactive=False):
    if machine_name not in MACHINES:
        raise PipelineError(f'unknown machine {machine_name!r} (one of {", ".join(MACHINES)})')
    machine = MACHINES[machine_name]
    if machine['arch'] != kb.arch:
        raise PipelineError(f'machine {machine_name} is {machine["arch"]}, kernel is {kb.arch}')
    arch = ARCHES[kb.arch]
    cmdline = ([f'console={arch["console"]}'] + BASE_CMDLINE + arch['cmdline']
               + machine['cmdline'] + PROFILES[kb.profile]['cmdline'] + cmdline_extra)
    console = ['-serial', 'mon:stdio'] if interactive else ['-serial', 'stdio', '-monitor', 'none']
    initramfs = with_bundles(initramfs, machine.get('bundles', []))
    return [arch['qemu'], *machine['machine'], *accel_args(machine),
            '-m', machine['memory'], '-smp', str(machine['smp']),
            '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot', *console,
            *machine['devices'],
            '-kernel', kb.image, '-initrd', initramfs, '-append', ' '.join(cmdline)]
