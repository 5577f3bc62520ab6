"""'make series': our tree as a git format-patch series against the pristine base."""

import glob
import os
import shutil

from .common import REPO, PipelineError, cache_path, clean_env, log, run_quiet
from .tree import IOMMUFD_DIR, SAMPLES_DIR, SELFTEST_DIR, repo_files, repo_patches

BASE_AUTHOR = {'GIT_AUTHOR_NAME': 'Debian linux-source', 'GIT_AUTHOR_EMAIL': 'base@localhost',
               'GIT_AUTHOR_DATE': '2026-01-01T00:00:00Z',
               'GIT_COMMITTER_NAME': 'Debian linux-source',
               'GIT_COMMITTER_EMAIL': 'base@localhost',
               'GIT_COMMITTER_DATE': '2026-01-01T00:00:00Z'}

# One commit per part, in this order: (paths, replaces upstream's directory, message).
PARTS = [
    (['include/uapi'], False,
     'iommufd: uAPI header\n\nOur include/uapi/linux/iommufd.h, ABI-identical to upstream.'),
    (['include'], False,
     'iommufd: kernel-internal header\n\nOur include/linux/iommufd.h.'),
    ([IOMMUFD_DIR], True,
     'iommufd: new implementation\n\nReplaces drivers/iommu/iommufd/ with our own code.'),
    ([SELFTEST_DIR], True,
     'selftests/iommu: our tests\n\nReplaces tools/testing/selftests/iommu/.'),
    ([SAMPLES_DIR], False,
     'samples/iommufd: user-space demo'),
    (['Documentation'], False,
     'Documentation: iommufd'),
]


def git(*args, cwd=None, env_extra=None, check=True):
    env = clean_env(env_extra or {})
    env.pop('GIT_DIR', None)
    env.pop('GIT_WORK_TREE', None)
    return run_quiet(['git', *args], cwd=cwd, env=env, check=check)


def identity():
    """The repo's git identity if it has one, else a neutral one."""
    def get(key, default):
        out = git('-C', REPO, 'config', key, check=False).stdout.strip()
        return out or default
    name = get('user.name', 'iommufd developers')
    email = get('user.email', 'iommufd@localhost')
    return {'GIT_AUTHOR_NAME': name, 'GIT_AUTHOR_EMAIL': email,
            'GIT_COMMITTER_NAME': name, 'GIT_COMMITTER_EMAIL': email}


def base_repo(base):
    """CACHE/git-base/<key>: a git repository whose one commit (tag 'base') is the pristine base."""
    gitdir = cache_path('git-base', base.key + '.git')
    if os.path.exists(os.path.join(gitdir, 'refs', 'tags', 'base')):
        return gitdir
    log(f'creating the git repository of the pristine base (once): {gitdir}')
    shutil.rmtree(gitdir, ignore_errors=True)
    git('init', '-q', '--bare', gitdir)
    # Index the pristine tree in place: git only reads a work tree to add it.
    env = dict(BASE_AUTHOR, GIT_DIR=gitdir, GIT_WORK_TREE=base.src)
    run_quiet(['git', 'add', '-f', '-A', '.'], cwd=base.src, env=clean_env(env))
    run_quiet(['git', 'commit', '-q', '-m', f'Linux {base.version} (Debian linux-source-6.12)'],
              cwd=base.src, env=clean_env(env))
    run_quiet(['git', 'tag', 'base'], cwd=base.src, env=clean_env(env))
    os.unlink(os.path.join(gitdir, 'index'))
    for old in glob.glob(cache_path('git-base', '*.git')):
        if old != gitdir:
            shutil.rmtree(old, ignore_errors=True)
    return gitdir


def worktree(gitdir):
    """A reusable work tree at the base commit (checkout only changes what differs)."""
    work = cache_path('series-work')
    if os.path.isdir(os.path.join(work, '.git')) or os.path.isfile(os.path.join(work, '.git')):
        if git('-C', work, 'rev-parse', '--git-common-dir', check=False).stdout.strip() \
                != gitdir:
            shutil.rmtree(work)
    if not os.path.exists(work):
        git('--git-dir', gitdir, 'worktree', 'prune')
        log(f'checking out the base into {work} (once) ...')
        git('--git-dir', gitdir, 'worktree', 'add', '-q', '--detach', work, 'base')
    git('-C', work, 'am', '--abort', check=False)
    git('-C', work, 'checkout', '-q', '-f', '--detach', 'base')
    git('-C', work, 'clean', '-q', '-f', '-d', '-x')
    return work


def commit_part(work, paths, wholesale, message, who):
    if wholesale:
        for path in paths:
            git('-C', work, 'rm', '-r', '-q', '--ignore-unmatch', '--', path)
    # 'include' repeats include/uapi's files: unchanged by then, so no diff.
    files = repo_files(paths)
    for rel in files:
        dst = os.path.join(work, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.lexists(dst):
            os.unlink(dst)
        shutil.copyfile(os.path.join(REPO, rel), dst)
        shutil.copymode(os.path.join(REPO, rel), dst)
    if files:
        git('-C', work, 'add', '-f', '--', *files)
    if git('-C', work, 'diff', '--cached', '--quiet', check=False).returncode == 0:
        return False
    git('-C', work, 'commit', '-q', '-m', message, env_extra=who)
    return True


def apply_patch(work, patch, who):
    """git am when the patch is a mail; otherwise git apply + a commit named after it."""
    if git('-C', work, 'am', '-q', '--keep-cr', patch, env_extra=who, check=False).returncode == 0:
        return
    git('-C', work, 'am', '--abort', check=False)
    proc = git('-C', work, 'apply', '--index', patch, check=False)
    if proc.returncode != 0:
        raise PipelineError(f'{os.path.relpath(patch, REPO)} applies neither with git am '
                            'nor with git apply', proc.stdout)
    name = os.path.splitext(os.path.basename(patch))[0]
    git('-C', work, 'commit', '-q', '-m', f'{name}\n\nFrom patches/{os.path.basename(patch)}.',
        env_extra=who)


def make_series(base, outdir=None):
    outdir = os.path.abspath(outdir or cache_path('series'))
    gitdir = base_repo(base)
    work = worktree(gitdir)
    who = identity()
    made = 0
    for paths, wholesale, message in PARTS:
        made += commit_part(work, paths, wholesale, message, who)
    for patch in repo_patches():
        apply_patch(work, patch, who)
        made += 1
    if made == 0:
        raise PipelineError('nothing to send: the repo adds nothing to the base tree yet')
    shutil.rmtree(outdir, ignore_errors=True)
    git('-C', work, 'format-patch', '-q', '-o', outdir, 'base..HEAD')
    series = sorted(glob.glob(os.path.join(outdir, '*.patch')))
    tree_id = git('-C', work, 'rev-parse', 'HEAD^{tree}').stdout.strip()
    verify_series(work, series, tree_id, who)
    return outdir, series


def verify_series(work, series, tree_id, who):
    """The series must 'git am' onto the pristine base and give the same tree."""
    git('-C', work, 'checkout', '-q', '-f', '--detach', 'base')
    proc = git('-C', work, 'am', '-q', '--keep-cr', *series, env_extra=who, check=False)
    if proc.returncode != 0:
        git('-C', work, 'am', '--abort', check=False)
        raise PipelineError('the series does not apply to the base with git am', proc.stdout)
    got = git('-C', work, 'rev-parse', 'HEAD^{tree}').stdout.strip()
    if got != tree_id:
        raise PipelineError('git am of the series gives a different tree than intended')
