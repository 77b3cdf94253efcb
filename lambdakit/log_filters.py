"""CloudWatch Logs filter patterns, parsed and matched as AWS documents them.

The syntax is the one ``FilterLogEvents`` (and metric filters, subscription filters and
Live Tail) accept on AWS ("Filter pattern syntax for metric filters, subscription filters,
filter log events, and Live Tail" in the CloudWatch Logs user guide). Three forms:

**Terms**, for any message. Every plain term must appear (case-sensitive), ``"quoted
phrases"`` may hold spaces and punctuation, ``-term`` excludes, ``?`` starts an alternative
(``?ERROR ?WARN``: either; ``?ERROR MainThread ?WARN Deadlock``: ERROR with MainThread, or WARN
with Deadlock), ``%regex%`` alone is a regular expression, and an empty pattern matches all:

>>> matches('ERROR 404', '[ERROR] 404 Not Found')
True
>>> matches('ERROR -Timeout', 'ERROR Timeout after 3s')
False
>>> matches('?ERROR ?WARN', 'WARN disk 91% full')
True
>>> matches('"Task timed out"', 'Task timed out after 3.00 seconds')
True
>>> matches('', 'anything')
True

**JSON**, ``{ ... }``: only a message that is a JSON object or array can match. Selectors
``$.a.b[0]``; ``=`` and ``!=`` against strings (``*`` is a wildcard, ``%regex%`` a regular
expression) or numbers; ``<``, ``>``, ``<=``, ``>=`` against numbers; ``IS NULL``,
``NOT EXISTS``, ``IS TRUE``, ``IS FALSE``; ``&&``, ``||`` and parentheses:

>>> matches('{ $.level = "ERROR" }', '{"level": "ERROR", "ms": 12}')
True
>>> matches('{ $.level = "ERROR" }', 'level = "ERROR"')      # not JSON: never matches
False
>>> matches('{ ($.ms > 10 && $.ms <= 20) || $.user.id NOT EXISTS }', '{"ms": 12, "user": {}}')
True
>>> matches('{ $.items[1].sku = "B*" }', '{"items": [{"sku": "A1"}, {"sku": "B2"}]}')
True

**Space-delimited**, ``[ ... ]``: the message is split on spaces (text in ``"..."`` or
``[...]`` is one field), fields are named in order, ``...`` stands for any number of fields,
and a field may carry conditions (joined by ``&&`` or ``||``):

>>> matches('[ip, user, ..., status = 4*, bytes > 1000]',
...         '10.0.0.1 frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 404 2326')
True
>>> matches('[ip, user, status]', '10.0.0.1 frank')           # three fields wanted
False

A pattern AWS would refuse raises :class:`InvalidFilterPattern` (FilterLogEvents answers
``InvalidParameterException: Invalid filter pattern``):

>>> compile_pattern('{ $.level = "ERROR" ')          # doctest: +ELLIPSIS
Traceback (most recent call last):
...
lambdakit.log_filters.InvalidFilterPattern: Invalid filter pattern (a JSON pattern ...)

Regular expressions are held to AWS's documented subset (letters, digits, ``_#=@/;,-:`` and
the operators ``^$?[]{}|\\*+.``: no parentheses, no spaces) and to two per JSON or
space-delimited pattern, then run by Python's ``re``. Not implemented: metric-value extraction
(``$.field`` / ``$field`` in metric transformations) and ``$.*`` or ``[*]`` selectors.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any, Callable

#: the message AWS gives for every pattern it cannot parse (InvalidParameterException)
ERROR_MESSAGE = "Invalid filter pattern"

_MISSING = object()
Matcher = Callable[[str], bool]


class InvalidFilterPattern(ValueError):
    """A pattern AWS refuses; ``str()`` is AWS's message plus, in parentheses, why."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"{ERROR_MESSAGE} ({reason})")


@dataclass(frozen=True)
class FilterPattern:
    """A compiled pattern: ``kind`` is ``"all"``, ``"terms"``, ``"json"`` or ``"space"``.

    >>> compile_pattern('ERROR').matches('ERROR: boom')
    True
    """
    source: str
    kind: str
    _match: Matcher

    def matches(self, message: str) -> bool:
        """Whether one log event's message matches."""
        return self._match(message)


