"""Command line: ``tutorial-kit`` (or ``python -m tutorial_kit``).

* ``tutorial-kit render SCENE [--spp N] [-o out.png] [-D name=value]`` renders
  in passes of a few samples per pixel, shows a progress bar and writes the
  average, so large sample counts stay within memory and the user sees progress.
* ``tutorial-kit notebooks DIR [--force]`` writes the notebook series and the
  scenes it renders into ``DIR``, never overwriting a file unless told to.
* ``tutorial-kit --version`` prints the installed version.

Every argument and the output path are checked before the scene is
rendered; an error is printed as one line (``error: ...``), never as a
traceback.
"""
import argparse
import re
import sys
import time

from tqdm.auto import tqdm

from tutorial_kit.io.bitmap import SUPPORTED_EXTENSIONS, check_writable
from tutorial_kit.core.errors import BackendError, SceneError
from tutorial_kit.ad.render import check_sample_budget


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
    notebooks.add_argument('--force', action='store_true',
                           help='overwrite course files that already exist there (edits are lost)')
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
    output = args.output or args.scene.rsplit('.', 1)[0] + '.png'
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
    chunk = max(1, min(spp, 2 ** 22 // (width * height)))
    image, done = None, 0
    with tqdm(total=spp, unit='spp', desc=f'{width}x{height}') as progress:
        while done < spp:
            count = min(chunk, spp - done)
            seed = None if args.seed is None else (args.seed * 1_000_003 + done) % 2 ** 64
            block = tk.render(scene, spp=count, seed=seed) * (count / spp)
            image = block if image is None else image + block
            done += count
            progress.update(count)
    tk.write_bitmap(output, image)
    print(f'wrote {output} ({width}x{height}, {spp} spp, {time.perf_counter() - started:.1f} s)')


def notebooks_command(args):
    from tutorial_kit.course import write_course
    written = write_course(args.directory, force=args.force)
    count = sum(1 for path in written if path.suffix == '.ipynb')
    print(f'wrote {count} notebooks and the scenes they use into {args.directory}; '
          f'open {args.directory}/notebooks in JupyterLab')


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        if args.command == 'render':
            render_command(args)
        elif args.command == 'notebooks':
            notebooks_command(args)
    except (SceneError, BackendError, OSError) as error:
        _print_error(error)
        return 1
    except KeyboardInterrupt:
        _print_error('interrupted')
        return 130
    except Exception as error:  # a bug of ours: still one line, and a hint where to report it
        _print_error(f'internal error ({type(error).__name__}: {error}); please report it')
        return 2
    return 0


def _print_error(error):
    """``error`` as one line on stderr."""
    print('error: ' + ' '.join(str(error).split()), file=sys.stderr)
