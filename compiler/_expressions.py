"""The ``${ ... }`` expression language: tokens, a recursive-descent parser and its syntax tree.

The language is deliberately small: paths (``input.user.name``, ``steps.fetch.result[0]``), literals, comparison,
boolean and arithmetic operators and a whitelist of functions. Text is parsed into the tree below and only the
tree (``_expression_tree``) is turned into Python (``_expression_codegen``); the raw text never reaches
generated code or ``eval``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from wfb_jupyter.compiler._expression_tree import (
    Binary,
    Call,
    ListExpr,
    Literal,
    Node,
    Ref,
    Template,
    Unary,
    node_count,
)

MAX_EXPRESSION_LENGTH = 2_000
MAX_DEPTH = 40
# Operators, operands and calls in one ${...}: far more than a workflow needs, and few enough that the
# Python generated for any expression stays well inside the parser's limits.
MAX_NODES = 1_000
MAX_INTEGER = 2**63 - 1

# name -> (minimum, maximum) number of arguments
FUNCTIONS: dict[str, tuple[int, int]] = {
    "abs": (1, 1),
    "contains": (2, 2),
    "default": (2, 2),
    "float": (1, 1),
    "int": (1, 1),
    "join": (1, 2),
    "keys": (1, 1),
    "len": (1, 1),
    "lower": (1, 1),
    "max": (1, 8),
    "min": (1, 8),
    "round": (1, 2),
    "str": (1, 1),
    "sum": (1, 1),
    "trim": (1, 1),
    "upper": (1, 1),
}
KEYWORD_OPERATORS = {"and": "and", "or": "or", "not": "not", "in": "in"}
KEYWORD_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}
SYMBOL_ALIASES = {"&&": "and", "||": "or", "!": "not"}


class ExpressionSyntaxError(ValueError):
    """Raised by the parser; ``offset`` is the 0-based position in the expression text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>\d+\.\d+|\d+)
      | (?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>==|!=|<=|>=|&&|\|\||//|[<>+\-*/%()\[\],.!}])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    offset: int


def _tokenize(text: str, start: int) -> tuple[list[_Token], int]:
    """Tokens from ``start`` up to the closing ``}`` of a ``${``; returns them and the offset after the ``}``."""
    tokens: list[_Token] = []
    position = start
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionSyntaxError(f"unexpected character {text[position]!r}", position)
        kind = match.lastgroup or ""
        position = match.end()
        if kind == "space":
            continue
        if kind == "op" and match.group() == "}":
            return tokens, position
        tokens.append(_Token(kind, match.group(), match.start()))
    raise ExpressionSyntaxError("missing '}' to close '${'", start)


def parse_template(text: str) -> Template:
    """Split text into literal parts and parsed expressions. ``$${`` stands for a literal ``${``."""
    if len(text) > MAX_EXPRESSION_LENGTH and "${" in text:
        raise ExpressionSyntaxError(
            f"expression text longer than {MAX_EXPRESSION_LENGTH} characters", 0
        )
    parts: list[str | Node] = []
    literal = ""
    position = 0
    while position < len(text):
        if text.startswith("$${", position):
            literal += "${"
            position += 3
        elif text.startswith("${", position):
            tokens, position_after = _tokenize(text, position + 2)
            if literal:
                parts.append(literal)
                literal = ""
            parts.append(_Parser(tokens, position + 2).parse())
            position = position_after
        else:
            literal += text[position]
            position += 1
    if literal:
        parts.append(literal)
    return Template(tuple(parts), text)


def parse_expression(text: str) -> Node:
    """Parse a bare expression (no ``${}``), as used by ``when`` conditions and graph edge conditions."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionSyntaxError(f"expression longer than {MAX_EXPRESSION_LENGTH} characters", 0)
    tokens, _ = _tokenize(text + "}", 0)
    return _Parser(tokens, 0).parse()


class _Parser:
    def __init__(self, tokens: list[_Token], start: int) -> None:
        self.tokens = tokens
        self.index = 0
        self.start = start
        self.depth = 0

    def parse(self) -> Node:
        if not self.tokens:
            raise ExpressionSyntaxError("empty expression", self.start)
        node = self._or()
        if self.index < len(self.tokens):
            token = self.tokens[self.index]
            raise ExpressionSyntaxError(f"unexpected {token.text!r}", token.offset)
        count = node_count(node)
        if count > MAX_NODES:
            raise ExpressionSyntaxError(
                f"expression has {count} operators, values and calls; at most {MAX_NODES}: "
                "compute parts of it in set steps",
                self.start,
            )
        return node

    # -- token helpers -------------------------------------------------------------------------------------
    def _peek(self) -> str | None:
        if self.index >= len(self.tokens):
            return None
        token = self.tokens[self.index]
        if token.kind == "op":
            return SYMBOL_ALIASES.get(token.text, token.text)
        if token.kind == "name" and token.text in KEYWORD_OPERATORS:
            return token.text
        return None

    def _take(self) -> _Token:
        if self.index >= len(self.tokens):
            end = self.tokens[-1].offset + len(self.tokens[-1].text) if self.tokens else self.start
            raise ExpressionSyntaxError("expression ends too early", end)
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _expect(self, symbol: str) -> None:
        token = self._take()
        if token.text != symbol:
            raise ExpressionSyntaxError(f"expected {symbol!r}, found {token.text!r}", token.offset)

    def _nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionSyntaxError(
                "expression nested too deeply", self.tokens[self.index - 1].offset
            )

    # -- grammar, loosest binding first --------------------------------------------------------------------
    def _or(self) -> Node:
        node = self._and()
        while self._peek() == "or":
            self.index += 1
            node = Binary("or", node, self._and())
        return node

    def _and(self) -> Node:
        node = self._not()
        while self._peek() == "and":
            self.index += 1
            node = Binary("and", node, self._not())
        return node

    def _not(self) -> Node:
        if self._peek() == "not":
            self.index += 1
            self._nested()
            node = Unary("not", self._not())
            self.depth -= 1
            return node
        return self._comparison()

    def _comparison(self) -> Node:
        node = self._sum()
        operator = self._peek()
        if operator in ("==", "!=", "<", "<=", ">", ">=", "in"):
            self.index += 1
            node = Binary(operator, node, self._sum())
            if self._peek() in ("==", "!=", "<", "<=", ">", ">=", "in"):
                token = self.tokens[self.index]
                raise ExpressionSyntaxError("chained comparison: add parentheses", token.offset)
        return node

    def _sum(self) -> Node:
        node = self._product()
        while self._peek() in ("+", "-"):
            operator = self._take().text
            node = Binary(operator, node, self._product())
        return node

    def _product(self) -> Node:
        node = self._unary()
        while self._peek() in ("*", "/", "//", "%"):
            operator = self._take().text
            node = Binary(operator, node, self._unary())
        return node

    def _unary(self) -> Node:
        if self._peek() == "-":
            self.index += 1
            self._nested()
            node = Unary("-", self._unary())
            self.depth -= 1
            return node
        return self._postfix()

    def _postfix(self) -> Node:
        node = self._primary()
        parts: list[str | int | Node] = []
        while self._peek() in (".", "["):
            if self._take().text == ".":
                name = self._take()
                if name.kind != "name":
                    raise ExpressionSyntaxError(
                        f"expected a name after '.', found {name.text!r}", name.offset
                    )
                parts.append(name.text)
            else:
                self._nested()
                index = self._or()
                self.depth -= 1
                self._expect("]")
                if isinstance(index, Literal) and isinstance(index.value, (str, int)):
                    parts.append(index.value if not isinstance(index.value, bool) else index)
                else:
                    parts.append(index)
        if not parts:
            return node
        if not isinstance(node, Ref):
            raise ExpressionSyntaxError(
                "only names can be followed by '.' or '['", self.tokens[0].offset
            )
        return Ref(node.root, node.parts + tuple(parts))

    def _primary(self) -> Node:
        token = self._take()
        if token.kind == "number":
            if "." in token.text:
                return Literal(float(token.text))
            if len(token.text) > 19 or int(token.text) > MAX_INTEGER:
                raise ExpressionSyntaxError(
                    f"integer {token.text[:12]}... is too large (at most {MAX_INTEGER:,})",
                    token.offset,
                )
            return Literal(int(token.text))
        if token.kind == "string":
            return Literal(_unquote(token))
        if token.kind == "name":
            if token.text in KEYWORD_LITERALS:
                return Literal(KEYWORD_LITERALS[token.text])
            if token.text in KEYWORD_OPERATORS:
                raise ExpressionSyntaxError(f"unexpected {token.text!r}", token.offset)
            if self._peek() == "(":
                return self._call(token)
            return Ref(token.text, ())
        if token.text == "(":
            self._nested()
            node = self._or()
            self.depth -= 1
            self._expect(")")
            return node
        if token.text == "[":
            self._nested()
            items = self._arguments("]")
            self.depth -= 1
            return ListExpr(items)
        raise ExpressionSyntaxError(f"unexpected {token.text!r}", token.offset)

    def _call(self, name: _Token) -> Node:
        if name.text not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise ExpressionSyntaxError(
                f"unknown function {name.text!r} (known: {known})", name.offset
            )
        self.index += 1  # the "("
        self._nested()
        args = self._arguments(")")
        self.depth -= 1
        least, most = FUNCTIONS[name.text]
        if not least <= len(args) <= most:
            raise ExpressionSyntaxError(
                f"{name.text}() takes {_count(least, most)}, got {len(args)}", name.offset
            )
        return Call(name.text, args)

    def _arguments(self, closing: str) -> tuple[Node, ...]:
        items: list[Node] = []
        if self._peek() == closing:
            self.index += 1
            return ()
        while True:
            items.append(self._or())
            token = self._take()
            if token.text == closing:
                return tuple(items)
            if token.text != ",":
                raise ExpressionSyntaxError(
                    f"expected ',' or {closing!r}, found {token.text!r}", token.offset
                )


def _unquote(token: _Token) -> str:
    body = token.text[1:-1]
    result = ""
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            escaped = body[index + 1]
            if escaped not in _ESCAPES:
                raise ExpressionSyntaxError(
                    f"unknown escape '\\{escaped}'", token.offset + index + 1
                )
            result += _ESCAPES[escaped]
            index += 2
        else:
            result += char
            index += 1
    return result


def _count(least: int, most: int) -> str:
    """``1 argument``, ``1 or 2 arguments``, ``2 to 4 arguments``."""
    if least == most:
        return f"{least} argument{'' if least == 1 else 's'}"
    joiner = " or " if most == least + 1 else " to "
    return f"{least}{joiner}{most} arguments"


__all__ = [
    "Binary",
    "Call",
    "ExpressionSyntaxError",
    "ListExpr",
    "Literal",
    "Node",
    "Ref",
    "Template",
    "Unary",
    "node_count",
    "parse_expression",
    "parse_template",
]
