"""``%%workflow``: build, unchanged, dry run, no-activate, and mistakes shown as one message pointing at a line."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError
from magic_definitions import HELLO


@pytest.fixture
def quiet(ip: Any) -> Any:
    ip.run_line_magic("config", "WfbSettings.auto_start_worker = False")
    return ip


def _versions(ip: Any, name: str) -> list[tuple[int, bool]]:
    from wfb_jupyter import workspace

    return [(v.version, v.active) for v in workspace().versions.list(name)]


class TestBuild:
    def test_first_build_stores_version_1_active(self, quiet: Any, capsys: Any) -> None:
        quiet.run_cell_magic("workflow", "hello", HELLO)
        out = capsys.readouterr().out
        assert out.startswith("Built 'hello' version 1 (1 step, active; project 'p-")
        assert "steps: greet" in out
        assert "No worker serves project" in out
        assert _versions(quiet, "hello") == [(1, True)]

    def test_unchanged_definition_stores_nothing(self, quiet: Any, capsys: Any) -> None:
        quiet.run_cell_magic("workflow", "hello", HELLO)
        quiet.run_cell_magic("workflow", "hello", HELLO)
        out = capsys.readouterr().out
        assert "'hello' is unchanged: version 1 already has this definition (active;" in out
        assert _versions(quiet, "hello") == [(1, True)]

    def test_dry_run_compiles_and_stores_nothing(self, quiet: Any, capsys: Any) -> None:
        quiet.run_cell_magic("workflow", "hello --dry-run", HELLO)
        assert capsys.readouterr().out.startswith(
            "Dry run: 'hello' compiles (1 step); it would be version 1; nothing stored."
        )
        from wfb_jupyter import workspace

        assert workspace().versions.workflows() == []

    def test_no_activate_keeps_the_active_version(self, quiet: Any, capsys: Any) -> None:
        quiet.run_cell_magic("workflow", "hello", HELLO)
        quiet.run_cell_magic("workflow", "hello --no-activate", HELLO.replace("Hello", "Hi"))
        assert (
            "Built 'hello' version 2 (1 step, stored, not active (activate with %wfb activate)"
            in (capsys.readouterr().out)
        )
        assert _versions(quiet, "hello") == [(1, True), (2, False)]

    def test_name_from_the_definition(self, quiet: Any, capsys: Any) -> None:
        quiet.run_cell_magic("workflow", "", "name: named-inside\n" + HELLO)
        assert "Built 'named-inside' version 1" in capsys.readouterr().out

    def test_json_definition_gets_the_cell_name(self, quiet: Any, capsys: Any) -> None:
        quiet.run_cell_magic("workflow", "j", '{"steps": [{"id": "a", "call": "noop"}]}')
        assert "Built 'j' version 1 (1 step, active" in capsys.readouterr().out


class TestMistakes:
    def test_error_points_at_the_cell_line_and_stores_nothing(self, quiet: Any) -> None:
        quiet.run_cell_magic("workflow", "hello", HELLO)
        broken = HELLO.replace("call: echo", "call: ecko")
        with pytest.raises(UsageError) as raised:
            quiet.run_cell_magic("workflow", "hello", broken)
        assert str(raised.value) == (
            "workflow 'hello' was not built (1 error; nothing was stored):\n"
            "  error: cell line 6 `call: ecko`: steps[0].call: unknown component 'ecko'; "
            "did you mean 'echo'?"
        )
        assert _versions(quiet, "hello") == [(1, True)]

    def test_yaml_syntax_error(self, quiet: Any) -> None:
        with pytest.raises(UsageError) as raised:
            quiet.run_cell_magic("workflow", "bad", "steps:\n  - id: a\n   call: [noop\n")
        message = str(raised.value)
        assert message.startswith("workflow 'bad' was not built (1 error; nothing was stored):\n")
        assert "cell line" in message

    def test_every_error_is_listed(self, quiet: Any) -> None:
        with pytest.raises(UsageError) as raised:
            quiet.run_cell_magic(
                "workflow", "two", "steps:\n  - id: a\n    call: nope\n  - id: a\n    call: noop\n"
            )
        assert str(raised.value).startswith("workflow 'two' was not built (2 errors;")

    def test_names_must_agree(self, quiet: Any) -> None:
        with pytest.raises(UsageError) as raised:
            quiet.run_cell_magic("workflow", "one", "name: other\n" + HELLO)
        assert str(raised.value) == (
            "the cell is named 'one' but its definition says name: 'other'; use the same name in "
            "both places, or leave one out"
        )

    def test_unknown_option(self, quiet: Any) -> None:
        with pytest.raises(UsageError, match="unrecognized arguments: --activate"):
            quiet.run_cell_magic("workflow", "hello --activate", HELLO)


def test_warnings_are_shown_with_their_cell_line(quiet: Any, capsys: Any) -> None:
    definition = "steps:\n  - id: stop\n    fail: no more\n  - id: never\n    call: noop\n"
    quiet.run_cell_magic("workflow", "warned", definition)
    out = capsys.readouterr().out
    assert (
        "  warning: cell line 5: steps[1]: step 'never' is unreachable: it follows a fail step"
        in out
    )


def test_name_mistakes_point_where_the_name_was_written(quiet: Any) -> None:
    definition = "steps:\n  - id: a\n    call: noop\n"
    with pytest.raises(UsageError) as raised:
        quiet.run_cell_magic("workflow", "bad.name", definition)
    assert str(raised.value) == (
        "workflow 'bad.name' was not built (1 error; nothing was stored):\n"
        "  error: the %%workflow line: name 'bad.name' must be ASCII letters, digits, '_' and '-', "
        "starting with a letter"
    )
    with pytest.raises(UsageError) as raised:
        quiet.run_cell_magic("workflow", "", definition)
    assert str(raised.value) == (
        "the workflow needs a name: write it after the magic (%%workflow NAME) or in the definition "
        "(name: NAME)"
    )
    with pytest.raises(UsageError) as raised:
        quiet.run_cell_magic("workflow", "", "name: x y\n" + definition)
    assert str(raised.value).startswith(
        "workflow 'x y' was not built (1 error; nothing was stored):\n"
        "  error: cell line 2 `name: x y`: name: name 'x y' must be"
    )