def matches(pattern: str, message: str) -> bool:
    """Whether ``message`` matches ``pattern`` (see the module docstring for the syntax)."""
    return compile_pattern(pattern).matches(message)


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str | None) -> FilterPattern:
    """Parse ``pattern`` once; raise :class:`InvalidFilterPattern` where AWS would refuse it.

    >>> compile_pattern('{ $.ms > 100 }').kind
    'json'
    >>> compile_pattern('email@example.com')        # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lambdakit.log_filters.InvalidFilterPattern: Invalid filter pattern (invalid character(s) ...)
    """
    text = (pattern or "").strip()
    if not text:
        return FilterPattern(pattern or "", "all", lambda message: True)
    if text.startswith("{"):
        if not text.endswith("}"):
            raise InvalidFilterPattern("a JSON pattern starting with '{' must end with '}'")
        return FilterPattern(pattern, "json", _compile_json(text[1:-1]))
    if text.startswith("["):
        if not text.endswith("]"):
            raise InvalidFilterPattern(
                "a space-delimited pattern starting with '[' must end with ']'")
        return FilterPattern(pattern, "space", _compile_space(text[1:-1]))
    return FilterPattern(pattern, "terms", _compile_terms(text))


# --- values shared by the three forms ---------------------------------------------------

_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


def _number(text: str) -> float | None:
    return float(text) if _NUMBER.match(text) else None


def _wildcard(value: str) -> Callable[[str], bool]:
    """``*`` matches any run of characters; everything else is literal (whole-string match)."""
    if "*" not in value:
        return lambda text: text == value
    regex = re.compile(".*".join(re.escape(part) for part in value.split("*")), re.DOTALL)
    return lambda text: regex.fullmatch(text) is not None


#: what AWS lets a %regex% hold: letters, digits, these symbols and these operators
_REGEX_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                         "_#=@/;,-:" "^$?[]{}|\\*+.")


def _regex(body: str) -> re.Pattern[str]:
    """Compile ``%body%``, holding it to AWS's documented subset (no parentheses, no spaces,
    no multi-byte characters; any character may follow a backslash)."""
    if not body:
        raise InvalidFilterPattern("empty regular expression")
    escaped = False
    for char in body:
        if escaped:
            escaped = False
            if not char.isascii() or not char.isprintable():
                raise InvalidFilterPattern(f"unsupported character {char!r} in %{body}%")
        elif char == "\\":
            escaped = True
        elif char not in _REGEX_CHARS:
            raise InvalidFilterPattern(f"unsupported character {char!r} in %{body}%")
    try:
        return re.compile(body)
    except re.error as exc:
        raise InvalidFilterPattern(f"invalid regular expression %{body}%: {exc}") from None


def _unquote(token: str) -> str:
    body = token[1:-1]
    return re.sub(r'\\(.)', r'\1', body)


# --- terms ------------------------------------------------------------------------------

_TERM_TOKEN = re.compile(r'([?-]?)("(?:[^"\\]|\\.)*"|[^\s"]+)')
_BARE_TERM = re.compile(r"[A-Za-z0-9_]+$")


def _compile_terms(text: str) -> Matcher:
    """``ERROR "two words" -excluded``, ``?ERROR ?WARN`` or one standalone ``%regex%``.

    A ``?`` starts an alternative: ``?ERROR MainThread ?WARN Deadlock`` matches ERROR with
    MainThread, or WARN with Deadlock (what the AWS CDK's ``FilterPattern.anyTermGroup``
    writes); the terms before the first ``?`` are an alternative of their own.
    """
    if len(text) >= 2 and text[0] == "%" and text[-1] == "%":
        regex = _regex(text[1:-1])
        return lambda message: regex.search(message) is not None
    groups: list[tuple[list[str], list[str]]] = []   # (required, excluded) per alternative
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        found = _TERM_TOKEN.match(text, pos)
        if not found:
            raise InvalidFilterPattern(f"invalid character(s) in term {text[pos:].split()[0]!r}")
        pos = found.end()
        if pos < len(text) and not text[pos].isspace():
            raise InvalidFilterPattern(
                f"invalid character(s) in term {text[found.start():].split()[0]!r}")
        prefix, token = found.groups()
        if token.startswith('"'):
            term = _unquote(token)
            if not term:
                raise InvalidFilterPattern("invalid character(s) in term '\"\"'")
        elif _BARE_TERM.match(token):
            term = token
        else:
            raise InvalidFilterPattern(f"invalid character(s) in term {token!r}: quote it")
        if prefix == "?" or not groups:
            groups.append(([], []))
        groups[-1][1 if prefix == "-" else 0].append(term)

    def match(message: str) -> bool:
        return any(all(t in message for t in required)
                   and not any(t in message for t in excluded)
                   for required, excluded in groups)
    return match


