"""Host programs carried into a guest: a second cpio archive after the initramfs.

The guest is a busybox initramfs. A machine that needs one of the host's
dynamically linked programs in the guest (Debian's own QEMU, run there as
the VMM) names a bundle in MACHINES[...]['bundles']; the bundle is the
program, the shared libraries ldd finds for it and its modules, and the
data files it reads, each at its host path. The kernel unpacks
concatenated cpio archives in turn, so the boot's initrd is the profile's
initramfs with the bundles appended; other machines boot the initramfs
alone.
"""

import gzip
import hashlib
import os
import re
import shutil
import stat
import subprocess

from .common import PipelineError, cache_path, write_atomic

BUNDLES = {
    # QEMU 7.2 for x86_64 guests, run under TCG with its qtest protocol:
    # the TCG accelerator is a module, SeaBIOS the firmware of q35.
    'qemu-x86_64': {
        'programs': ['/usr/bin/qemu-system-x86_64'],
        'modules': ['/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so'],
        'data': ['/usr/share/seabios/bios-256k.bin', '/usr/share/qemu/kvmvapic.bin'],
        'package': 'qemu-system-x86',
    },
}

LDD_PATH = re.compile(r'(?:=>\s*)?(/\S+)\s+\(0x[0-9a-f]+\)')


def shared_libraries(elf):
    """Absolute paths of the libraries (and the loader) ldd lists for elf."""
    out = subprocess.run(['ldd', elf], capture_output=True, text=True, check=False).stdout
    if 'not a dynamic executable' in out:
        return []
    missing = [line.split()[0] for line in out.splitlines() if 'not found' in line]
    if missing:
        raise PipelineError(f'{elf} needs {", ".join(missing)}, which the host lacks')
    return [m.group(1) for m in map(LDD_PATH.search, out.splitlines()) if m]


def bundle_files(name):
    """Every host path bundle name carries, sorted."""
    spec = BUNDLES[name]
    wanted = list(spec['programs']) + list(spec['modules']) + list(spec['data'])
    absent = [p for p in wanted if not os.path.exists(p)]
    if absent:
        raise PipelineError(f'bundle {name}: the host lacks {", ".join(absent)} '
                            f'(apt-get install {spec["package"]})')
    files = set(wanted)
    for elf in list(spec['programs']) + list(spec['modules']):
        files.update(shared_libraries(elf))
    return sorted(files)


def _digest(files):
    digest = hashlib.sha256()
    for path in files:
        st = os.stat(path)
        digest.update(f'{path} {st.st_size} {st.st_mtime_ns}\n'.encode())
    return digest.hexdigest()


def build_bundle(name):
    """The gzip'd cpio of bundle name, rebuilt when a file it carries changed."""
    from .guest import Cpio      # guest imports this module
    files = bundle_files(name)
    path = cache_path('initramfs', f'bundle-{name}.cpio.gz')
    stamp = path + '.inputs'
    digest = _digest(files)
    try:
        with open(stamp) as f:
            if f.read() == digest and os.path.exists(path):
                return path
    except FileNotFoundError:
        pass
    archive = Cpio()
    for host_path in files:
        # The contents behind any symlink, at the path the program asks for
        with open(host_path, 'rb') as f:
            archive.file(host_path.lstrip('/'), f.read(),
                         stat.S_IMODE(os.stat(host_path).st_mode))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomic(path, gzip.compress(archive.finish(), compresslevel=1))
    write_atomic(stamp, digest)
    return path


def with_bundles(initramfs, names):
    """initramfs followed by the bundles names: the path of the concatenation."""
    if not names:
        return initramfs
    parts = [initramfs] + [build_bundle(name) for name in names]
    base = os.path.basename(initramfs).replace('.cpio.gz', '')
    path = cache_path('initramfs', f'{base}+{"+".join(names)}.cpio.gz')
    newest = max(os.path.getmtime(p) for p in parts)
    if os.path.exists(path) and os.path.getmtime(path) >= newest:
        return path
    tmp = path + '.tmp'
    with open(tmp, 'wb') as out:
        for part in parts:
            with open(part, 'rb') as f:
                shutil.copyfileobj(f, out)
    os.replace(tmp, path)
    return path

