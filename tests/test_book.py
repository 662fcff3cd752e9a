"""The book builds without a single warning, and every built page works in a real browser.

The build (``jupyter-book build book --all -W -n --keep-going``) executes every chapter, so a
failing cell, a broken reference, a missing citation or an unlisted notebook fails it. The
browser test then opens every page in headless Chromium (DESIGN §5): no console errors, images
load, math is typeset, no error output, hidden check cells stay hidden, internal links resolve,
and the interface speaks Spanish.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from book_files import (
    BOOK_DIR,
    CONFIG_PATH,
    REPO_DIR,
    distinctive_hidden_lines,
    docname,
    load_yaml,
    notebook_paths,
    read_notebook,
    toc_entries,
)

HTML_DIR = BOOK_DIR / "_build" / "html"
BUILD_TIMEOUT_S = 1800  # the whole book must execute in <= 10 min (DESIGN §6); this only stops a hang
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class BuildResult:
    command: list[str]
    returncode: int
    output: str
    seconds: float

    def failure_report(self, tail: int = 60) -> str:
        """Sphinx's warnings, the first failing cell with its traceback, and the last lines."""
        lines = self.output.splitlines()
        warnings = [
            ln for ln in lines if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", ln) and "[IPKernelApp]" not in ln
        ]
        report = [f"`{' '.join(self.command)}` exited with {self.returncode} after {self.seconds:.0f} s."]
        report += ["--- Sphinx warnings and errors ---", *warnings[:40]]
        failing = [
            i for i, ln in enumerate(lines) if "An error occurred while executing the following cell" in ln
        ]
        if failing:
            report += ["--- first failing cell ---", *lines[failing[0] : failing[0] + 50]]
        report += [f"--- last {tail} lines of output ---", *lines[-tail:]]
        return "\n".join(report)


def _jupyter_book() -> str | None:
    """The jupyter-book script of the Python running the tests (so the kernel sees the same packages)."""
    scripts = Path(sys.executable).parent
    for candidate in (scripts / "jupyter-book", scripts / "jupyter-book.exe"):
        if candidate.is_file():
            return str(candidate)
    return shutil.which("jupyter-book")


@pytest.fixture(scope="session")
def book_build() -> BuildResult:
    """Build the book once per test session into book/_build (notebook results cached there)."""
    exe = _jupyter_book()
    if exe is None:
        pytest.skip('jupyter-book is not installed (pip install -e ".[book]")')
    # --all: a fresh Sphinx environment, so warnings of unchanged pages are reported again
    # (jupyter-cache still skips re-executing notebooks that did not change).
    command = [exe, "build", str(BOOK_DIR), "--all", "-W", "-n", "--keep-going"]
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S
        )
        returncode, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        returncode, output = -1, f"timed out after {BUILD_TIMEOUT_S} s\n{exc.stdout or ''}{exc.stderr or ''}"
    return BuildResult(command, returncode, ANSI.sub("", output), time.perf_counter() - start)


def test_book_builds_without_warnings(book_build):
    if book_build.returncode != 0:
        pytest.fail(book_build.failure_report(), pytrace=False)
    missing = [e for e in toc_entries() if not (HTML_DIR / f"{e}.html").is_file()]
    assert not missing, f"the build succeeded but these toc entries have no page: {missing}"
    assert (HTML_DIR / "index.html").is_file()


def test_every_page_works_in_headless_chromium(book_build):
    pytest.importorskip(
        "playwright.sync_api", reason='playwright is not installed (pip install -e ".[test]")'
    )
    import browser_check

    try:
        chromium = browser_check.chromium_executable()
        mathjax = browser_check.mathjax_package()
    except browser_check.Unavailable as exc:
        if os.environ.get("CI", "").lower() in ("1", "true"):  # .ci/run installs both: never skip in CI
            pytest.fail(f"browser test cannot run in CI: {exc}", pytrace=False)
        pytest.skip(str(exc))
    if book_build.returncode != 0:
        pytest.fail("the book did not build; see test_book_builds_without_warnings", pytrace=False)

    hidden = {f"{docname(p)}.html": distinctive_hidden_lines(read_notebook(p)) for p in notebook_paths()}
    reports = browser_check.check_site(HTML_DIR, chromium, mathjax, hidden)
    by_page = {r.page: r for r in reports}

    expected = [f"{e}.html" for e in toc_entries()]
    assert set(expected) <= set(by_page), f"pages not checked: {set(expected) - set(by_page)}"
    problems = [f"{r.page}: {p}" for r in reports for p in r.problems]
    assert not problems, f"{len(problems)} problem(s) in the rendered book:\n" + "\n".join(problems)

    # The checks above saw real content (otherwise they would pass vacuously).
    assert sum(r.math_elements for r in reports) > 0, "no page has math: is MathJax configured?"
    for page in hidden:
        assert by_page[page].code_text.strip(), f"{page} shows no code at all"

    # Chapters open in Colab (from the repository set in _config.yml) and download as .ipynb.
    repository = load_yaml(CONFIG_PATH)["repository"]
    repo = repository["url"].removeprefix("https://github.com/")
    colab_prefix = f"https://colab.research.google.com/github/{repo}/blob/{repository['branch']}"
    for page in hidden:
        doc = page.removesuffix(".html")
        links = by_page[page].links
        colab = f"{colab_prefix}/{repository['path_to_book']}/{doc}.ipynb"
        assert colab in links, f"{page} has no 'Abrir en Colab' link to {colab}"
        assert any(u.endswith(f"/_sources/{doc}.ipynb") for u in links), f"{page} has no .ipynb download"

    intro = by_page["intro.html"].ui
    assert intro["lang"] == "es", f"<html lang={intro['lang']!r}>: set language: es under sphinx: config:"
    assert intro["searchPlaceholder"] and "Buscar" in intro["searchPlaceholder"], intro["searchPlaceholder"]
    for word in ("Contenido", "siguiente"):
        assert word in intro["text"], f"the intro page does not show the Spanish interface text {word!r}"
