"""The optimisation dashboard as a learner sees it: JupyterLab in headless Chromium.

nbval runs the notebooks without a front end, so it cannot tell whether the
widgets render and answer. This test starts JupyterLab on loopback, opens
the optimisation notebook in a real browser, runs every cell, moves the
'spp' slider with the keyboard and checks that the dashboard re-rendered
(its 'renders: N' label counts up). Screenshots land in
test-artifacts/browser/ for a person to look at.

It installs nothing: Chromium comes from Debian's package (the CI script
installs it) and is driven by the Python `playwright` package, never by a
browser that playwright downloads. Every wait is bounded.
"""
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / 'notebooks'
NOTEBOOK = '03_reverse_mode_optimisation.ipynb'
ARTEFACTS = REPO / 'test-artifacts' / 'browser'
CHROMIUM = '/usr/bin/chromium'
# On a machine without open network access Chromium's background connections
# (updates, sync, QUIC) are refused and slow it down; these flags keep it from
# trying. Playwright gives each launch a fresh, empty profile directory.
CHROMIUM_FLAGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
]
# The whole test, JupyterLab's start included, must end within this.
TOTAL_SECONDS = 420


class Deadline:
    """One time budget shared by every wait, so the sum of waits is bounded too."""

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self, at_most):
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise TimeoutError('the browser test ran out of its time budget')
        return min(at_most, remaining)

    def ms(self, at_most):
        return int(self.left(at_most) * 1000)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _tail(path, chars=4000):
    try:
        return Path(path).read_text(errors='replace')[-chars:]
    except OSError:
        return ''


class JupyterLab:
    """JupyterLab serving `root_dir` on a loopback port, isolated from the user's settings."""

    def __init__(self, root_dir, work_dir):
        self.root_dir = Path(root_dir)
        self.work = Path(work_dir)
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.log = self.work / 'jupyterlab.log'
        self.proc = None

    def _write_settings(self, settings_dir):
        # No news or update pop-ups over the notebook, and every cell in the
        # page (not only those scrolled into view) so the widgets can be found.
        settings = {
            '@jupyterlab/apputils-extension/notification.jupyterlab-settings':
                {'fetchNews': 'false', 'checkForUpdates': False},
            '@jupyterlab/notebook-extension/tracker.jupyterlab-settings':
                {'windowingMode': 'none'},
        }
        for name, values in settings.items():
            path = settings_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))

    def start(self, deadline):
        settings_dir = self.work / 'user-settings'
        self._write_settings(settings_dir)
        env = dict(os.environ)
        # Private Jupyter directories: no user kernelspec, config or workspace
        # of this machine changes what the test sees.
        for var, sub in (('JUPYTER_CONFIG_DIR', 'config'), ('JUPYTER_DATA_DIR', 'data'),
                         ('JUPYTER_RUNTIME_DIR', 'runtime'), ('IPYTHONDIR', 'ipython')):
            env[var] = str(self.work / sub)
        command = [
            sys.executable, '-m', 'jupyter', 'lab', '--no-browser',
            '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={self.port}', '--ServerApp.port_retries=0',
            f'--IdentityProvider.token={self.token}', f'--ServerApp.root_dir={self.root_dir}',
            f'--LabApp.user_settings_dir={settings_dir}',
            f'--LabApp.workspaces_dir={self.work / "workspaces"}',
            '--LabApp.news_url=None', '--LabApp.extension_manager=readonly',
            '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
        ]
        if hasattr(os, 'geteuid') and os.geteuid() == 0:
            command.append('--allow-root')  # CI machines run as root; the server only listens on loopback
        with open(self.log, 'wb') as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env, cwd=self.root_dir)
        end = time.monotonic() + deadline.left(90)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f'JupyterLab exited with {self.proc.returncode}')
            try:
                self.api('GET', '/api/status', timeout=2)
                return
            except (OSError, urllib.error.URLError):
                if time.monotonic() > end:
                    raise TimeoutError('JupyterLab did not answer on its port') from None
                time.sleep(0.5)

    def api(self, method, path, timeout=10):
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={'Authorization': f'token {self.token}'})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def kernel_states(self):
        return [kernel['execution_state'] for kernel in self.api('GET', '/api/kernels')]

    def stop(self):
        """Shut kernels and server down; kill whatever is left after a grace period."""
        if self.proc is None or self.proc.poll() is not None:
            return
        children = []
        try:
            import psutil  # a dependency of ipykernel: finds the kernels this server started
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except Exception:
            pass
        try:
            for kernel in self.api('GET', '/api/kernels', timeout=5):
                self.api('DELETE', f'/api/kernels/{kernel["id"]}', timeout=10)
        except Exception:
            pass
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for child in children:
            try:
                child.kill()
            except Exception:
                pass


def _lab_copy(tmp_path):
    """A throw-away copy of notebooks/ (Lab saves outputs into what it opens).

    The repository's other top-level folders are linked beside it, so paths
    such as ../scenes/cbox/cbox.xml resolve as they do in the repository.
    """
    root = tmp_path / 'repo'
    root.mkdir()
    shutil.copytree(NOTEBOOKS, root / 'notebooks',
                    ignore=shutil.ignore_patterns('.ipynb_checkpoints', '__pycache__'))
    for entry in REPO.iterdir():
        if not entry.name.startswith('.') and entry.name not in ('notebooks', 'test-artifacts'):
            (root / entry.name).symlink_to(entry)
    return root / 'notebooks'


def _renders(label):
    match = re.search(r'renders:\s*(\d+)', label.text_content() or '')
    return int(match.group(1)) if match else None


