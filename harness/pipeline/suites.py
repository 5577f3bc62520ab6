"""harness/suites.conf: which test runs where (see the comments in that file)."""

import os
from dataclasses import dataclass

from ..machines import ARCHES, MACHINES, PROFILES
from .common import HARNESS, PipelineError, config_lines

SUITES_FILE = os.path.join(HARNESS, 'suites.conf')
FORMATS = ('tap', 'upstream', 'exit')
# Rows of the summary that are not suites: a suite of that name would be
# mixed up with them (build-<arch>: the build of a further arch's kernel).
RESERVED_NAMES = {'boot', 'kmemleak', 'lint', 'build'} | {f'build-{arch}' for arch in ARCHES}


@dataclass
class Suite:
    name: str
    machine: str
    profiles: list
    timeout: int
    format: str
    groups: list
    command: str

    def timeout_for(self, profile):
        return int(self.timeout * PROFILES[profile]['timeout_factor'])


def load_suites(path=SUITES_FILE):
    suites = {}
    for lineno, line in config_lines(path):
        fields = line.split(None, 6)
        where = f'{path}:{lineno}'
        if len(fields) != 7:
            raise PipelineError(f'{where}: expected 7 fields, got {len(fields)}')
        name, machine, profiles, timeout, fmt, groups, command = fields
        if machine not in MACHINES:
            raise PipelineError(f'{where}: unknown machine {machine}')
        profile_list = profiles.split(',')
        for profile in profile_list:
            if profile not in PROFILES:
                raise PipelineError(f'{where}: unknown profile {profile}')
        if fmt not in FORMATS:
            raise PipelineError(f'{where}: format must be one of {FORMATS}')
        if name in suites or name in RESERVED_NAMES:
            raise PipelineError(f'{where}: suite name {name} is taken')
        suites[name] = Suite(name, machine, profile_list, int(timeout), fmt,
                             [] if groups == '-' else groups.split(','), command)
    return suites


def select(group=None, name=None, profile=None):
    """Suites of a group (or one by name) for a profile, in file order."""
    suites = load_suites()
    if name is not None:
        if name not in suites:
            raise PipelineError(f'no suite {name!r} in {SUITES_FILE} '
                                f'(have: {", ".join(suites)})')
        chosen = [suites[name]]
    else:
        chosen = [s for s in suites.values() if group in s.groups]
    if profile is not None:
        chosen = [s for s in chosen if profile in s.profiles or name is not None]
    return chosen
