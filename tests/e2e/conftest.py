"""End-to-end tests of the web app: a real `l2perp up` node (with its demo makers and oracle
operators) and Debian's headless Chromium (/usr/bin/chromium) driven by Playwright for Python.
Playwright never downloads a browser here: it launches the system chromium by path.

Fixtures
--------
``node`` (module scope) -> ``E2ENode``
    A real ``l2perp up --profile devnet --block-ms 50`` process with the demo, on a free port in
    a temporary data dir, started once per test module (per xdist worker) and killed at the
    module's end (SIGTERM, then SIGKILL, to its whole process group, verifier included).
    Ready means ``/info`` answers and the demo book quotes both sides of BTC.
    ``node.url`` is the page and API base URL; ``node.info(body)``, ``node.status()``
    (rollupStatus), ``node.admin(action)`` (signed by the devnet admin key),
    ``node.advance(ms)`` (devAdvanceTime: the L1 clock follows block time, so
    ``node.advance(60_000)`` runs out the 50 s challenge window and finalizes the posted
    batches), ``node.wait(predicate, timeout, what)``, ``node.log`` (the node's output file).
    Batches post every 2 s in both the devnet and test profiles, and finalize only once the
    50 s challenge window has run out: tests that need finality call ``node.advance``. Tests in
    one module share the node: use distinct accounts (``tests.support.rollup_proc.TRADERS``)
    or put a test that needs a pristine node in its own module.

``browser`` (session scope) -> ``playwright.sync_api.Browser``
    Headless /usr/bin/chromium, one per xdist worker. Without chromium or the playwright
    package the e2e tests skip with the reason, or fail with it when ``L2PERP_E2E=required``
    (``make test`` sets it, so CI never silently skips them).

``open_page`` (function scope) -> ``open_page(viewport="desktop", path="/") -> Page``
    A new page in a fresh browser context (own cookies and localStorage) at
    ``node.url + path``. ``viewport`` is ``"desktop"`` (1280x800), ``"mobile"`` (390x844, touch,
    ``is_mobile``) or a ``(width, height)`` tuple. Every console error and uncaught page error
    of these pages is collected in ``page_errors`` and the test fails at teardown unless that
    list is empty (a test that expects an error removes it from the list). When a test fails,
    each of its open pages is saved as ``FAILED-<test>-<n>.png`` in the artifacts dir.

``page_errors`` (function scope) -> ``list[str]``
    "<viewport>: <console error or uncaught exception>" for the pages of this test.

``artifacts`` (session scope) -> ``Path``
    ``test-artifacts/e2e/`` at the repo root (ignored by git), or ``$L2PERP_ARTIFACTS``.
    Files are overwritten by name, never cleaned (xdist workers share the dir).

``shot`` -> ``shot(page, name) -> Path``
    Save a full-page PNG ``<artifacts>/<name>.png`` (``.png`` added if missing).

Example::

    def test_book(open_page, shot):
        page = open_page("mobile")
        page.locator("#book tbody tr").first.wait_for()
        shot(page, "book-mobile")
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.support.rollup_proc import BIN, RollupNode

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
VIEWPORTS = {"desktop": (1280, 800), "mobile": (390, 844)}
REPO = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "e2e: browser tests (headless chromium + a real node)")


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)  # open_page screenshots failed tests
    return report


class E2ENode(RollupNode):
    """`l2perp up` with the demo, in its own process group, its output in a log file."""

    def start(self) -> "E2ENode":
        self.log = self.data.parent / "node.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [str(BIN), "up", "--port", str(self.port), "--data", str(self.data),
                 "--l1", str(self.l1), "--block-ms", "50", "--profile", "devnet",
                 "--rate-limits", "off", *self.extra],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                book = self.info({"type": "l2Book", "coin": "BTC"})
                if isinstance(book, dict) and all(book.get("levels") or [[]]):
                    return self  # the demo makers quote bids and asks
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.1)
        code = self.proc.poll()
        self.kill()
        tail = self.log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"l2perp up on port {self.port} "
                           + (f"exited with {code}" if code is not None else
                              "did not quote a BTC book within 60 s") + f"; its output:\n{tail}")

    def kill(self) -> None:
        if self.proc is None:
            return
        for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)  # the node and its verifier process
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # a verifier outliving the node
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None


def _unavailable(reason: str) -> None:
    """Skip (a dev machine without the browser), or fail when `make test` requires e2e."""
    if os.environ.get("L2PERP_E2E") == "required":
        pytest.fail(f"e2e tests required (L2PERP_E2E=required) but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} not found: install Debian's chromium package "
                     "(`make test` does it with apt-get)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing: pip install -e '.[test]'")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      chromium_sandbox=False, args=CHROMIUM_ARGS,
                                      timeout=60_000)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def node(tmp_path_factory, browser):  # browser first: no node when the tests skip
    tmp = tmp_path_factory.mktemp("e2e-node")
    demo = E2ENode(tmp / "data", tmp / "l1.sqlite").start()
    yield demo
    demo.kill()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = Path(os.environ.get("L2PERP_ARTIFACTS") or REPO / "test-artifacts" / "e2e")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def shot(artifacts):
    def save(page, name: str) -> Path:
        path = artifacts / (name if name.endswith(".png") else name + ".png")
        page.screenshot(path=str(path), full_page=True)
        return path
    return save


@pytest.fixture
def page_errors() -> list[str]:
    return []


def where(location: dict) -> str:
    url = location.get("url")
    return f" ({url}:{location.get('lineNumber', 0) + 1})" if url else ""


@pytest.fixture
def open_page(request, browser, node, page_errors, artifacts):
    contexts = []

    def open_(viewport="desktop", path: str = "/"):
        label = viewport if isinstance(viewport, str) else "x".join(map(str, viewport))
        width, height = VIEWPORTS[viewport] if isinstance(viewport, str) else viewport
        mobile = viewport == "mobile"
        context = browser.new_context(viewport={"width": width, "height": height},
                                      is_mobile=mobile, has_touch=mobile)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: msg.type == "error" and page_errors.append(
            f"{label}: console error: {msg.text}" + where(msg.location)))
        page.on("pageerror", lambda exc: page_errors.append(f"{label}: uncaught {exc}"))
        page.goto(node.url + path)
        return page

    yield open_
    failed = any(getattr(getattr(request.node, f"report_{when}", None), "failed", False)
                 for when in ("setup", "call"))
    for n, context in enumerate(contexts):
        if failed:
            for page in context.pages:
                try:
                    page.screenshot(path=str(artifacts / f"FAILED-{request.node.name}-{n}.png"),
                                    full_page=True)
                except Exception:  # noqa: BLE001 - a crashed page: keep the real failure
                    pass
        context.close()
    assert not page_errors, "errors in the page:\n" + "\n".join(page_errors)

