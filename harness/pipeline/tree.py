"""The pristine base tree and the assembled build trees (hardlink farms).

Invariant: files of the pristine base are never written. The build tree starts
as 'cp -al' of it, so a tree file may share its inode with the pristine copy;
every change to the tree therefore unlinks or renames over a path, never
opens a file for writing in place.
"""

import filecmp
import glob
import json
import os
import re
import shutil
import subprocess

from .common import (REPO, TARBALL, PipelineError, cache_path, clean_env, log,
                     run_quiet, sha256_file, write_atomic)

# Upstream directories that ours replace wholesale (upstream's files removed).
IOMMUFD_DIR = 'drivers/iommu/iommufd'
SELFTEST_DIR = 'tools/testing/selftests/iommu'
SAMPLES_DIR = 'samples/iommufd'

# What each variant takes from the repo. 'stock' is the pristine kernel with
# upstream's iommufd, plus our user-space programs so both kernels run the
# same tests (the benchmark compares them).
VARIANTS = {
    'ours': {
        'wholesale': [IOMMUFD_DIR, SELFTEST_DIR],
        'overlay': [IOMMUFD_DIR, SELFTEST_DIR, SAMPLES_DIR, 'include', 'Documentation'],
        'patches': True,
    },
    'stock': {
        'wholesale': [SELFTEST_DIR],
        'overlay': [SELFTEST_DIR, SAMPLES_DIR],
        'patches': False,
    },
}

# Pristine files whose sha256 is recorded at extraction and re-checked after
# every assembly (besides the size+mtime check of every file).
SENTINEL_FILES = ['Makefile', 'include/uapi/linux/iommufd.h', 'include/linux/iommufd.h',
                  'Documentation/userspace-api/iommufd.rst', 'drivers/iommu/Kconfig',
                  'drivers/iommu/Makefile']
SENTINEL_DIRS = [IOMMUFD_DIR, SELFTEST_DIR]

# Not source: build leftovers or editor files someone left in the repo.
JUNK_RE = re.compile(r'(\.o|\.a|\.ko|\.cmd|\.d|~|\.swp|\.orig|\.rej|\.pyc)$')


# ---------------------------------------------------------------- pristine base

def base_key():
    st = os.stat(TARBALL)
    return f'{st.st_size}-{int(st.st_mtime)}'


def walk_files(root, sub=''):
    """Relative paths of all files (and symlinks) below root/sub."""
    top = os.path.join(root, sub)
    found = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            found.append(os.path.normpath(os.path.join(rel, name)))
        for name in dirnames:
            if os.path.islink(os.path.join(dirpath, name)):
                found.append(os.path.normpath(os.path.join(rel, name)))
    return found


class Base:
    """The pristine extracted tarball: CACHE/base/<key>/src, never modified."""

    def __init__(self):
        if not os.path.exists(TARBALL):
            raise PipelineError(f'base tarball {TARBALL} missing (package linux-source-6.12)')
        self.key = base_key()
        self.dir = cache_path('base', self.key)
        self.src = os.path.join(self.dir, 'src')
        self.manifest_path = os.path.join(self.dir, 'manifest.json')
        if not os.path.exists(self.manifest_path):
            self._extract()
        with open(self.manifest_path) as f:
            self.manifest = json.load(f)
        self.version = self.manifest['version']
        self.id = f"{self.key}/{self.manifest.get('id')}"

    def _extract(self):
        tmp = self.dir + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        log(f'extracting {TARBALL} into {self.dir} (once) ...')
        run_quiet(['tar', '-xJf', TARBALL, '-C', tmp])
        tops = os.listdir(tmp)
        if len(tops) != 1:
            raise PipelineError(f'unexpected tarball layout: {tops}')
        os.rename(os.path.join(tmp, tops[0]), os.path.join(tmp, 'src'))
        src = os.path.join(tmp, 'src')
        # 'id' tells trees made from an earlier extraction of the same tarball
        # apart: they must be rebuilt too.
        manifest = {'version': kernel_version(src), 'id': os.urandom(8).hex(),
                    'files': {}, 'sha256': {}}
        for rel in walk_files(src):
            st = os.lstat(os.path.join(src, rel))
            manifest['files'][rel] = [st.st_size, st.st_mtime_ns]
        for rel in sentinel_paths(src):
            manifest['sha256'][rel] = sha256_file(os.path.join(src, rel))
        write_atomic(os.path.join(tmp, 'manifest.json'), json.dumps(manifest))
        os.rename(tmp, self.dir)
        # Older bases are garbage now (trees are rebuilt when the key changes).
        for old in glob.glob(cache_path('base', '*')):
            if old != self.dir and not old.endswith('.tmp'):
                shutil.rmtree(old, ignore_errors=True)

    def path(self, rel):
        return os.path.join(self.src, rel)

    def has(self, rel):
        return rel in self.manifest['files']

    def files_under(self, sub):
        prefix = sub.rstrip('/') + '/'
        return sorted(p for p in self.manifest['files'] if p.startswith(prefix))

    def upstream_iommufd_sha256(self):
        return {self.manifest['sha256'][p]: p for p in self.files_under(IOMMUFD_DIR)}

    def verify_untouched(self, also=()):
        """Fail if any pristine file was modified (e.g. written through a hardlink)."""
        bad = []
        for rel, (size, mtime_ns) in self.manifest['files'].items():
            try:
                st = os.lstat(self.path(rel))
            except FileNotFoundError:
                bad.append(f'missing: {rel}')
                continue
            if st.st_size != size or st.st_mtime_ns != mtime_ns:
                bad.append(f'changed: {rel}')
        for rel, digest in self.manifest['sha256'].items():
            if sha256_file(self.path(rel)) != digest:
                bad.append(f'content changed: {rel}')
        if bad:
            raise PipelineError(
                f'the pristine base {self.src} was modified ({len(bad)} files), probably '
                f'written through a hardlink of a build tree; remove {self.dir} to '
                're-extract it (the trees are rebuilt then)', '\n'.join(bad[:50]))


