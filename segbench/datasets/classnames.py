"""Class-name files for ``--class-names``: ``.txt`` (one name per line, line i = class i),
``.json`` (a list of names, or an object ``{"id": "name"}``)."""

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
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FormatError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if isinstance(data, dict):
            names = [str(i) for i in range(num_classes)]
            for key, value in data.items():
                try:
                    i = int(key)
                except ValueError:
                    raise FormatError(f"{path}: key {key!r} is not a class id") from None
                if not 0 <= i < num_classes:
                    raise FormatError(f"{path}: class id {i} is outside [0, {num_classes})")
                names[i] = str(value)
            return names
        if not isinstance(data, list):
            raise FormatError(f"{path}: expected a JSON list of names or an object id -> name")
        names = [str(v) for v in data]
    else:
        names = [line.strip() for line in text.splitlines() if line.strip()]
    if len(names) != num_classes:
        raise FormatError(f"{path}: holds {len(names)} class names, expected {num_classes} (--num-classes)")
    return names
