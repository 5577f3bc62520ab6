"""The benchmark program's '@bench' lines (format in its header comment) into a Run."""

import re

from .data import MemKey, Memory, Run, TimeKey, Timing
from .stats import keep_full_speed_samples

# Anywhere in a line: the runner hands over guest text, which a prefix may precede
LINE = re.compile(r'@bench (\w+)\s*(.*)$')


def parse_fields(text):
    """'a=1 b=x' -> {'a': '1', 'b': 'x'}; words without '=' are ignored."""
    fields = {}
    for word in text.split():
        name, sep, value = word.partition('=')
        if sep:
            fields[name] = value
    return fields


def int_list(text):
    return [int(v) for v in text.split(',')] if text else []


def time_key(fields):
    """The TimeKey of an '@bench time' line: of a buffer, or (items=N) of items."""
    if 'items' in fields:
        return TimeKey(fields['section'], fields['path'], '-', 0, 0, int(fields['items']))
    return TimeKey(fields['section'], fields['path'], fields['backing'],
                   int(fields['bytes']), int(fields['domains']))


def time_row(fields):
    """(TimeKey, Timing) of an '@bench time' line."""
    key = time_key(fields)
    timing = Timing(int(fields['ns']), int(fields['do_ns']), int(fields['undo_ns']),
                    int(fields['samples']), int(fields['ops']), float(fields['spread']),
                    int_list(fields.get('all_ns')), int_list(fields.get('all_do_ns')),
                    int_list(fields.get('all_gauge_ns')))
    return key, timing


def memory_row(fields):
    """(MemKey, Memory) of an '@bench mem' line."""
    key = MemKey(fields['path'], fields['backing'], int(fields['domains']))
    memory = Memory(int(fields['bytes']), int(fields['pages']), int(fields['free']),
                    int(fields['slab']), int(fields['sec_pagetables']), int(fields['vmalloc']),
                    int(fields['reps']))
    return key, memory


def add_line(run, kind, text):
    """Add one '@bench <kind> <text>' line to run; KeyError or ValueError if unreadable."""
    fields = parse_fields(text)
    if kind == 'time':
        key, timing = time_row(fields)
        run.times[key] = timing
    elif kind == 'mem':
        key, memory = memory_row(fields)
        run.memory[key] = memory
    elif kind == 'info':
        run.info.append(fields)
    elif kind == 'skip':
        # '<section>,... <reason in words>': not an error, nothing to measure
        sections, _, reason = text.strip().partition(' ')
        if not sections:
            raise ValueError('a skip without sections')
        run.skipped.append((tuple(sections.split(',')), reason.strip()))
    elif kind == 'error':
        run.errors.append(text.strip())
    elif kind == 'done':
        run.done = True
        # Errors the program counted but did not describe are problems all the same
        if int(fields.get('errors', '0')) and not run.errors:
            run.errors.append(f'the program counted {fields["errors"]} error(s)')


def parse_run(lines):
    """A Run from the benchmark program's output lines, at full speed only."""
    run = Run()
    for line in lines:
        m = LINE.search(line)
        if not m:
            continue
        try:
            add_line(run, m.group(1), m.group(2))
        except (KeyError, ValueError):
            run.errors.append(f'unreadable result line: {line.strip()}')
    return keep_full_speed_samples(run)