def kernel_version(src):
    fields = {}
    with open(os.path.join(src, 'Makefile')) as f:
        for line in f:
            m = re.match(r'^(VERSION|PATCHLEVEL|SUBLEVEL) = (\d+)', line)
            if m:
                fields[m.group(1)] = m.group(2)
    return '{VERSION}.{PATCHLEVEL}.{SUBLEVEL}'.format(**fields)


def sentinel_paths(src):
    paths = [p for p in SENTINEL_FILES if os.path.isfile(os.path.join(src, p))]
    for sub in SENTINEL_DIRS:
        paths += [p for p in walk_files(src, sub) if os.path.isfile(os.path.join(src, p))]
    return paths


# ---------------------------------------------------------------- repo contents

def repo_files(roots):
    """Files of ours under roots (repo-relative), without build leftovers."""
    roots = [r for r in roots if os.path.isdir(os.path.join(REPO, r))]
    if not roots:
        return []
    proc = subprocess.run(['git', '-C', REPO, 'ls-files', '-z', '-co', '--exclude-standard',
                           '--', *roots], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          env=clean_env())
    if proc.returncode == 0:
        paths = [p for p in proc.stdout.decode().split('\0') if p]
    else:  # not a git checkout (e.g. an exported copy)
        paths = [p for r in roots for p in walk_files(REPO, r)]
    return sorted({p for p in paths
                   if os.path.isfile(os.path.join(REPO, p)) and not JUNK_RE.search(p)})


def repo_patches():
    return sorted(glob.glob(os.path.join(REPO, 'patches', '*.patch')))


def patch_paths(patch):
    """Paths a -p1 patch reads or writes (both sides of renames)."""
    paths = set()
    with open(patch, errors='replace') as f:
        for line in f:
            m = re.match(r'^diff --git a/(\S+) b/(\S+)', line)
            if m:
                paths.update(m.groups())
                continue
            m = re.match(r'^(?:---|\+\+\+) (?:a|b)/(\S+)', line)
            if m:
                paths.add(m.group(1))
    return paths


# ---------------------------------------------------------------- the build tree

def files_equal(a, b):
    return filecmp.cmp(a, b, shallow=False)


