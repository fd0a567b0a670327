"""The one way input is read and refused: strict parameter models, YAML files, one-line errors.

Every input file (scenario, calibration targets and parameters, sweep) is a YAML mapping checked
against a pydantic model whose fields are frozen and whose unknown fields are refused, so a
misspelt parameter never passes silently. Whatever is wrong is reported as one line naming the
file, each field and what is allowed, every problem at once, joined by ``; ``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

Real = Annotated[float, Field(strict=True)]
"""A number (an integer is taken as a float; a boolean or a string is refused)."""
Share = Annotated[float, Field(strict=True, ge=0.0, le=1.0)]
Positive = Annotated[float, Field(strict=True, gt=0.0)]
NonNegative = Annotated[float, Field(strict=True, ge=0.0)]
Count = Annotated[int, Field(strict=True, ge=0)]
"""A whole number >= 0 (``2.0``, ``true`` and ``"2"`` are refused)."""
# Bounds are added where a field is declared, in a form type checkers read:
# ``Annotated[Real, Field(ge=0, le=600)]``, ``Annotated[Count, Field(ge=1, le=600)]``.


MAX_YAML_VALUES = 1_000_000
"""The most values an input file may hold once its aliases are expanded (a guard against
"billion laughs" files, whose few hundred bytes expand to billions of values)."""
MAX_MESSAGE = 600
"""The longest error line: a message never echoes big input back."""
FOLLOWS = "follows"
"""The pydantic error type of a problem that only follows from another one (a budget that could
not be costed because the economics are refused): :func:`validate` reports it only when nothing
else is wrong."""


class InputError(ValueError):
    """Input that cannot be used (a file, a field, a flag); the message is one line of at most
    :data:`MAX_MESSAGE` characters, however much of the input it echoes (:func:`one_line`)."""

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(one_line(str(message)), *args)


class Strict(BaseModel):
    """A parameter object: unknown fields refused, every number finite, immutable once
    validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


MAX_FILE_BYTES = 16 * 2**20
"""The largest input file read (16 MB): the largest bundled input is a few kilobytes, and a
regions table of the 1,000-region limit takes well under one megabyte."""


