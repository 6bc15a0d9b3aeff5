"""Command line: ``tutorial-kit`` (or ``python -m tutorial_kit``).

* ``tutorial-kit render SCENE [--spp N] [-o out.png] [-D name=value]`` renders
  in passes of a few samples per pixel, shows a progress bar and writes the
  average, so large sample counts stay within memory and the user sees progress.
* ``tutorial-kit notebooks DIR [--reset NAME ...] [--force]`` writes the
  notebook series and the scenes it renders into ``DIR``. Files already there
  (a student's edited notebooks) are kept and listed; ``--reset 03`` restores
  notebook 03 alone, ``--force`` every file; ``--no-solutions`` leaves the
  solution cells out (a student's copy).
* ``tutorial-kit --version`` prints the installed version.

Every argument and the output path are checked before the scene is
rendered; an error is printed as one line (``error: ...``), never as a
traceback.
"""
import argparse
import contextlib
import os
import re
import signal
import sys
import threading
import time

import drjit as dr
from tqdm.auto import tqdm

from tutorial_kit.io.bitmap import SUPPORTED_EXTENSIONS, check_writable
from tutorial_kit.core.errors import BackendError, SceneError
from tutorial_kit.ad.render import check_sample_budget
from tutorial_kit.course import CourseError


def _parse_define(text):
    if '=' not in text:
        raise argparse.ArgumentTypeError(f'-D expects name=value, got "{text}"')
    name, value = text.split('=', 1)
    if not re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', name):
        raise argparse.ArgumentTypeError(f'-D expects name=value with a name of letters, digits '
                                         f'and _, got "{text}"')
    return name, value


class _Parser(argparse.ArgumentParser):
    """Reports a bad command line in one line (and the usage hint on request)."""

    def error(self, message):
        self.exit(2, f'error: {message} (see {self.prog} --help)\n')


def build_parser():
    from tutorial_kit import __version__
    parser = _Parser(prog='tutorial-kit',
                     description='Render Mitsuba XML scenes with tutorial_kit, '
                                 'or copy its notebook course into a folder.')
    parser.add_argument('--version', action='version', version=f'tutorial_kit {__version__}')
    commands = parser.add_subparsers(dest='command', required=True)
    notebooks = commands.add_parser('notebooks', help='write the notebook series and its scenes into DIR')
    notebooks.add_argument('directory', metavar='DIR', help='where to write (created if needed)')
    notebooks.add_argument('--reset', action='append', default=[], metavar='NAME',
                           help='restore this notebook (03, or its name) to its original state; '
                                'repeatable; the others are kept')
    notebooks.add_argument('--force', action='store_true',
                           help='restore every course file that already exists there (all edits are lost)')
    notebooks.add_argument('--no-solutions', action='store_true',
                           help='leave out the solution cells (tagged "solution"): a student\'s copy')
    render = commands.add_parser('render', help='render a scene to an image file')
    render.add_argument('scene', help='scene file (Mitsuba XML)')
    render.add_argument('--spp', type=int, default=None, help='samples per pixel (default: the scene\'s)')
    render.add_argument('-o', '--output', default=None,
                        help='output image: .png, .jpg, .exr, .hdr or .pfm (default: SCENE.png)')
    render.add_argument('-D', dest='defines', action='append', type=_parse_define, default=[],
                        metavar='name=value', help='set a $name parameter of the scene (repeatable)')
    render.add_argument('--seed', type=int, default=None, help='random seed (default: fresh)')
    render.add_argument('--backend', choices=('llvm', 'cuda'), default=None,
                        help='Dr.Jit backend (default: cuda when a GPU is present, else llvm)')
    return parser