# --- a small tokenizer for the JSON and space-delimited forms ---------------------------

_TOKEN = re.compile(r'''\s*(
      "(?:[^"\\]|\\.)*"          # quoted string
    | %(?:[^%\\]|\\.)*%          # regular expression
    | &&|\|\||!=|<=|>=|=|<|>|\(|\)|,
    | [^\s"%&|!=<>(),]+           # a selector, name, number or bare value
)''', re.VERBOSE)


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        found = _TOKEN.match(text, pos)
        if not found:
            raise InvalidFilterPattern(f"unexpected {text[pos:].strip()[:20]!r}")
        out.append(found.group(1))
        pos = found.end()
    return out


_OPS = {"=", "!=", "<", ">", "<=", ">="}


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.i = 0
        self.regexes = 0

    def done(self) -> None:
        """Check the whole pattern was read, and AWS's limit of two regular expressions."""
        if self.peek() is not None:
            raise InvalidFilterPattern(f"unexpected {self.peek()!r}")
        if self.regexes > 2:
            raise InvalidFilterPattern("more than 2 regular expressions in one pattern")

    def peek(self, offset: int = 0) -> str | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise InvalidFilterPattern("the pattern ends too early")
        self.i += 1
        return token

    def expect(self, token: str) -> None:
        if self.take() != token:
            raise InvalidFilterPattern(f"expected {token!r}")

    def value(self, op: str) -> Callable[[Any], bool]:
        """The right-hand side of a comparison, as a test of the (decoded) left-hand value."""
        raw = self.take()
        if raw in _OPS or raw in {"&&", "||", "(", ")", ","}:
            raise InvalidFilterPattern(f"a value is missing after {op!r}")
        if op in {"<", ">", "<=", ">="}:
            limit = _number(raw)
            if limit is None:
                raise InvalidFilterPattern(f"{op} needs a number, not {raw!r}")
            compare = {"<": float.__lt__, ">": float.__gt__,
                       "<=": float.__le__, ">=": float.__ge__}[op]
            return lambda v: (v := _as_number(v)) is not None and compare(v, limit)
        if raw.startswith("%"):
            self.regexes += 1
            regex = _regex(raw[1:-1])
            test = lambda v: (t := _as_text(v)) is not None and regex.search(t) is not None
        elif raw.startswith('"'):
            text_test = _wildcard(_unquote(raw))
            test = lambda v: (t := _as_text(v)) is not None and text_test(t)
        else:
            number = _number(raw)
            text_test = _wildcard(raw)
            if number is not None:   # a number equals a number (or a field that reads as one)
                test = lambda v: (n := _as_number(v)) is not None and n == number
            else:
                test = lambda v: (t := _as_text(v)) is not None and text_test(t)
        if op == "!=":
            return lambda v: v is not _MISSING and v is not None and not test(v)
        return lambda v: v is not _MISSING and test(v)


def _as_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or value is _MISSING:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return _number(value.strip())
    return None


# --- JSON -------------------------------------------------------------------------------

_SELECTOR = re.compile(r"\$((?:\.[^.\[\]\s]+|\[\d+\])+)$")
_STEP = re.compile(r"\.([^.\[\]\s]+)|\[(\d+)\]")


def _selector(token: str) -> Callable[[Any], Any]:
    """``$.a.b[0]`` as a function from a decoded document to the value (or ``_MISSING``)."""
    if not _SELECTOR.match(token):
        raise InvalidFilterPattern(f"invalid selector {token!r} (selectors look like $.a.b[0])")
    steps: list[str | int] = [name if name else int(index)
                              for name, index in _STEP.findall(token[1:])]

    def get(document: Any) -> Any:
        for step in steps:
            if isinstance(step, int):
                if not isinstance(document, list) or step >= len(document):
                    return _MISSING
            elif not isinstance(document, dict) or step not in document:
                return _MISSING
            document = document[step]
        return document
    return get


