"""Kernel configuration, build, headers_install, and the no-upstream-iommufd check."""

import glob
import hashlib
import os
import re
import time

from ..machines import ARCHES, PROFILES
from .common import (JOBS, REPO, PipelineError, cache_path, fmt_duration, kbuild_env,
                     kmake_cmd, log, run_logged, sha256_file, write_atomic)
from .tree import IOMMUFD_DIR, repo_patches

CONFIG_LINE = re.compile(r'^(CONFIG_[A-Za-z0-9_]+)=(.*)$')
UNSET_LINE = re.compile(r'^# (CONFIG_[A-Za-z0-9_]+) is not set$')
PATCH_SYMBOL = re.compile(r'^\+\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$')


def patch_symbols():
    """CONFIG_ symbols that our patches/ add to Kconfig files."""
    symbols = set()
    for patch in repo_patches():
        with open(patch, errors='replace') as f:
            symbols |= {f'CONFIG_{m.group(1)}' for m in map(PATCH_SYMBOL.match, f) if m}
    return symbols


def parse_config(path):
    """{CONFIG_X: value}; 'is not set' and '=n' both read as 'n'."""
    values = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            m = CONFIG_LINE.match(line)
            if m:
                values[m.group(1)] = m.group(2)
                continue
            m = UNSET_LINE.match(line)
            if m:
                values[m.group(1)] = 'n'
    return values


class KernelBuild:
    """One kernel out dir: CACHE/out/<variant>-<profile>[-<arch>]."""

    def __init__(self, tree, profile, arch='x86_64'):
        if profile not in PROFILES:
            raise PipelineError(f'unknown profile {profile!r} (one of {", ".join(PROFILES)})')
        self.tree = tree
        self.profile = profile
        self.arch = arch
        self.arch_spec = ARCHES[arch]
        name = f'{tree.variant}-{profile}' + ('' if arch == 'x86_64' else f'-{arch}')
        self.name = name
        self.out = cache_path('out', name)
        self.logfile = cache_path('logs', f'kernel-{name}.log')
        self.fragments = [os.path.join(REPO, 'configs', f.format(arch=arch))
                          for f in PROFILES[profile]['fragments']]
        self.image = os.path.join(self.out, self.arch_spec['image'])
        self.headers = os.path.join(self.out, 'usr', 'include')

    def make(self, *args, title=None, logfile=None, stream=None):
        cmd = kmake_cmd(self.tree.dir, self.out, *self.arch_spec['make_args'], *args,
                        cc=self.arch_spec['kernel_cc'])
        return run_logged(cmd, logfile or self.logfile, env=kbuild_env(),
                          title=title or f'make {" ".join(args)} ({self.name})', stream=stream)

    # ------------------------------------------------------------ configuration

    def _config_stamp(self):
        """Changes when anything that decides the .config changes."""
        digest = hashlib.sha256()
        digest.update(f'{self.tree.base.key} {self.arch} {self.profile}\n'.encode())
        for frag in self.fragments:
            digest.update(frag.encode() + b'\0')
            with open(frag, 'rb') as f:
                digest.update(f.read())
        # Our Kconfig files (and patched ones): a new symbol must be configured.
        for rel in sorted(set(self.tree.ours) | set(self.tree.patched)):
            if os.path.basename(rel).startswith('Kconfig'):
                path = os.path.join(self.tree.dir, rel)
                digest.update(rel.encode() + b'\0')
                if os.path.exists(path):
                    digest.update(sha256_file(path).encode())
        return digest.hexdigest()

    def configure(self):
        missing = [f for f in self.fragments if not os.path.exists(f)]
        if missing:
            raise PipelineError(f'config fragment(s) missing: {", ".join(missing)}')
        stamp_path = os.path.join(self.out, '.iommufd-config-stamp')
        stamp = self._config_stamp()
        config = os.path.join(self.out, '.config')
        try:
            with open(stamp_path) as f:
                if f.read() == stamp and os.path.exists(config):
                    return False
        except FileNotFoundError:
            pass
        os.makedirs(self.out, exist_ok=True)
        # A failed attempt must not leave a stamp that vouches for its .config.
        if os.path.exists(stamp_path):
            os.unlink(stamp_path)
        log(f'  configuring {self.name}: tinyconfig + {", ".join(map(os.path.basename, self.fragments))}')
        self.make('tinyconfig')
        # merge_config.sh leaves temp files in its cwd: run it in the out dir.
        run_logged(['sh', os.path.join(self.tree.dir, 'scripts/kconfig/merge_config.sh'),
                    '-m', '-O', self.out, config, *self.fragments],
                   self.logfile, cwd=self.out, env=kbuild_env(), title='merge_config.sh')
        self.make('olddefconfig')
        self.check_config()
        write_atomic(stamp_path, stamp)
        return True

    def check_config(self):
        """Every option a fragment sets must have that value in the final .config."""
        wanted = {}
        for frag in self.fragments:
            wanted.update(parse_config(frag))
        final = parse_config(os.path.join(self.out, '.config'))
        # A tree without our patches (stock) lacks the symbols they add:
        # the fragments set them for our tree only.
        if not self.tree.spec['patches']:
            for sym in patch_symbols():
                wanted.pop(sym, None)
        wrong = []
        for sym, value in wanted.items():
            got = final.get(sym, 'n')
            if got != value:
                wrong.append(f'{sym}: fragment wants {value}, .config has '
                             f'{"not set" if got == "n" else got}')
        if wrong:
            raise PipelineError(
                f'{len(wrong)} option(s) of {", ".join(map(os.path.basename, self.fragments))} '
                f'did not survive olddefconfig (missing dependency or unknown symbol): '
                + ', '.join(w.split(':')[0] for w in wrong), '\n'.join(wrong))

    # ------------------------------------------------------------ build

    def build(self):
        """Config (if needed), kernel image, uAPI headers; returns seconds spent."""
        start = time.monotonic()
        self.configure()
        log(f'  building kernel {self.name} (-j{JOBS}, log {self.logfile}) ...')
        self.make(title=f'kernel build {self.name}')
        self.make('headers_install', title=f'headers_install {self.name}')
        if not os.path.exists(self.image):
            raise PipelineError(f'kernel image {self.image} missing after the build')
        if self.tree.variant == 'ours':
            verify_no_upstream(self)
        took = time.monotonic() - start
        log(f'  kernel {self.name} ready in {fmt_duration(took)}: {self.image}')
        return took