def replace_file(src, dst):
    """Make dst a fresh copy of src (new inode, new mtime) by rename."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = os.path.join(os.path.dirname(dst), f'.iommufd-new.{os.path.basename(dst)}')
    if os.path.lexists(tmp):
        os.unlink(tmp)
    shutil.copyfile(src, tmp)
    shutil.copymode(src, tmp)
    os.replace(tmp, dst)


class Tree:
    """CACHE/tree/<variant>: pristine hardlinks + our files + patches."""

    def __init__(self, base, variant):
        if variant not in VARIANTS:
            raise PipelineError(f'unknown variant {variant!r} (one of {", ".join(VARIANTS)})')
        self.base = base
        self.variant = variant
        self.spec = VARIANTS[variant]
        self.dir = cache_path('tree', variant)
        self.state_path = cache_path('tree', f'{variant}.json')
        self.stage = cache_path('stage', variant)
        self.ours = {}        # tree path -> repo file that provides it
        self.patched = {}     # tree path -> staged result, or None if deleted
        self.changed = []     # paths rewritten by the last assemble()

    def _load_state(self):
        try:
            with open(self.state_path) as f:
                state = json.load(f)
        except (FileNotFoundError, ValueError):
            return None
        return state if state.get('base') == self.base.id else None

    def _create(self):
        log(f'creating build tree {self.dir} (hardlinks of the pristine base) ...')
        shutil.rmtree(self.dir, ignore_errors=True)
        tmp = self.dir + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(os.path.dirname(tmp), exist_ok=True)
        run_quiet(['cp', '-al', self.base.src, tmp])
        os.rename(tmp, self.dir)
        # Objects built from an earlier tree may be newer than the files that
        # now replace them (pristine mtimes): make would keep them.
        for out in glob.glob(cache_path('out', f'{self.variant}-*')):
            log(f'  removing {out}: it was built from an earlier tree')
            shutil.rmtree(out)

    def _wanted_source(self, rel):
        """Which file rel should have after overlay and patches (None: absent)."""
        if rel in self.patched:
            return self.patched[rel]
        return self._overlay_view(rel)

    def _overlay_view(self, rel):
        """rel after the overlay, before patches (what the patches apply to)."""
        if rel in self.ours:
            return self.ours[rel]
        if any(rel.startswith(d + '/') for d in self.spec['wholesale']):
            return None
        return self.base.path(rel) if self.base.has(rel) else None

    def _stage_patches(self):
        """Apply all patches to copies of the files they touch, in self.stage."""
        patches = repo_patches() if self.spec['patches'] else []
        self.patched = {}
        shutil.rmtree(self.stage, ignore_errors=True)
        if not patches:
            return
        touched = set()
        for patch in patches:
            touched |= patch_paths(patch)
        os.makedirs(self.stage)
        for rel in touched:
            src = self._overlay_view(rel)
            if src:
                dst = os.path.join(self.stage, rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(src, dst)
                shutil.copymode(src, dst)
        # The ceiling keeps git from treating an enclosing repository as ours.
        env = clean_env({'GIT_CEILING_DIRECTORIES': os.path.dirname(self.stage)})
        for patch in patches:
            proc = subprocess.run(['git', 'apply', '-p1', '--whitespace=nowarn', patch],
                                  cwd=self.stage, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
            if proc.returncode != 0:
                raise PipelineError(f'patch {os.path.relpath(patch, REPO)} does not apply '
                                    'to the base tree plus our files', proc.stdout)
        for rel in touched:
            staged = os.path.join(self.stage, rel)
            self.patched[rel] = staged if os.path.isfile(staged) else None

    def assemble(self):
        """Bring the tree up to date; only files whose content changed get rewritten."""
        state = self._load_state()
        if state is None or not os.path.isdir(self.dir):
            self._create()
            state = {'base': self.base.id, 'managed': []}
        self.ours = {p: os.path.join(REPO, p) for p in repo_files(self.spec['overlay'])}
        self._stage_patches()

        candidates = set(state['managed']) | set(self.ours) | set(self.patched)
        for sub in self.spec['wholesale']:
            candidates.update(self.base.files_under(sub))
        self.changed = []
        managed = []
        for rel in sorted(candidates):
            want = self._wanted_source(rel)
            if self._sync_one(rel, want):
                self.changed.append(rel)
            if want != (self.base.path(rel) if self.base.has(rel) else None):
                managed.append(rel)
        self._prune_empty_dirs()
        write_atomic(self.state_path, json.dumps({'base': self.base.id, 'managed': managed},
                                                 indent=1))
        self.base.verify_untouched()
        return self.changed

    def _sync_one(self, rel, want):
        """Make tree/rel match want (a file path or None). True if it changed."""
        cur = os.path.join(self.dir, rel)
        if want is None:
            if os.path.lexists(cur):
                os.unlink(cur)
                return True
            return False
        if os.path.isfile(cur) and not os.path.islink(cur):
            if os.path.samefile(cur, want) or files_equal(cur, want):
                return False
        elif os.path.lexists(cur):
            os.unlink(cur)
        # Never a hardlink back to pristine: a restored file needs a new mtime
        # or make would keep objects built from the content it replaces.
        replace_file(want, cur)
        return True

    def _prune_empty_dirs(self):
        for sub in self.spec['wholesale']:
            top = os.path.join(self.dir, sub)
            for dirpath, _, _ in sorted(os.walk(top), reverse=True):
                if dirpath != top and not os.listdir(dirpath):
                    os.rmdir(dirpath)

    def our_paths(self):
        """Tree paths that come from the repo (after assemble())."""
        return sorted(self.ours)
