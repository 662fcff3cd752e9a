"""Sphinx extension: emit each ``<script>`` once per page.

With Sphinx 7.4, scripts that an extension registers after the builder started (sphinx-thebe
adds ``const THEBE_JS_URL = ...`` on ``env-before-read-docs``, sphinx-togglebutton its selector)
end up twice in every page, and the second ``const`` declaration throws
"SyntaxError: Identifier 'THEBE_JS_URL' has already been declared" in the reader's console.
This handler runs after the others and drops the repeated entries (same file or same inline
body, whatever their priority), keeping the first.
"""

from __future__ import annotations


def _asset_key(script) -> tuple:
    """(file, attributes) without the priority; an inline script's file is None or "" (both seen)."""
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {})
    return (str(filename), tuple(sorted(attributes.items())))


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _asset_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # in place: the builder's list, which later handlers may still extend


def setup(app):
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
