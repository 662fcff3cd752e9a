"""The book's source files as the tests see them: table of contents, notebooks, hidden cells.

Shared by ``test_notebooks_clean.py`` (static checks, no build) and ``test_book.py`` (build +
browser). Paths are absolute, so the tests run from any working directory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]
BOOK_DIR = REPO_DIR / "book"
TOC_PATH = BOOK_DIR / "_toc.yml"
CONFIG_PATH = BOOK_DIR / "_config.yml"
INTRO_PATH = BOOK_DIR / "intro.md"
BIB_PATH = BOOK_DIR / "references.bib"
SKIPPED_DIRS = {"_build", ".ipynb_checkpoints"}
SOURCE_SUFFIXES = (".ipynb", ".md")

HIDDEN_TAG = "remove-cell"
RAISES_TAG = "raises-exception"


def load_yaml(path: Path) -> dict:
    import yaml  # PyYAML comes with jupyter-book (the [book] extra)

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def toc_entries(toc: dict | None = None) -> list[str]:
    """Every ``file:`` of ``_toc.yml`` (root first), in reading order, without suffix."""
    toc = load_yaml(TOC_PATH) if toc is None else toc
    entries = [toc["root"]]

    def walk(items: list[dict]) -> None:
        for item in items:
            if "file" in item:
                entries.append(item["file"])
            for key in ("parts", "chapters", "sections"):
                walk(item.get(key, []))

    for key in ("parts", "chapters", "sections"):
        walk(toc.get(key, []))
    return entries


def entry_sources(entry: str) -> list[Path]:
    """The source files a toc entry can name (``x`` -> ``x.ipynb`` and/or ``x.md``)."""
    base = BOOK_DIR / entry
    if base.suffix in SOURCE_SUFFIXES:
        return [base] if base.is_file() else []
    return [base.with_suffix(s) for s in SOURCE_SUFFIXES if base.with_suffix(s).is_file()]


def notebook_paths() -> list[Path]:
    """Every ``book/**/*.ipynb`` except build output and checkpoints, sorted."""
    return sorted(
        p for p in BOOK_DIR.rglob("*.ipynb") if not SKIPPED_DIRS.intersection(p.relative_to(BOOK_DIR).parts)
    )


def docname(path: Path) -> str:
    """``book/sgd/sgd.ipynb`` -> ``sgd/sgd`` (the name _toc.yml and {doc} use)."""
    return path.relative_to(BOOK_DIR).with_suffix("").as_posix()


def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def cell_tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def code_cells(nb: dict) -> Iterator[dict]:
    return (c for c in nb["cells"] if c["cell_type"] == "code")


def hidden_cells(nb: dict) -> list[dict]:
    """Code cells tagged ``remove-cell``: executed by the build and nbval, absent from the HTML."""
    return [c for c in code_cells(nb) if HIDDEN_TAG in cell_tags(c)]


def distinctive_hidden_lines(nb: dict, min_length: int = 12) -> list[str]:
    """Lines of the hidden cells long enough to be unique and absent from every visible cell.

    If one of them shows up in the rendered page, a hidden check cell leaked into the book.
    """
    visible = "\n".join(cell_source(c) for c in nb["cells"] if c not in hidden_cells(nb))
    visible_lines = {normalize_space(line) for line in visible.splitlines()}
    lines = []
    for cell in hidden_cells(nb):
        for line in cell_source(cell).splitlines():
            line = normalize_space(line)
            if len(line) >= min_length and not line.startswith("#") and line not in visible_lines:
                lines.append(line)
    return lines


def normalize_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def doc_links(markdown: str) -> list[str]:
    """Targets of ``{doc}`target``` and ``{doc}`text <target>``` roles."""
    targets = []
    for body in re.findall(r"\{doc\}`([^`]+)`", markdown):
        match = re.search(r"<([^>]+)>\s*$", body)
        targets.append((match.group(1) if match else body).strip())
    return targets


def cited_keys(text: str) -> set[str]:
    """Keys of every ``{cite}``, ``{cite:p}``, ``{cite:t}``, ... role in a MyST text."""
    keys: set[str] = set()
    for body in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]+)`", text):
        keys.update(k.strip() for k in body.split(",") if k.strip())
    return keys


def bib_keys() -> set[str]:
    return set(re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", BIB_PATH.read_text(encoding="utf-8"), re.M))