# ---------------------------------------------------------------- requirement 3

def verify_no_upstream(kb):
    """Fail unless the iommufd that was compiled is ours, and ours only."""
    tree, base = kb.tree, kb.tree.base
    problems = []

    # (a) the tree's drivers/iommu/iommufd/ is exactly the repo's.
    ours = {p for p in tree.ours if p.startswith(IOMMUFD_DIR + '/')}
    in_tree = set()
    for dirpath, _, names in os.walk(os.path.join(tree.dir, IOMMUFD_DIR)):
        for name in names:
            in_tree.add(os.path.relpath(os.path.join(dirpath, name), tree.dir))
    for rel in sorted(in_tree - ours):
        problems.append(f'{rel}: in the build tree but not in the repo')
    for rel in sorted(ours - in_tree):
        problems.append(f'{rel}: in the repo but not in the build tree')
    for rel in sorted(ours & in_tree):
        if sha256_file(os.path.join(tree.dir, rel)) != sha256_file(os.path.join(REPO, rel)):
            problems.append(f'{rel}: build tree differs from the repo '
                            '(patches/ must not touch drivers/iommu/iommufd/)')

    # (b) every object under <out>/drivers/iommu/iommufd/ was compiled from ours.
    objdir = os.path.join(kb.out, IOMMUFD_DIR)
    compiled = 0
    for cmd_file in sorted(glob.glob(os.path.join(objdir, '**', '.*.o.cmd'), recursive=True)):
        with open(cmd_file, errors='replace') as f:
            sources = re.findall(r'^source_\S+ := (\S+)', f.read(), re.M)
        for src in sources:
            src_abs = os.path.normpath(os.path.join(kb.out, src))
            rel = os.path.relpath(src_abs, tree.dir)
            compiled += 1
            if rel not in ours:
                problems.append(f'{os.path.relpath(cmd_file, kb.out)}: compiled from {src}, '
                                'which is not one of our drivers/iommu/iommufd/ files')
    for obj in glob.glob(os.path.join(objdir, '**', '*.o'), recursive=True):
        cmd_file = os.path.join(os.path.dirname(obj), f'.{os.path.basename(obj)}.cmd')
        if not os.path.exists(cmd_file):
            problems.append(f'{os.path.relpath(obj, kb.out)}: object without a .cmd file')
    if compiled == 0:
        problems.append(f'nothing was compiled under {objdir} (is CONFIG_IOMMUFD=y?)')

    # (c) none of our files is a byte copy of an upstream iommufd file.
    upstream = base.upstream_iommufd_sha256()
    for rel in tree.our_paths():
        digest = sha256_file(os.path.join(REPO, rel))
        if digest in upstream:
            problems.append(f'{rel}: byte-identical to upstream {upstream[digest]}')

    if problems:
        raise PipelineError(f'upstream iommufd check failed ({len(problems)} problem(s)): '
                            + problems[0], '\n'.join(problems))
    log(f'  verified: {compiled} object(s) under {IOMMUFD_DIR}/ built from our files only')