def _compile_json(body: str) -> Matcher:
    parser = _Parser(body)
    if parser.peek() is None:
        raise InvalidFilterPattern("an empty JSON pattern")

    def disjunction() -> Callable[[Any], bool]:
        parts = [conjunction()]
        while parser.peek() == "||":
            parser.take()
            parts.append(conjunction())
        return parts[0] if len(parts) == 1 else (lambda d: any(p(d) for p in parts))

    def conjunction() -> Callable[[Any], bool]:
        parts = [unary()]
        while parser.peek() == "&&":
            parser.take()
            parts.append(unary())
        return parts[0] if len(parts) == 1 else (lambda d: all(p(d) for p in parts))

    def unary() -> Callable[[Any], bool]:
        if parser.peek() == "(":
            parser.take()
            inner = disjunction()
            parser.expect(")")
            return inner
        get = _selector(parser.take())
        word = parser.take()
        if word.upper() == "IS":
            what = parser.take().upper()
            if what == "NULL":
                return lambda d: get(d) is None
            if what in {"TRUE", "FALSE"}:
                wanted = what == "TRUE"
                return lambda d: get(d) is wanted
            raise InvalidFilterPattern(f"IS {what}: only IS NULL, IS TRUE and IS FALSE exist")
        if word.upper() == "NOT":
            if parser.take().upper() != "EXISTS":
                raise InvalidFilterPattern("NOT must be followed by EXISTS")
            return lambda d: get(d) is _MISSING
        if word not in _OPS:
            raise InvalidFilterPattern(f"expected a comparison after the selector, not {word!r}")
        test = parser.value(word)
        return lambda d: test(get(d))

    expression = disjunction()
    parser.done()

    def match(message: str) -> bool:
        try:
            document = json.loads(message)
        except ValueError:
            return False
        return isinstance(document, (dict, list)) and expression(document)
    return match


# --- space-delimited --------------------------------------------------------------------

_FIELD_NAME = re.compile(r"[A-Za-z0-9_-]+$")   # as the AWS CDK checks column names
_MESSAGE_FIELD = re.compile(r'"[^"]*"|\[[^\]]*\]|\S+')


def _message_fields(message: str) -> list[str]:
    """Split on spaces; ``"a b"`` and ``[a b]`` are one field each (without the brackets)."""
    fields = []
    for token in _MESSAGE_FIELD.findall(message):
        if len(token) >= 2 and (token[0], token[-1]) in {('"', '"'), ("[", "]")}:
            token = token[1:-1]
        fields.append(token)
    return fields


def _compile_space(body: str) -> Matcher:
    parser = _Parser(body)
    columns: list[str | None] = []   # a name, or None for '...'
    conditions: list[Callable[[dict[str, str]], bool]] = []
    names: set[str] = set()

    def condition() -> tuple[str, Callable[[dict[str, str]], bool]]:
        name = parser.take()
        if not _FIELD_NAME.match(name):
            raise InvalidFilterPattern(f"invalid field name {name!r}")
        op = parser.take()
        if op not in _OPS:
            raise InvalidFilterPattern(f"expected a comparison after {name!r}, not {op!r}")
        test = parser.value(op)
        return name, lambda fields: test(fields.get(name, _MISSING))

    while parser.peek() is not None:
        name = parser.take()
        if name == "...":
            columns.append(None)
        elif _FIELD_NAME.match(name):
            if name in names:
                raise InvalidFilterPattern(f"field {name!r} named twice")
            names.add(name)
            columns.append(name)
            if parser.peek() in _OPS:
                parser.i -= 1
                groups: list[list[Callable[[dict[str, str]], bool]]] = [[condition()[1]]]
                while parser.peek() in {"&&", "||"}:
                    joiner = parser.take()
                    referenced, test = condition()
                    if referenced not in names:
                        raise InvalidFilterPattern(
                            f"condition on field {referenced!r} before it is named")
                    if joiner == "&&":
                        groups[-1].append(test)
                    else:
                        groups.append([test])
                conditions.append(lambda f, g=groups: any(all(t(f) for t in grp) for grp in g))
        else:
            raise InvalidFilterPattern(f"invalid field {name!r}")
        if parser.peek() is not None:
            parser.expect(",")
            if parser.peek() is None:
                raise InvalidFilterPattern("a field is missing after the last ','")
    if not columns:
        raise InvalidFilterPattern("an empty space-delimited pattern")
    parser.done()

    def bind(fields: list[str], i: int, c: int, bound: dict[str, str]) -> bool:
        if c == len(columns):
            return i == len(fields) and all(test(bound) for test in conditions)
        if columns[c] is None:   # '...': any number of fields
            return any(bind(fields, j, c + 1, bound) for j in range(i, len(fields) + 1))
        if i == len(fields):
            return False
        bound[columns[c]] = fields[i]  # type: ignore[index]
        return bind(fields, i + 1, c + 1, bound)

    return lambda message: bind(_message_fields(message), 0, 0, {})
