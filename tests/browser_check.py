"""Open every page of the built book in headless Chromium and list what a reader would see broken.

Used by ``test_book.py``. The machine running the tests may have no internet: requests to the
local server pass, MathJax's CDN is answered from a local copy of the ``mathjax@3`` npm package,
and every other external request (fonts, analytics, ...) is aborted and not counted as an error.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import posixpath
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_CHROMIUM = "/usr/bin/chromium"

#: Sphinx's default ``mathjax_path`` is https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js;
#: MathJax then loads its fonts and components relative to that URL.
MATHJAX_URL = re.compile(r"^https://cdn\.jsdelivr\.net/npm/mathjax@3[^/]*/(?P<path>[^?#]+)")
MATHJAX_ENTRY = Path("es5") / "tex-mml-chtml.js"

#: ``<meta http-equiv="Refresh" content="0; url=intro.html" />``
REDIRECT = re.compile(r'<meta[^>]+http-equiv="refresh"[^>]+url=(?P<url>[^"\s]+)"', re.I)

#: Interface strings that must have been translated (checked in titles, buttons and toggles).
ENGLISH_UI = re.compile(
    r"^(Exercise|Solution|Proof|Theorem|Lemma|Definition|Show code cell|Hide code cell|Click to show|"
    r"Click to hide|Repository|Open issue|Download source|Contents|Search this book)\b"
)
#: What a failed cell leaves in a stderr stream.
STDERR_PROBLEM = re.compile(r"Traceback|\b\w*(Error|Exception|Warning)\b")


class Unavailable(Exception):
    """A tool the browser check needs is missing; the message says how to get it."""


# ---------------------------------------------------------------------------------------------
# Tools


def chromium_executable() -> Path:
    path = Path(os.environ.get("COURSENN_CHROMIUM", DEFAULT_CHROMIUM))
    if not path.is_file():
        raise Unavailable(
            f"no Chromium at {path} (Debian/Ubuntu: apt-get install chromium; or point "
            "COURSENN_CHROMIUM to a Chromium binary)"
        )
    return path


def mathjax_package() -> Path:
    """A local copy of the ``mathjax@3`` npm package (installed once into a cache directory).

    ``COURSENN_MATHJAX_DIR`` may point to an existing copy (the folder that holds ``es5/``).
    """
    if os.environ.get("COURSENN_MATHJAX_DIR"):
        package = Path(os.environ["COURSENN_MATHJAX_DIR"])
        if not (package / MATHJAX_ENTRY).is_file():
            raise Unavailable(f"COURSENN_MATHJAX_DIR={package} has no {MATHJAX_ENTRY}")
        return package
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "coursenn" / "mathjax3"
    package = cache / "node_modules" / "mathjax"
    if not (package / MATHJAX_ENTRY).is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise Unavailable(
                "npm is not installed: it is needed once to fetch mathjax@3 (apt-get install npm)"
            )
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [
            npm,
            "install",
            "--prefix",
            str(cache),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "mathjax@3",
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired as exc:
            raise Unavailable(f"`{' '.join(cmd)}` timed out") from exc
        if done.returncode != 0 or not (package / MATHJAX_ENTRY).is_file():
            raise Unavailable(f"`{' '.join(cmd)}` failed:\n{done.stdout}\n{done.stderr}")
    version = json.loads((package / "package.json").read_text())["version"]
    if not version.startswith("3."):
        raise Unavailable(f"{package} holds MathJax {version}, expected 3.x")
    return package


@contextlib.contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve ``root`` over HTTP on 127.0.0.1 (a free port) in a thread; yield the origin URL."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - signature of the base class
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ---------------------------------------------------------------------------------------------
# The check


def html_pages(html_dir: Path) -> list[Path]:
    """Every page of the site (not Sphinx's copies of sources, images and static files)."""
    skipped = {"_static", "_sources", "_images", "_downloads"}
    return sorted(
        p for p in html_dir.rglob("*.html") if not skipped.intersection(p.relative_to(html_dir).parts)
    )


@dataclass
class PageReport:
    """What one page showed; ``problems`` is empty when the page is fine."""

    page: str
    problems: list[str] = field(default_factory=list)
    math_elements: int = 0
    images: int = 0
    code_text: str = ""
    links: list[str] = field(default_factory=list)
    ui: dict = field(default_factory=dict)


_PAGE_PROBE = """
async () => {
  const article = document.querySelector('article.bd-article')
      || document.querySelector('main') || document.body;
  const inRaisingCell = (el) => !!el.closest('.tag_raises-exception');

  const images = [...article.querySelectorAll('img')];
  await Promise.all(images.map((img) => { img.loading = 'eager'; return img.decode().catch(() => null); }));
  const brokenImages = images.filter((i) => !(i.complete && i.naturalWidth > 0))
      .map((i) => i.getAttribute('src'));

  const maths = [...article.querySelectorAll('.math')];
  const untypeset = maths.filter((m) => !m.querySelector('mjx-container'))
      .map((m) => m.textContent.trim().slice(0, 80));
  const mathErrors = [...article.querySelectorAll('mjx-merror, [data-mjx-error]')]
      .map((e) => e.getAttribute('data-mjx-error') || e.textContent.slice(0, 80));
  // TeX errors and undefined macros (MathJax's noundefined shows them as red text, not merror).
  const mj = window.MathJax && window.MathJax.startup;
  if (mj && mj.document && mj.toMML) {
    for (const item of mj.document.getMathItemsWithin(article)) {
      const mml = mj.toMML(item.root);
      if (/<merror|<mtext mathcolor="red">\\\\/.test(mml)) mathErrors.push(item.math.slice(0, 80));
    }
  }
  const englishProofs = [...article.querySelectorAll('div.proof')]
      .filter((d) => /^\\s*Proof\\b/.test(d.textContent)).length;

  const tracebacks = [...article.querySelectorAll('.output.traceback, .output.error')]
      .filter((el) => !inRaisingCell(el)).map((el) => el.textContent.trim().slice(0, 300));
  const stderr = [...article.querySelectorAll('.output.stderr')]
      .filter((el) => !inRaisingCell(el)).map((el) => el.textContent.trim().slice(0, 300));
  const visible = article.cloneNode(true);
  visible.querySelectorAll('.tag_raises-exception').forEach((el) => el.remove());
  const tracebackText = visible.textContent.includes('Traceback (most recent call last)');

  const uiLabels = [...document.querySelectorAll(
      '.admonition-title, .toggle-button, .btn__text-container, summary, .sd-summary-title')]
      .map((e) => e.textContent.trim()).filter((t) => t.length > 0);
  const search = document.querySelector('input[name="q"], input[type="search"]');

  return {
    brokenImages, images: images.length, maths: maths.length, untypeset, mathErrors,
    tracebacks, stderr, tracebackText, uiLabels, englishProofs,
    codeText: [...article.querySelectorAll('pre')].map((p) => p.textContent).join('\\n'),
    links: [...document.querySelectorAll('a[href]')].map((a) => a.href),
    codeCells: article.querySelectorAll('.cell').length,
    ui: {
      lang: document.documentElement.lang,
      searchPlaceholder: search ? search.placeholder : null,
      text: document.body.textContent,
    },
  };
}
"""


class _Site:
    """The built site on disk: which files exist and which ids each page defines."""

    def __init__(self, html_dir: Path, origin: str):
        self.html_dir = html_dir
        self.origin = origin
        self._ids: dict[Path, set[str]] = {}

    def check_link(self, href: str) -> str | None:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            return None  # external (or mailto:, javascript:) — not ours to check
        target = self.html_dir / unquote(parts.path).lstrip("/")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return f"broken link {href} (no file {target.relative_to(self.html_dir)})"
        fragment = unquote(parts.fragment)
        if fragment and target.suffix == ".html" and fragment not in self.ids(target):
            return f"broken link {href} (no id {fragment!r} in {target.relative_to(self.html_dir)})"
        return None

    def ids(self, page: Path) -> set[str]:
        if page not in self._ids:
            text = page.read_text(encoding="utf-8", errors="replace")
            self._ids[page] = set(re.findall(r'\b(?:id|name)="([^"]+)"', text))
        return self._ids[page]


def check_site(
    html_dir: Path,
    chromium: Path,
    mathjax: Path,
    hidden_lines: dict[str, list[str]],
    timeout_ms: int = 30_000,
) -> list[PageReport]:
    """Open every page of ``html_dir``; return one report per page.

    ``hidden_lines`` maps a page (``sgd/sgd.html``) to source lines of its notebook's hidden
    check cells: none of them may appear as a line of the page's code blocks.
    """
    from playwright.sync_api import sync_playwright

    reports = []
    with serve_directory(html_dir) as origin, sync_playwright() as playwright:
        site = _Site(html_dir, origin)
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context()
            aborted: set[str] = set()

            def route(route):
                url = route.request.url
                if url.startswith(origin + "/"):
                    route.continue_()
                    return
                match = MATHJAX_URL.match(url)
                local = mathjax / match["path"] if match else None
                if local is not None and local.is_file():
                    route.fulfill(path=str(local))
                elif local is not None:
                    route.fulfill(status=404, body=f"not in the local MathJax copy: {match['path']}")
                else:
                    aborted.add(url)
                    route.abort()

            context.route("**/*", route)
            for path in html_pages(html_dir):
                name = path.relative_to(html_dir).as_posix()
                redirect = REDIRECT.search(path.read_text(encoding="utf-8", errors="replace"))
                if redirect:  # Jupyter Book's index.html only forwards to the root page
                    problem = site.check_link(
                        f"{origin}/{posixpath.join(posixpath.dirname(name), redirect['url'])}"
                    )
                    reports.append(PageReport(page=name, problems=[problem] if problem else []))
                    continue
                reports.append(
                    _check_page(context, site, origin, name, aborted, hidden_lines.get(name), timeout_ms)
                )
        finally:
            browser.close()
    return reports


def _check_page(context, site, origin, name, aborted, hidden, timeout_ms) -> PageReport:
    report = PageReport(page=name)
    problems = report.problems
    console_errors: list[tuple[str, str]] = []
    page = context.new_page()
    page.on(
        "console",
        lambda m: console_errors.append((m.text, m.location.get("url", ""))) if m.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"JavaScript exception: {exc}"))
    page.on(
        "response",
        lambda r: (
            problems.append(f"HTTP {r.status} for {r.url}")
            if r.url.startswith(origin) and r.status >= 400
            else None
        ),
    )
    try:
        page.goto(f"{origin}/{name}", wait_until="load", timeout=timeout_ms)
        if page.evaluate("() => document.querySelectorAll('article .math, main .math').length > 0"):
            try:
                page.wait_for_function(
                    "() => window.MathJax && window.MathJax.startup && window.MathJax.startup.promise",
                    timeout=timeout_ms,
                )
                page.evaluate("() => window.MathJax.startup.promise.then(() => true)")
            except Exception as exc:  # playwright's TimeoutError and friends
                problems.append(f"MathJax did not start: {exc}")
        probe = page.evaluate(_PAGE_PROBE)
    finally:
        page.close()

    for text, url in console_errors:
        if url in aborted or any(a in text for a in aborted):
            continue  # an external request we aborted on purpose
        problems.append(f"console error: {text} ({url})")
    report.images = probe["images"]
    problems += [f"image did not load: {src}" for src in probe["brokenImages"]]
    report.math_elements = probe["maths"]
    problems += [f"math not typeset: {t!r}" for t in probe["untypeset"]]
    problems += [f"MathJax error: {t!r}" for t in probe["mathErrors"]]
    problems += [f"error output shown: {t!r}" for t in probe["tracebacks"]]
    problems += [
        f"stderr with an error/warning shown: {t!r}" for t in probe["stderr"] if STDERR_PROBLEM.search(t)
    ]
    if probe["tracebackText"] and not probe["tracebacks"]:
        problems.append("the page shows 'Traceback (most recent call last)'")
    problems += [f"untranslated interface text: {t!r}" for t in probe["uiLabels"] if ENGLISH_UI.match(t)]
    if probe["englishProofs"]:
        problems.append(
            f"{probe['englishProofs']} prf:proof block(s) print the English word 'Proof'; use "
            "```{admonition} Demostración + :class: demostracion"
        )
    problems += [p for p in (site.check_link(h) for h in sorted(set(probe["links"]))) if p]
    report.links = probe["links"]
    report.code_text = probe["codeText"]
    if hidden is not None:
        shown_lines = {re.sub(r"\s+", " ", line).strip() for line in probe["codeText"].splitlines()}
        if not hidden:
            problems.append("no distinctive line in the notebook's hidden cells to look for")
        if probe["codeCells"] == 0:
            problems.append("a notebook page without code cells (did the notebook render?)")
        problems += [f"hidden check cell shown: {line!r}" for line in hidden if line in shown_lines]
    report.ui = probe["ui"]
    return report
