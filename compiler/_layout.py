"""Breaking long lines the way ``ruff format`` does, for the lines that carry user expressions.

Templates write every statement on one line; expressions from a definition can make that line too long. This
pass re-lays such lines in ruff's style for the shapes the templates produce: an assignment, ``return``,
``if``/``elif``, a dict entry or a call argument whose expression is a call, a list, or a chain of operators.
Anything else stays on one line (valid, just long).
"""

from __future__ import annotations

import io
import tokenize

LINE_LENGTH = 88
INDENT = "    "
# Loosest binding first: a long chain splits at its loosest operator.
_OPERATOR_LEVELS = (
    ("or",),
    ("and",),
    ("not",),
    ("==", "!=", "<", "<=", ">", ">=", "in"),
    ("+", "-"),
    ("*", "/", "//", "%"),
)
_OPENERS, _CLOSERS = "([{", ")]}"


def fit_long_lines(code: str) -> str:
    lines = []
    for line in code.split("\n"):
        lines.extend(_fit(line) if len(line) > LINE_LENGTH else [line])
    return "\n".join(lines)


def _tokens(text: str) -> list[tokenize.TokenInfo] | None:
    try:
        found = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    ignored = (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT)
    return [token for token in found if token.type not in ignored]


def _depth_zero(tokens: list[tokenize.TokenInfo]) -> list[tuple[int, tokenize.TokenInfo]]:
    """(index, token) of the tokens outside any bracket."""
    depth, result = 0, []
    for index, token in enumerate(tokens):
        if token.type == tokenize.OP and token.string in _CLOSERS:
            depth -= 1
        if depth == 0:
            result.append((index, token))
        if token.type == tokenize.OP and token.string in _OPENERS:
            depth += 1
    return result


def _fit(line: str) -> list[str]:
    stripped = line.lstrip(" ")
    indent = len(line) - len(stripped)
    tokens = _tokens(stripped)
    if not tokens:
        return [line]
    if tokens[0].string in ("def", "async") and stripped.endswith(":"):
        return _fit_signature(stripped, tokens, indent)
    head, expression, tail, parenthesise = _split_statement(stripped, tokens)
    if expression is None:
        return [line]
    return _lay_out(head, expression, tail, indent, parenthesise)


def _fit_signature(text: str, tokens: list[tokenize.TokenInfo], indent: int) -> list[str]:
    """``async def name(self, scope: ...) -> str | None:`` with its parameters on their own line."""
    pad, inner = " " * indent, " " * (indent + len(INDENT))
    opening = next(token for token in tokens if token.string == "(").start[1]
    closing = [token for _, token in _depth_zero(tokens) if token.string == ")"][-1].start[1]
    parameters = text[opening + 1 : closing]
    if len(inner + parameters) <= LINE_LENGTH:
        return [pad + text[: opening + 1], inner + parameters, pad + text[closing:]]
    return [
        pad + text[: opening + 1],
        *(inner + p + "," for p in _split_commas(parameters)),
        pad + text[closing:],
    ]


def _split_statement(
    text: str, tokens: list[tokenize.TokenInfo]
) -> tuple[str, str | None, str, bool]:
    """(text before the expression, the expression, text after it, may ruff add parentheses around it)."""
    first = tokens[0].string
    if first in ("if", "elif") and text.endswith(":"):
        return f"{first} ", text[len(first) + 1 : -1], ":", True
    if first == "return":
        return "return ", text[len("return ") :], "", True
    tail = "," if text.endswith(",") else ""
    body = text[: len(text) - len(tail)]
    for index, token in _depth_zero(tokens):
        if token.type == tokenize.OP and token.string == "=" and index > 0:
            column = token.start[1]
            head = body[: column + 1] + " "
            keyword = tokens[index - 1].type == tokenize.NAME and index == 1 and tail == ","
            return (
                head.rstrip() if keyword else head,
                body[column + 1 :].lstrip(),
                tail,
                not keyword,
            )
        if token.type == tokenize.OP and token.string == ":" and tail:
            column = token.start[1]
            return body[: column + 1] + " ", body[column + 1 :].lstrip(), tail, False
    return "", body, tail, False


