"""Class-name files for ``--class-names``: ``.txt`` (one name per line, line i = class i; blank
lines only at the end), ``.json`` (a list of names, or an object ``{"id": "name"}``; names are
non-empty strings, each id given once)."""

from __future__ import annotations

import json
from pathlib import Path

from segbench.errors import FormatError


def load_class_names(path: str | Path, num_classes: int) -> list[str]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError(f"{path}: class-names file does not exist") from None
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
                          f"expected a .txt or .json file of class names") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read the class-names file ({exc.strerror or exc})") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FormatError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if isinstance(data, dict):
            names = [str(i) for i in range(num_classes)]
            seen: dict[int, str] = {}
            for key, value in data.items():
                try:
                    i = int(key)
                except ValueError:
                    raise FormatError(f"{path}: key {key!r} is not a class id") from None
                if not 0 <= i < num_classes:
                    raise FormatError(f"{path}: class id {i} is outside [0, {num_classes})")
                if i in seen:
                    raise FormatError(f"{path}: class id {i} is given twice (keys {seen[i]!r} and {key!r})")
                seen[i] = key
                names[i] = _name(value, path, f"class {key!r}")
            return names
        if not isinstance(data, list):
            raise FormatError(f"{path}: expected a JSON list of names or an object id -> name")
        names = [_name(v, path, f"entry {k}") for k, v in enumerate(data)]
    else:
        lines = [line.strip() for line in text.splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        blank = [k for k, line in enumerate(lines) if not line]
        if blank:
            raise FormatError(f"{path}: line {blank[0] + 1} is blank; expected one class name per line "
                              f"(line i = class i-1), blank lines only at the end")
        names = lines
    if len(names) != num_classes:
        raise FormatError(f"{path}: holds {len(names)} class names, expected {num_classes} (--num-classes)")
    return names


def _name(value, path: Path, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FormatError(f"{path}: {where} has name {value!r}, expected a non-empty string")
    return value
