"""The one way input is read and refused: strict parameter models, YAML files, one-line errors.

Every input file (scenario, calibration targets and parameters, sweep) is a YAML mapping checked
against a pydantic model whose fields are frozen and whose unknown fields are refused, so a
misspelt parameter never passes silently. Whatever is wrong is reported as one line naming the
file, each field and what is allowed, every problem at once, joined by ``; ``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class InputError(ValueError):
    """Input that cannot be used (a file, a field, a flag); the message is one line."""


class Strict(BaseModel):
    """A parameter object: unknown fields refused, immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def read_file(path: Path, what: str, error: type[InputError] = InputError) -> bytes:
    """The bytes of an input file, or one line saying why it cannot be read."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise error(f"{what} file not found: {path}") from None
    except IsADirectoryError:
        raise error(f"{what} path is a folder, not a YAML file: {path}") from None
    except OSError as exc:
        raise error(f"{what} file cannot be read: {path} ({exc.strerror})") from None


def yaml_mapping(raw: bytes, path: Path, error: type[InputError] = InputError) -> dict:
    """The YAML mapping in ``raw`` (read from ``path``), or one line saying what is wrong."""
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML ({first_line(str(exc))})") from None
    if not isinstance(data, dict):
        raise error(f"{path}: must be a YAML mapping of fields")
    return data


def read_yaml(path: Path, what: str, error: type[InputError] = InputError) -> dict:
    """Read and parse a YAML mapping file (:func:`read_file`, :func:`yaml_mapping`)."""
    return yaml_mapping(read_file(path, what, error), path, error)


def validate(schema: type[BaseModel] | TypeAdapter, data: object, source: str,
             error: type[InputError] = InputError, tags: tuple[str, ...] = ()) -> Any:
    """``data`` checked against ``schema`` (a model or a type adapter over a tagged union whose
    tag values are ``tags``); every problem in one line, prefixed with ``source``."""
    try:
        if isinstance(schema, TypeAdapter):
            return schema.validate_python(data)
        return schema.model_validate(data)
    except ValidationError as exc:
        root = schema if isinstance(schema, type) else None
        problems = [describe(e, root, tags) for e in exc.errors()]
        raise error(f"{source}: " + "; ".join(dict.fromkeys(problems))) from None


def describe(error: dict, root: type[BaseModel] | None, tags: tuple[str, ...] = ()) -> str:
    """One pydantic error as ``field.path: what is wrong (got ...)``."""
    parts = [p for p in error["loc"] if p not in tags]
    loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(root, tuple(parts[:-1])) if root else None
        allowed = ", ".join(model.model_fields) if model else "see the schema"
        return f"{loc}: unknown field; allowed here: {allowed}"
    if kind == "value_error":
        return first_line(str(error["ctx"]["error"]))
    message = error["msg"]
    if kind == "missing":
        return f"{loc}: missing (a required field)"
    return f"{loc}: {message} (got {_short(error.get('input'))})" if loc else message


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
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
