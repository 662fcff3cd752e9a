"""Sphinx extension: the Spanish touches that ``language: es`` alone does not give.

1. Citations as a Spanish sentence writes them: ``{cite:p}`glorot2010``` renders
   "(Glorot y Bengio, 2010)" and ``{cite:t}`he2015``` renders "He *et al.* (2015)" —
   parentheses instead of brackets, "y" instead of "and" (``bibtex_reference_style:
   author_year_es`` in ``_config.yml``).
2. Interface strings missing from the extensions' Spanish catalogs (sphinx-exercise titles a
   gated solution "Solution"; sphinx-book-theme's "Repository", "Launch on", ...): they are
   added as fallback message catalogs, so an existing translation always wins.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle, PersonStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

REFERENCE_STYLE_NAME = "author_year_es"

#: catalog name -> {English message id: Spanish text}
MISSING_TRANSLATIONS: dict[str, dict[str, str]] = {
    "exercise": {"Solution": "Solución"},
    "booktheme": {
        "Repository": "Repositorio",
        "Open issue": "Abrir un problema",
        "Source repositories": "Repositorios de origen",
        "Launch on": "Abrir en",
        "Launch interactive content": "Abrir contenido interactivo",
    },
    "sphinx": {
        "Link to this heading": "Enlace a este encabezado",
        "Link to this table": "Enlace a esta tabla",
        "Link to this image": "Enlace a esta imagen",
        "Link to this code": "Enlace a este código",
        "Link to this equation": "Enlace a esta ecuación",
        "Link to this definition": "Enlace a esta definición",
    },
}


def _parentheses() -> BracketStyle:
    return BracketStyle(left="(", right=")")


def _spanish_persons() -> PersonStyle:
    return PersonStyle(sep2=" y ", last_sep=" y ")


@dataclasses.dataclass
class SpanishAuthorYearReferenceStyle(AuthorYearReferenceStyle):
    """``author_year`` with parentheses and the connectors of a Spanish sentence."""

    bracket_textual: BracketStyle = dataclasses.field(default_factory=_parentheses)
    bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=_parentheses)
    bracket_author: BracketStyle = dataclasses.field(default_factory=_parentheses)
    bracket_year: BracketStyle = dataclasses.field(default_factory=_parentheses)
    person: PersonStyle = dataclasses.field(default_factory=_spanish_persons)


def _write_catalogs(locale_dir: Path, language: str) -> None:
    """Compile each table of MISSING_TRANSLATIONS to ``<locale_dir>/<language>/LC_MESSAGES/<name>.mo``."""
    messages_dir = locale_dir / language / "LC_MESSAGES"
    messages_dir.mkdir(parents=True, exist_ok=True)
    for name, table in MISSING_TRANSLATIONS.items():
        catalog = Catalog(locale=language, domain=name)
        for msgid, msgstr in table.items():
            catalog.add(msgid, msgstr)
        with open(messages_dir / f"{name}.mo", "wb") as handle:
            write_mo(handle, catalog)


def setup(app):
    register_plugin(
        "sphinxcontrib.bibtex.style.referencing", REFERENCE_STYLE_NAME, SpanishAuthorYearReferenceStyle
    )
    if app.config.language == "es":
        locale_dir = Path(app.doctreedir) / "espanol_locale"
        _write_catalogs(locale_dir, "es")
        for name in MISSING_TRANSLATIONS:
            app.add_message_catalog(name, str(locale_dir))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
