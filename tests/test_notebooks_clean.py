"""Static checks of the book's sources (no build, no kernel): fast and precise failures.

Every chapter notebook is stored clean (no outputs, no execution counts) with the ``python3``
kernel, is listed in ``_toc.yml``, hides at least one check cell that asserts the prose's numbers,
and contains no authoring leftovers. The table of contents, the introduction's links, its install
commands and the repository URL agree with each other and with the README.
"""

from __future__ import annotations

import re

import pytest
from book_files import (
    BOOK_DIR,
    CONFIG_PATH,
    HIDDEN_TAG,
    INTRO_PATH,
    REPO_DIR,
    bib_keys,
    cell_source,
    cell_tags,
    cited_keys,
    doc_links,
    docname,
    entry_sources,
    hidden_cells,
    load_yaml,
    notebook_paths,
    read_notebook,
    toc_entries,
)

NOTEBOOKS = notebook_paths()
NB_PARAMS = [pytest.param(p, id=docname(p)) for p in NOTEBOOKS]

#: Tags that mean something to myst-nb, nbclient or nbval; anything else is probably a typo
#: (a check cell tagged "remove_cell" would be shown in the book).
KNOWN_TAGS = {
    "remove-cell", "remove-input", "remove-output", "remove-stderr",
    "hide-cell", "hide-input", "hide-output", "scroll-output", "scroll-input", "output_scroll",
    "full-width", "margin",
    "raises-exception", "skip-execution",
    "nbval-skip", "nbval-ignore-output", "nbval-check-output", "nbval-raises-exception",
}  # fmt: skip

#: Authoring leftovers that must not reach a reader (upper case only: "todo" is a Spanish word).
LEFTOVERS_CASE = re.compile(r"\bTODO\b|\bFIXME\b|\bTBD\b|\bXXX\b")
LEFTOVERS_ANY_CASE = re.compile(r"coming soon|pr[oó]ximamente|lorem ipsum|work in progress", re.I)

#: The citation keys the brief promises to chapter authors.
PROMISED_KEYS = """glorot2010 he2015 prince2023 ioffe2015 breiman1996 hinton2012 srivastava2014 gal2016
huang2017 turinici2021 goodfellow2016 robbins1951 polyak1964 sutskever2013 duchi2011 tieleman2012
kingma2015 reddi2018 dozat2016 zeiler2012 lecun1998 cybenko1989 hornik1991 rumelhart1986 yosinski2014
nair2010 maas2013 clevert2016 goodfellow2013maxout loshchilov2017 smith2017 greydanus2020 bengio1994
hochreiter1991 krogh1992 nesterov1983""".split()


# ---------------------------------------------------------------------------------------------
# Table of contents


def test_every_toc_entry_exists():
    missing = [e for e in toc_entries() if not entry_sources(e)]
    assert not missing, f"_toc.yml lists files that do not exist under book/: {missing}"


def test_toc_entries_are_unambiguous_and_unique():
    entries = toc_entries()
    ambiguous = [e for e in entries if len(entry_sources(e)) > 1]
    assert not ambiguous, f"both .md and .ipynb exist for: {ambiguous}"
    duplicated = sorted({e for e in entries if entries.count(e) > 1})
    assert not duplicated, f"_toc.yml lists these twice: {duplicated}"


def test_toc_parts_have_captions_and_numbered_chapters():
    toc = load_yaml(BOOK_DIR / "_toc.yml")
    assert toc["format"] == "jb-book" and toc["root"] == "intro"
    for part in toc["parts"]:
        assert part.get("caption"), f"a part of _toc.yml has no caption: {part}"
        assert part.get("numbered") is True, f"part {part['caption']!r} is not numbered"
        assert part.get("chapters"), f"part {part['caption']!r} has no chapters"


@pytest.mark.parametrize("path", NB_PARAMS)
def test_notebook_is_in_toc(path):
    assert docname(path) in toc_entries(), f"{path.relative_to(REPO_DIR)} is not listed in book/_toc.yml"


# ---------------------------------------------------------------------------------------------
# Each notebook


@pytest.mark.parametrize("path", NB_PARAMS)
def test_notebook_is_valid_nbformat4(path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)


@pytest.mark.parametrize("path", NB_PARAMS)
def test_notebook_is_stored_without_outputs(path):
    dirty = [
        f"cell {i} (execution_count={c.get('execution_count')}, {len(c.get('outputs', []))} outputs)"
        for i, c in enumerate(read_notebook(path)["cells"])
        if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name} is stored with outputs; clear them before committing "
        f"(jupyter nbconvert --clear-output --inplace {path.relative_to(REPO_DIR)}): {dirty}"
    )


@pytest.mark.parametrize("path", NB_PARAMS)
def test_notebook_kernel_is_python3(path):
    kernelspec = read_notebook(path)["metadata"].get("kernelspec", {})
    assert kernelspec.get("name") == "python3", f"{path.name}: kernelspec {kernelspec}"
    assert kernelspec.get("language", "python") == "python", f"{path.name}: kernelspec {kernelspec}"


@pytest.mark.parametrize("path", NB_PARAMS)
def test_notebook_has_hidden_check_cell(path):
    checks = [
        c for c in hidden_cells(read_notebook(path)) if re.search(r"^\s*assert\b", cell_source(c), re.M)
    ]
    assert checks, f"{path.name} has no code cell tagged {HIDDEN_TAG!r} with an assert (DESIGN §4)"


