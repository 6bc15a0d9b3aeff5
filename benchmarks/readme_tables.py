"""Rewrite the README's benchmark tables from the figures in ``benchmarks/results/*.json``.

The tables sit between ``<!-- benchmarks:start -->`` and
``<!-- benchmarks:end -->`` in README.md; everything else is left alone.
Run the benchmarks, then this script::

    python benchmarks/render.py && python benchmarks/invert_cbox.py && python benchmarks/mitsuba3_tutorial.py
    python benchmarks/first_render.py && python benchmarks/cold_load.py && python benchmarks/polarized.py
    python benchmarks/readme_tables.py [--check]

``--check`` changes nothing and exits with status 1 when the README's
tables differ from the JSON files.
"""
import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(HERE, '..', 'README.md')
RESULTS = os.path.join(HERE, 'results')
#: The JSON files shown, in this order.
BENCHMARKS = ('render', 'invert_cbox', 'mitsuba3_tutorial', 'first_render', 'cold_load', 'polarized')
START, END = '<!-- benchmarks:start -->', '<!-- benchmarks:end -->'


def load(results=RESULTS):
    records = []
    for name in BENCHMARKS:
        path = os.path.join(results, f'{name}.json')
        if os.path.isfile(path):
            with open(path) as file:
                records.append(json.load(file))
    return records


def milliseconds(value):
    return '' if value is None else (f'{value:.1f} ms' if value < 100 else f'{value:.0f} ms')


def tables(records):
    """The Markdown between the markers: times with ratios, then first calls and memory."""
    if not records:
        return 'No benchmark results yet: run the scripts in benchmarks/.'
    machines = {(r['machine']['backend'], r['machine']['cpu_threads'], r['machine']['processor'],
                 r['machine']['mitsuba']) for r in records}
    lines = []
    for backend, threads, processor, mitsuba in sorted(machines, key=str):
        lines.append(f'Measured with the {backend.upper()} backend, {threads} CPU threads ({processor})'
                     + (f', against Mitsuba {mitsuba} in the same process' if mitsuba else '')
                     + f'; dates: {", ".join(sorted({r["machine"]["date"] for r in records}))}.')
    loads = [r['machine'].get('load_average') for r in records if r['machine'].get('load_average') is not None]
    if loads:
        lines.append(f'Load average while measuring (other processes included): {min(loads)} to {max(loads)}.')
    lines += ['', '| | tutorial_kit | Mitsuba 3 | ratio |', '|---|---|---|---|']
    for record in records:
        for row in record['rows']:
            if 'temperature' in row:
                continue                # in the cold and warm table below
            ratio = f'{row["tutorial_kit"] / row["mitsuba"]:.2f}' if row.get('mitsuba') else ''
            lines.append(f'| {row["case"]} | {milliseconds(row["tutorial_kit"])} | '
                         f'{milliseconds(row.get("mitsuba"))} | {ratio} |')
    lines += ['', '| first call (compiles) / peak Dr.Jit memory added | tutorial_kit | Mitsuba 3 |',
              '|---|---|---|']
    for record in records:
        for row in record['rows']:
            first, peak = row.get('first_call_ms', {}), row.get('peak_mib', {})
            if not first and not peak:
                continue                # e.g. first_render: its times are first calls already
            cells = []
            for name in ('tutorial_kit', 'mitsuba 3'):
                parts = [milliseconds(first.get(name))] if name in first else []
                parts += [f'{peak[name]:.0f} MiB'] if name in peak else []
                cells.append(' / '.join(parts))
            lines.append(f'| {row["case"]} | {cells[0]} | {cells[1]} |')
    lines += cold_and_warm(records)
    for record in records:
        for row in record['rows']:
            if 'parameter_error' in row:
                errors = ', '.join(f'{name} {value:.1e}' for name, value in row['parameter_error'].items())
                lines.append(f'\nSquared parameter error after {row["iterations"]} iterations of the '
                             f'Mitsuba 3 tutorial: {errors}.')
    # The bar charts are not committed (.gitignore: *.png), so they are named, not linked:
    # a link to them would be dead in a fresh clone and in the package description.
    names = ', '.join(f'`{r["benchmark"]}.png`' for r in records)
    lines.append(f'\nThe figures: `benchmarks/results/*.json` (committed); the scripts also draw '
                 f'bar charts beside them ({names}).')
    return '\n'.join(lines)


def cold_and_warm(records):
    """Rows measured both cold and warm (``row['temperature']``), side by side."""
    pairs = {}
    for record in records:
        for row in record['rows']:
            if 'temperature' in row:
                case = row['case'].rsplit(', ', 1)[0]
                pairs.setdefault(case, {})[row['temperature']] = row
    if not pairs:
        return []
    lines = ['', '| cold / warm | tutorial_kit cold | Mitsuba 3 cold | ratio | '
                 'tutorial_kit warm | Mitsuba 3 warm | ratio |', '|---|---|---|---|---|---|---|']
    for case, rows in pairs.items():
        cells = []
        for temperature in ('cold', 'warm'):
            row = rows.get(temperature, {})
            kit, mitsuba = row.get('tutorial_kit'), row.get('mitsuba')
            ratio = f'{kit / mitsuba:.2f}' if kit and mitsuba else ''
            cells += [milliseconds(kit), milliseconds(mitsuba), ratio]
        lines.append(f'| {case} | ' + ' | '.join(cells) + ' |')
    return lines


def rewrite(text, records):
    pattern = re.compile(re.escape(START) + r'.*?' + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f'README.md has no {START} ... {END} block')
    return pattern.sub(lambda _: f'{START}\n{tables(records)}\n{END}', text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true', help='only report whether the tables are current')
    parser.add_argument('--readme', default=README)
    parser.add_argument('--results', default=RESULTS)
    args = parser.parse_args()
    with open(args.readme) as file:
        text = file.read()
    updated = rewrite(text, load(args.results))
    if args.check:
        print('README tables are current' if updated == text else 'README tables differ from the results')
        return 0 if updated == text else 1
    with open(args.readme, 'w') as file:
        file.write(updated)
    print(f'rewrote the benchmark tables in {os.path.normpath(args.readme)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