def _lay_out(head: str, expression: str, tail: str, indent: int, parenthesise: bool) -> list[str]:
    pad, inner = " " * indent, " " * (indent + len(INDENT))
    if len(pad + head + expression + tail) <= LINE_LENGTH:
        return [pad + head + expression + tail]
    tokens = _tokens(expression)
    if not tokens:
        return [pad + head + expression + tail]
    top = _depth_zero(tokens)
    last = tokens[-1]
    bracket_at = _trailing_bracket(tokens, top)
    if bracket_at is not None and last.string in _CLOSERS:
        opening = tokens[bracket_at].start[1]
        callee, body = expression[: opening + 1], expression[opening + 1 : -1]
        if callee.rstrip("( ") in ("", "not") and last.string == ")":
            operands = _split_operators(body, _tokens(body) or [], _depth_zero(_tokens(body) or []))
            if operands is not None and len(inner + body) > LINE_LENGTH:
                return [
                    pad + head + callee,
                    *(inner + operand for operand in operands),
                    pad + ")" + tail,
                ]
            return [pad + head + callee, inner + body, pad + ")" + tail]
        items = _split_commas(body)
        flat = ", ".join(items)
        if len(inner + flat) <= LINE_LENGTH and not body.rstrip().endswith(","):
            return [pad + head + callee, inner + flat, pad + last.string + tail]
        lines = [pad + head + callee]
        for item in items:
            lines.extend(_lay_out("", item, ",", indent + len(INDENT), False))
        return [*lines, pad + last.string + tail]
    operands = _split_operators(expression, tokens, top)
    if operands is None:
        return [pad + head + expression + tail]
    if parenthesise and len(operands) == 2 and _ends_bracketed(operands, tokens):
        # One loosest operator and a bracketed end: ruff splits brackets rather than add parentheses.
        return _split_groups(head, expression, tail, tokens, top, indent)
    if parenthesise:
        if len(inner + expression) <= LINE_LENGTH:
            return [pad + head + "(", inner + expression, pad + ")" + tail]
        return [pad + head + "(", *_operand_lines(operands, inner), pad + ")" + tail]
    return [
        pad + head + operands[0],
        *(pad + operand for operand in operands[1:-1]),
        pad + operands[-1] + tail,
    ]


def _ends_bracketed(operands: list[str], tokens: list[tokenize.TokenInfo]) -> bool:
    """ruff's test for leaving the parentheses out: the first operand opens with a bracket, or the last
    ends with one (a call, a subscript, a list)."""
    return tokens[0].string in _OPENERS or (
        tokens[-1].string in _CLOSERS and operands[-1].rstrip().endswith(tuple(_CLOSERS))
    )


def _split_groups(
    head: str,
    expression: str,
    tail: str,
    tokens: list[tokenize.TokenInfo],
    top: list[tuple[int, tokenize.TokenInfo]],
    indent: int,
) -> list[str]:
    """Lay out the top-level bracket groups left to right like ruff's printer: a group stays on its line
    when the text up to the next place a line may break fits, else its contents go on lines of their own."""
    pad = " " * indent
    groups = [
        (token.start[1], tokens[_matching_close(tokens, index)].start[1])
        for index, token in top
        if token.type == tokenize.OP and token.string in _OPENERS
    ]
    lines: list[str] = []
    current, position = pad + head, 0
    for number, (opening, closing) in enumerate(groups):
        following = groups[number + 1][0] + 1 if number + 1 < len(groups) else len(expression)
        after = expression[closing + 1 : following] + ("" if number + 1 < len(groups) else tail)
        if len(current + expression[position : closing + 1] + after) <= LINE_LENGTH:
            current += expression[position : closing + 1]
        else:
            lines.append(current + expression[position : opening + 1])
            lines.extend(_bracket_body(expression[opening + 1 : closing], indent + len(INDENT)))
            current = pad + expression[closing]
        position = closing + 1
    return [*lines, current + expression[position:] + tail]