def render_command(args):
    import tutorial_kit as tk
    # Everything that can be checked is checked before the (long) render.
    if args.spp is not None and args.spp <= 0:
        raise tk.RenderError(f'--spp must be positive, got {args.spp}')
    if args.seed is not None and not 0 <= args.seed < 2 ** 63:
        raise tk.RenderError(f'--seed must be an integer in [0, 2^63), got {args.seed}')
    # Beside the scene, named after it: 'dir.v2/scene' gives 'dir.v2/scene.png'.
    output = args.output or os.path.splitext(args.scene)[0] + '.png'
    if not output.lower().endswith(SUPPORTED_EXTENSIONS):
        raise tk.ImageError(f'unknown image extension; use one of {", ".join(SUPPORTED_EXTENSIONS)}',
                            output)
    check_writable(output)
    if args.backend:
        tk.set_backend(args.backend)
    started = time.perf_counter()
    scene = tk.load_file(args.scene, **dict(args.defines))
    sensor = scene.sensors()[0]
    spp = args.spp if args.spp is not None else sensor.sampler().sample_count()
    width, height = sensor.film().crop_size()
    check_sample_budget(width, height, spp)
    # The bar is drawn on a terminal only (disable=None): written to a log, its
    # redrawn lines would interleave with what other commands print.
    with tqdm(total=spp, unit='spp', desc=f'{width}x{height}', disable=None) as progress:
        image = render_in_passes(scene, spp, args.seed, lambda image, count: progress.update(count))
    tk.write_bitmap(output, image)
    print(f'wrote {output} ({width}x{height}, {spp} spp, {time.perf_counter() - started:.1f} s)')


def render_in_passes(scene, spp, seed, on_pass):
    """The average of ``spp`` samples per pixel, rendered in passes of at most
    about 4M samples so that memory stays bounded (TensorXf (H, W, C)).

    ``seed``: None (fresh) or an int that makes the result repeatable.
    ``on_pass(image, count)`` is called after each pass with the running sum,
    already computed: rendering is lazy and Dr.Jit runs kernels in the
    background, so each pass is evaluated and waited for, and a progress bar
    driven by it follows the work done, not the work queued.
    """
    import tutorial_kit as tk
    width, height = scene.sensors()[0].film().crop_size()
    chunk = max(1, min(spp, 2 ** 22 // (width * height)))
    image, done = None, 0
    while done < spp:
        count = min(chunk, spp - done)
        pass_seed = None if seed is None else (seed * 1_000_003 + done) % 2 ** 64
        block = tk.render(scene, spp=count, seed=pass_seed) * (count / spp)
        image = block if image is None else image + block
        dr.eval(image)
        dr.sync_thread()        # eval only queues the kernels: wait until they have run
        done += count
        on_pass(image, count)
    return image


def notebooks_command(args):
    from tutorial_kit.course import write_course
    copy = write_course(args.directory, force=args.force, reset=args.reset, no_solutions=args.no_solutions)
    notebooks = [path.name for path in copy.written if path.suffix == '.ipynb']
    kept = [path.name for path in copy.kept if path.suffix == '.ipynb']
    print(f'wrote {len(copy.written)} files into {args.directory}: '
          f'{len(notebooks)} notebooks ({", ".join(notebooks) or "none"})'
          f'{" without their solutions" if args.no_solutions else ""} and the scenes they use')
    if copy.kept:
        print(f'kept {len(copy.kept)} files that were already there, as they were: '
              f'{len(kept)} notebooks ({", ".join(kept) or "none"}); '
              f'restore one with --reset NAME')
    print(f'open {args.directory}/notebooks in JupyterLab')


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        if args.command == 'render':
            with _ctrl_c_exits_at_once():
                render_command(args)
        elif args.command == 'notebooks':
            notebooks_command(args)
    except (SceneError, BackendError, OSError, CourseError) as error:
        _print_error(error)
        return 1
    except KeyboardInterrupt:
        # A kernel interrupted mid-flight leaves Dr.Jit's queue in a state that the
        # interpreter's orderly shutdown can wait on forever: leave at once.
        _print_error('interrupted')
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    except Exception as error:  # a bug of ours: still one line, and a hint where to report it
        _print_error(f'internal error ({type(error).__name__}: {error}); please report it')
        return 2
    return 0


@contextlib.contextmanager
def _ctrl_c_exits_at_once():
    """While rendering, Ctrl-C ends the process at once (status 130).

    Dr.Jit turns a Ctrl-C inside its loops into a RuntimeError, and the
    interpreter's orderly shutdown then waits for kernels still queued.
    Leaving at once (within one pass of a few seconds, when Python next
    looks at signals) is what the user asked for; nothing needs cleaning
    up, as the output image is written atomically (all or nothing).
    """
    def leave(signum, frame):
        _print_error('interrupted')
        sys.stderr.flush()
        os._exit(130)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _print_error(error):
    """``error`` as one line on stderr."""
    print('error: ' + ' '.join(str(error).split()), file=sys.stderr)