def check_dashboard(lab, notebook, artefacts, deadline):
    """Open `notebook` in Lab, run it, move 'spp', and check the dashboard re-renders."""
    from playwright.sync_api import sync_playwright

    artefacts.mkdir(parents=True, exist_ok=True)
    for stale in ('dashboard.png', 'dashboard_after_spp.png', 'failure.png'):
        (artefacts / stale).unlink(missing_ok=True)  # no picture from an earlier run passes for this one
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_FLAGS, timeout=deadline.ms(60))
        try:
            page = browser.new_page(viewport={'width': 1280, 'height': 1000})
            try:
                _drive(page, lab, notebook, artefacts, deadline)
            except BaseException:
                try:
                    page.screenshot(path=str(artefacts / 'failure.png'), timeout=10_000)
                except Exception:
                    pass
                raise
        finally:
            browser.close()


def _wait_until(predicate, deadline, at_most, what, interval=0.5):
    end = time.monotonic() + deadline.left(at_most)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f'timed out waiting for {what}')
        time.sleep(interval)


def _drive(page, lab, notebook, artefacts, deadline):
    page.goto(f'{lab.url}/lab/tree/{notebook}?token={lab.token}',
              wait_until='domcontentloaded', timeout=deadline.ms(90))
    panel = page.locator('.jp-NotebookPanel').first
    panel.locator('.jp-Cell').first.wait_for(timeout=deadline.ms(120))

    # A notebook without a usable kernelspec asks which kernel to start.
    dialog = page.locator('.jp-Dialog')
    try:
        dialog.wait_for(timeout=3000)
        dialog.locator('.jp-mod-accept').first.click(timeout=deadline.ms(10))
    except Exception:
        pass
    _wait_until(lambda: lab.kernel_states() == ['idle'], deadline, 120, 'the kernel to start')

    # Run > Run All Cells, as a learner would.
    panel.locator('.jp-Cell').first.click(timeout=deadline.ms(10))
    page.locator('.lm-MenuBar-item', has_text=re.compile(r'^Run$')).click(timeout=deadline.ms(10))
    page.locator('.lm-Menu-item', has=page.locator(
        '.lm-Menu-itemLabel', has_text=re.compile(r'^Run All Cells$'))).click(timeout=deadline.ms(10))

    # The dashboard: the cell output holding both the 'spp' slider and the
    # 'renders: N' label (other widgets may have an 'spp' slider too).
    spp_slider = page.locator('.widget-slider', has=page.locator(
        '.widget-label', has_text=re.compile(r'^\s*spp\s*$')))
    renders_label = page.locator('.widget-label', has_text=re.compile(r'^\s*renders:\s*\d+\s*$'))
    dashboard = panel.locator('.jp-OutputArea-output', has=renders_label).filter(has=spp_slider)
    dashboard.first.wait_for(timeout=deadline.ms(300))
    assert dashboard.count() == 1, f'expected one dashboard, found {dashboard.count()}'
    spp, renders = dashboard.locator(spp_slider), dashboard.locator(renders_label)

    # The slider only reaches the kernel once the cells after it are done.
    def finished():
        busy = panel.locator('.jp-InputPrompt', has_text='[*]').count()
        return busy == 0 and lab.kernel_states() == ['idle']
    _wait_until(lambda: finished() and (time.sleep(1.0) or finished()), deadline, 300,
                'every cell to finish')

    dashboard.scroll_into_view_if_needed(timeout=deadline.ms(10))
    before = _renders(renders)
    assert before is not None
    dashboard.screenshot(path=str(artefacts / 'dashboard.png'), timeout=deadline.ms(30))

    handle = spp.locator('.noUi-handle')
    readout = spp.locator('.widget-readout')
    old_value = readout.text_content()
    handle.focus(timeout=deadline.ms(10))
    page.keyboard.press('ArrowRight')
    if readout.text_content() == old_value:  # already at the maximum
        page.keyboard.press('ArrowLeft')
        page.keyboard.press('ArrowLeft')
    assert readout.text_content() != old_value, 'the spp slider did not move'

    after = _wait_until(lambda: (_renders(renders) or 0) > before and _renders(renders),
                        deadline, 120, f"'renders: N' to count up from {before}")
    # Let the new preview image arrive before the picture is taken.
    _wait_until(lambda: lab.kernel_states() == ['idle'], deadline, 60, 'the re-render to finish')
    page.wait_for_timeout(500)
    dashboard.screenshot(path=str(artefacts / 'dashboard_after_spp.png'), timeout=deadline.ms(30))
    return before, after


def test_dashboard_rerenders_when_spp_changes(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f'{CHROMIUM} is missing (Debian package chromium)')
    pytest.importorskip('playwright.sync_api', reason='the playwright package is not installed')
    pytest.importorskip('jupyterlab', reason='JupyterLab is not installed (the notebooks extra)')
    pytest.importorskip('ipywidgets', reason='ipywidgets is not installed (the notebooks extra)')
    if not (NOTEBOOKS / NOTEBOOK).exists():
        pytest.skip(f'notebooks/{NOTEBOOK} does not exist yet')

    deadline = Deadline(TOTAL_SECONDS)
    lab = JupyterLab(_lab_copy(tmp_path), tmp_path)
    try:
        lab.start(deadline)
        check_dashboard(lab, NOTEBOOK, ARTEFACTS, deadline)
    except Exception as error:
        raise AssertionError(f'{error}\n--- JupyterLab log ---\n{_tail(lab.log)}') from error
    finally:
        lab.stop()