@pytest.mark.parametrize("path", NB_PARAMS)
def test_notebook_cell_tags_are_known(path):
    unknown = {t for c in read_notebook(path)["cells"] for t in cell_tags(c)} - KNOWN_TAGS
    assert not unknown, (
        f"{path.name}: unknown cell tags {sorted(unknown)} (typo? known: {sorted(KNOWN_TAGS)})"
    )


@pytest.mark.parametrize("path", NB_PARAMS)
def test_notebook_uses_tags_not_nbval_comments(path):
    marked = [i for i, c in enumerate(read_notebook(path)["cells"]) if "# NBVAL_" in cell_source(c)]
    assert not marked, f"{path.name}: cells {marked} use '# NBVAL_*' comments (shown in the book); use tags"


@pytest.mark.parametrize("path", NB_PARAMS)
def test_notebook_markdown_has_no_leftovers(path):
    found = []
    for i, cell in enumerate(read_notebook(path)["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        text = cell_source(cell)
        found += [f"cell {i}: {m.group(0)!r}" for m in LEFTOVERS_CASE.finditer(text)]
        found += [f"cell {i}: {m.group(0)!r}" for m in LEFTOVERS_ANY_CASE.finditer(text)]
    assert not found, f"{path.name} has authoring leftovers: {found}"


@pytest.mark.parametrize("path", NB_PARAMS)
def test_notebook_has_bibliography_if_it_cites(path):
    text = "\n".join(cell_source(c) for c in read_notebook(path)["cells"] if c["cell_type"] == "markdown")
    if cited_keys(text):
        assert re.search(r"```\{bibliography\}\s*\n:filter: docname in docnames", text), (
            f"{path.name} cites papers but has no '{{bibliography}}' with ':filter: docname in docnames'"
        )


def test_cited_keys_exist_in_references_bib():
    sources = [INTRO_PATH.read_text(encoding="utf-8")]
    sources += ["\n".join(cell_source(c) for c in read_notebook(p)["cells"]) for p in NOTEBOOKS]
    missing = set().union(*(cited_keys(s) for s in sources)) - bib_keys()
    assert not missing, f"cited but not in book/references.bib (ask the lead to add them): {sorted(missing)}"


def test_references_bib_has_every_promised_key():
    missing = [k for k in PROMISED_KEYS if k not in bib_keys()]
    assert not missing, f"book/references.bib lacks {missing}"


# ---------------------------------------------------------------------------------------------
# Introduction, config and README agree


def test_intro_links_every_chapter_in_toc_order():
    toc_chapters = toc_entries()[1:]
    linked = doc_links(INTRO_PATH.read_text(encoding="utf-8"))
    assert linked == toc_chapters, (
        f"the course map in intro.md must link every chapter of _toc.yml once, in order:\n"
        f"  intro links: {linked}\n  toc:         {toc_chapters}"
    )


def _fenced_blocks(markdown: str, language: str) -> list[str]:
    return re.findall(rf"^[ \t]*```{language}[ \t]*\n(.*?)^[ \t]*```", markdown, re.S | re.M)


def test_intro_install_commands_are_the_readme_commands():
    intro = INTRO_PATH.read_text(encoding="utf-8")
    readme_lines = {
        line.strip() for line in (REPO_DIR / "README.md").read_text(encoding="utf-8").splitlines()
    }
    commands = [
        line.strip()
        for block in _fenced_blocks(intro, "bash")
        for line in block.splitlines()
        if line.strip().startswith("pip install -e") and "&&" in line
    ]
    assert len(commands) >= 2, f"intro.md should show the build and the test command, found {commands}"
    differing = [c for c in commands if c not in readme_lines]
    assert not differing, f"intro.md commands not found verbatim in README.md: {differing}"


def test_repository_url_is_set_in_one_place():
    config = load_yaml(CONFIG_PATH)
    url = config["repository"]["url"]
    assert url.startswith("https://github.com/"), url
    assert config["parse"]["myst_substitutions"]["repo_url"] == url
    owner_repo = url.removeprefix("https://github.com/")
    holders = [
        p.relative_to(BOOK_DIR).as_posix()
        for p in BOOK_DIR.rglob("*")
        if p.is_file()
        and p.suffix in {".md", ".ipynb", ".yml", ".py", ".bib", ".css"}
        and not {"_build", ".ipynb_checkpoints"}.intersection(p.relative_to(BOOK_DIR).parts)
        and owner_repo in p.read_text(encoding="utf-8")
    ]
    assert holders == ["_config.yml"], (
        f"the repository URL must appear only in _config.yml, found in {holders}"
    )
    assert CONFIG_PATH.read_text(encoding="utf-8").count(owner_repo) == 1, "write it once (YAML anchor)"


def test_language_is_set_where_sphinx_reads_it():
    config = load_yaml(CONFIG_PATH)
    assert "language" not in config, "a top-level 'language' is silently ignored by Jupyter Book"
    assert config["sphinx"]["config"]["language"] == "es"


def test_no_underscore_static_folder():
    assert not (BOOK_DIR / "_static").exists(), (
        "book/_static/ is injected into every page by Jupyter Book; put assets in book/assets/ "
        "and list them in html_static_path / html_css_files"
    )
