"""Diffs of generated code between two versions: unified text for print, side-by-side HTML for widgets."""

from __future__ import annotations

import difflib
import html
from collections.abc import Mapping
from typing import Any


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label
    )
    return "".join(lines)


def side_by_side_html(old: str, new: str, old_label: str, new_label: str) -> str:
    """A side-by-side table (difflib.HtmlDiff escapes the code itself; the labels are escaped here)."""
    table = difflib.HtmlDiff(tabsize=4, wrapcolumn=90).make_table(
        old.splitlines(),
        new.splitlines(),
        html.escape(old_label),
        html.escape(new_label),
        context=True,
        numlines=3,
    )
    style = (
        "<style>.wfb-diff table.diff{font-family:monospace;font-size:12px;border-collapse:collapse}"
        ".wfb-diff .diff_add{background:#e6ffec}.wfb-diff .diff_chg{background:#fff5b1}"
        ".wfb-diff .diff_sub{background:#ffebe9}.wfb-diff td{padding:0 4px}</style>"
    )
    return f'<div class="wfb-diff">{style}{table}</div>'


def version_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], old_definition: str, new_definition: str
) -> list[str]:
    """What changed between two versions, read from their manifests and definitions, one line each: the
    definition, components and their versions, inputs, signals and queries, steps, the compiler."""
    changes: list[str] = []
    if old_definition != new_definition:
        lines = list(difflib.ndiff(old_definition.splitlines(), new_definition.splitlines()))
        added = sum(1 for line in lines if line.startswith("+ "))
        removed = sum(1 for line in lines if line.startswith("- "))
        changes.append(f"definition: {added} line(s) added, {removed} removed (--which definition)")
    old_components, new_components = old.get("components", {}), new.get("components", {})
    for name in sorted(set(old_components) | set(new_components)):
        before, after = old_components.get(name), new_components.get(name)
        if before == after:
            continue
        if before is None:
            changes.append(f"component {name}: added ({_version_of(after)})")
        elif after is None:
            changes.append(f"component {name}: no longer called")
        else:
            changes.append(
                f"component {name}: {_version_of(before)} -> {_version_of(after)} "
                "(its code: --which activities)"
            )
    changes.extend(_field_changes("input", old, new))
    for key in ("signals", "queries"):
        changes.extend(_name_changes(key, old.get(key, {}), new.get(key, {})))
    changes.extend(_name_changes("steps", old.get("steps", []), new.get("steps", [])))
    if old.get("compiler_version") != new.get("compiler_version"):
        changes.append(f"compiler: {old.get('compiler_version')} -> {new.get('compiler_version')}")
    return changes


def _version_of(component_type: Any) -> str:
    _, _, version = str(component_type).rpartition(".")
    return version or str(component_type)


def _field_changes(kind: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    before = old.get("input_schema", {}).get("properties", {})
    after = new.get("input_schema", {}).get("properties", {})
    out = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            out.append(f"{kind} {name}: added")
        elif name not in after:
            out.append(f"{kind} {name}: removed")
        elif before[name] != after[name]:
            out.append(f"{kind} {name}: changed")
    return out


def _name_changes(kind: str, old: Any, new: Any) -> list[str]:
    added = [n for n in new if n not in old]
    removed = [n for n in old if n not in new]
    out = []
    if added:
        out.append(f"{kind} added: {', '.join(map(str, added))}")
    if removed:
        out.append(f"{kind} removed: {', '.join(map(str, removed))}")
    return out
