"""Running a benchmark's measurement in a fresh Python process (what a student's first call meets).

The child prints its figures as JSON on its last line of output; nothing is
imported here, so the parent warms nothing the child would then find ready.
"""
import importlib.util
import json
import subprocess
import sys


def run_fresh(code, cwd=None):
    """Run ``code`` in a new interpreter; returns the JSON object of its last output line."""
    out = subprocess.run([sys.executable, '-c', code], check=True, capture_output=True, text=True, cwd=cwd)
    return json.loads(out.stdout.strip().splitlines()[-1])


def has_mitsuba():
    """Whether Mitsuba 3 is installed (found, not imported)."""
    return importlib.util.find_spec('mitsuba') is not None