def _bracket_body(body: str, indent: int) -> list[str]:
    """The contents of a bracket that does not fit on its line: on one line if they fit, else one per line."""
    items = _split_commas(body)
    flat = ", ".join(items)
    if len(" " * indent + flat) <= LINE_LENGTH and not body.rstrip().endswith(","):
        return [" " * indent + flat]
    lines: list[str] = []
    for item in items:
        lines.extend(_lay_out("", item, ",", indent, False))
    return lines


def _operand_lines(operands: list[str], pad: str) -> list[str]:
    """One operand per line; an operand still too long splits at its own operators, at the same indent."""
    lines = []
    for operand in operands:
        if len(pad + operand) <= LINE_LENGTH:
            lines.append(pad + operand)
            continue
        operator, _, rest = (
            operand.partition(" ") if operand.split(" ", 1)[0] in _LEADERS else ("", "", operand)
        )
        tokens = _tokens(rest) or []
        inner = _split_operators(rest, tokens, _depth_zero(tokens)) if tokens else None
        if inner is None:
            lines.append(pad + operand)
            continue
        inner[0] = f"{operator} {inner[0]}" if operator else inner[0]
        lines.extend(_operand_lines(inner, pad))
    return lines


_LEADERS = {"and", "or", "in", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "//", "%"}


def _trailing_bracket(
    tokens: list[tokenize.TokenInfo], top: list[tuple[int, tokenize.TokenInfo]]
) -> int | None:
    """Index of the opening bracket of a call or display that spans to the end, with nothing looser around it."""
    leading_not = top[0][1].string == "not"  # `not (...)`: the parentheses still span the rest
    looser = [
        token
        for position, (_, token) in enumerate(top)
        if not (leading_not and position == 0)
        and (
            token.string in _OPERATOR_WORDS
            or (token.type == tokenize.OP and token.string in _OPERATOR_SYMBOLS)
        )
    ]
    if looser:
        return None
    openers = [
        index for index, token in top if token.type == tokenize.OP and token.string in _OPENERS
    ]
    return openers[-1] if openers and top[-1][0] == len(tokens) - 1 else None


_OPERATOR_WORDS = {"and", "or", "not", "in"}
_OPERATOR_SYMBOLS = {"==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "//", "%"}


def _matching_close(tokens: list[tokenize.TokenInfo], opening: int) -> int:
    depth = 0
    for index in range(opening, len(tokens)):
        if tokens[index].string in _OPENERS:
            depth += 1
        elif tokens[index].string in _CLOSERS:
            depth -= 1
            if depth == 0:
                return index
    return len(tokens) - 1


def _split_commas(body: str) -> list[str]:
    tokens = _tokens(body) or []
    cuts = [token.start[1] for _, token in _depth_zero(tokens) if token.string == ","]
    pieces, start = [], 0
    for cut in cuts:
        pieces.append(body[start:cut].strip())
        start = cut + 1
    pieces.append(body[start:].strip())
    return [piece for piece in pieces if piece]


def _split_operators(
    expression: str, tokens: list[tokenize.TokenInfo], top: list[tuple[int, tokenize.TokenInfo]]
) -> list[str] | None:
    """The operands of the loosest top-level operator, each after the first led by its operator."""
    boolean = [
        (token.start[1], token.string)
        for index, token in top
        if token.string in ("and", "or") and index > 0
    ]
    for level in _OPERATOR_LEVELS:
        positions = (
            boolean
            if level in (("or",), ("and",)) and boolean
            else [
                (token.start[1], token.string)
                for index, token in top
                if token.string in level
                and index > 0
                and not (token.string == "not" and tokens[index - 1].string != "in")
            ]
        )
        if level == ("not",) or not positions:
            continue
        pieces, start = [], 0
        for column, _operator in positions:
            pieces.append(expression[start:column].strip())
            start = column
        pieces.append(expression[start:].strip())
        return pieces
    return None