def read_file(path: Path, what: str, error: type[InputError] = InputError,
              limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of an input file, or one line saying why it cannot be read.

    Only a regular file of at most ``limit`` bytes is read: a folder, a device (``/dev/zero``),
    a pipe or a socket is refused before it is opened, since reading one can block or never end
    (and, opened without waiting, it is refused again should it replace the file meanwhile), and
    the read stops after ``limit`` bytes, so a file that grows while it is read is refused too."""
    try:
        _check_regular(os.stat(path).st_mode, path, what, error)
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        try:
            _check_regular(os.fstat(handle).st_mode, path, what, error)
            chunks: list[bytes] = []
            size = 0
            while size <= limit:
                chunk = os.read(handle, min(limit + 1 - size, 2**20))
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(handle)
    except InputError:
        raise
    except ValueError:  # a NUL byte in the name
        raise error(f"{what} path is not a valid file name: {str(path)!r:.200}") from None
    except FileNotFoundError:
        raise error(f"{what} file not found: {path}") from None
    except OSError as exc:
        raise error(f"{what} file cannot be read: {path} ({exc.strerror})") from None
    raise error(f"{what} file is larger than {limit / 2**20:g} MB: {path}; an input file may "
                f"hold at most {limit / 2**20:g} MB")


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe"),
          (stat.S_ISSOCK, "a socket"))


def _check_regular(mode: int, path: Path, what: str, error: type[InputError]) -> None:
    """Refuse anything but a regular file, in one line naming what it is."""
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "a special file")
        raise error(f"{what} path is {kind}, not a regular file: {path}")


def yaml_mapping(raw: bytes, path: Path, error: type[InputError] = InputError) -> dict:
    """The YAML mapping in ``raw`` (read from ``path``), or one line saying what is wrong:
    invalid YAML, not UTF-8, a key given twice in one mapping, too deeply nested, or aliases
    that expand beyond :data:`MAX_YAML_VALUES` values."""
    try:
        loader = _Loader(raw)
        try:
            node = loader.get_single_node()
            if node is not None and _expanded_size(node, {}) > MAX_YAML_VALUES:
                raise error(f"{path}: holds more than {MAX_YAML_VALUES:,} values once its aliases "
                            "are expanded; write the values out")
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML ({first_line(str(exc))})") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not a UTF-8 text file") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply to be a parameter file") from None
    if not isinstance(data, dict):
        raise error(f"{path}: must be a YAML mapping of fields")
    return data


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (YAML keeps the last one,
    which would silently drop the first)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                continue  # refused by the schema (not a field name)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {str(key)[:80]!r} given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many values ``node`` stands for with every alias expanded (each node counted once
    per place it is used; computed once per distinct node)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = 1  # a recursive alias counts once while it is being sized
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    else:
        size = 1
    sizes[id(node)] = min(size, MAX_YAML_VALUES + 1)
    return sizes[id(node)]


def read_yaml(path: Path, what: str, error: type[InputError] = InputError) -> dict:
    """Read and parse a YAML mapping file (:func:`read_file`, :func:`yaml_mapping`)."""
    return yaml_mapping(read_file(path, what, error), path, error)


def validate(schema: type[BaseModel] | TypeAdapter, data: object, source: str,
             error: type[InputError] = InputError, tags: tuple[str, ...] = ()) -> Any:
    """``data`` checked against ``schema`` (a model or a type adapter over a tagged union whose
    tag values are ``tags``); every problem in one line, prefixed with ``source``.

    The cause comes first: a field's own problems (a wrong type, a bound, a missing or unknown
    field) are listed and the rest only counted; with none, the checks across fields (a window
    out of order, shares that do not sum to 1); only then the problems that follow from another
    (:data:`FOLLOWS`)."""
    try:
        if isinstance(schema, TypeAdapter):
            return schema.validate_python(data)
        return schema.model_validate(data)
    except ValidationError as exc:
        root = schema if isinstance(schema, type) else None
        errors = exc.errors()
        tiers = ([e for e in errors if e["type"] not in ("value_error", FOLLOWS)],
                 [e for e in errors if e["type"] == "value_error"],
                 [e for e in errors if e["type"] == FOLLOWS])
        shown = next(tier for tier in tiers if tier)
        problems = list(dict.fromkeys(describe(e, root, tags) for e in shown))
        count, rest = len(problems), len(errors) - len(shown)
        if rest:
            count += rest
            problems.append(f"and {rest} more problem{'s' if rest > 1 else ''} that may follow "
                            "from these")
        raise error(one_line(f"{source}: " + "; ".join(problems), count)) from None
    except RecursionError:
        raise error(f"{source}: nested too deeply to be a parameter file") from None


def one_line(message: str, problems: int = 1) -> str:
    """``message`` on one line, at most :data:`MAX_MESSAGE` characters."""
    message = " ".join(message.split())
    if len(message) <= MAX_MESSAGE:
        return message
    more = f" ... ({problems} problems in all)" if problems > 1 else " ..."
    return message[:MAX_MESSAGE - len(more)] + more


def describe(error: ErrorDetails, root: type[BaseModel] | None, tags: tuple[str, ...] = ()) -> str:
    """One pydantic error as ``field.path: what is wrong (got ...)``; names and values from the
    input are clipped, so a huge key or value never makes a huge line."""
    parts = [p for p in error["loc"] if p not in tags]
    loc = _clip("".join(f"[{p}]" if isinstance(p, int) else f".{_clip(str(p), 80)}"
                        for p in parts).lstrip("."))
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(root, tuple(parts[:-1])) if root else None
        allowed = ", ".join(model.model_fields) if model else "see the schema"
        return f"{loc}: unknown field; allowed here: {allowed}"
    if kind == "value_error":
        return _clip(first_line(str(error["ctx"]["error"])))
    if kind == FOLLOWS:
        return _clip(error["msg"])
    message = error["msg"]
    if kind == "missing":
        return f"{loc}: missing (a required field)"
    return f"{loc}: {message} (got {_short(error.get('input'))})" if loc else message


def _short(value: object, limit: int = 60) -> str:
    if isinstance(value, dict | list) and len(value) > 10:
        return f"a {type(value).__name__} of {len(value)} items"
    return _clip(repr(value), limit)


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        inner = getattr(annotation, "__args__", None)
        candidates = inner if inner else (annotation,)
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return None
        model = nested[0]
    return model


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
