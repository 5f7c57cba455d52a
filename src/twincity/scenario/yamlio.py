"""Safe YAML reading that remembers where every value came from.

Only PyYAML's safe loader is used: nothing in a scenario file is ever
evaluated, unpickled or turned into a Python object other than plain
mappings, lists, strings, numbers, booleans and null. Alongside the data, a
*line map* records the (file, line) of every key so that validation errors
can point at the offending line.

Example:
    >>> from pathlib import Path
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "a.yaml"
    >>> _ = p.write_text("city:\\n  name: Oz\\n")
    >>> data, lines = read_yaml(p)
    >>> data, lines[("city", "name")][1]
    ({'city': {'name': 'Oz'}}, 2)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from twincity.errors import ScenarioError

#: A field path inside a document: keys and list indices.
FieldPath = tuple[str | int, ...]
#: Where each field path was written: (file, 1-based line).
LineMap = dict[FieldPath, tuple[str, int]]

MAX_SCENARIO_BYTES = 20_000_000  # a scenario is text describing a city, not a data dump


def format_path(path: FieldPath) -> str:
    """``("zones", "list", 2, "population")`` → ``"zones.list[2].population"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _line_map(node: yaml.Node, file: str, prefix: FieldPath, out: LineMap) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            path = (*prefix, key)
            out[path] = (file, key_node.start_mark.line + 1)
            _line_map(value_node, file, path, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            path = (*prefix, i)
            out[path] = (file, item.start_mark.line + 1)
            _line_map(item, file, path, out)


class _UniqueKeySafeLoader(yaml.SafeLoader):
    """The safe loader, refusing duplicate keys (a silent overwrite hides mistakes)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}' (first on line {seen[key]})",
                    key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> tuple[dict[str, Any], LineMap]:
    """Read one YAML mapping safely, with its line map.

    Raises :class:`ScenarioError` for a missing, empty, binary or syntactically
    broken file, or a document that is not a mapping.
    """
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError("file not found", file=file) from None
    except IsADirectoryError:
        raise ScenarioError("expected a YAML file, found a directory", file=file) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read file ({exc.strerror})", file=file) from None
    if len(raw) > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"file is larger than {MAX_SCENARIO_BYTES} bytes; "
                            "expected a scenario text file", file=file)
    if b"\x00" in raw:
        raise ScenarioError("binary file; expected a YAML text file", file=file)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not UTF-8 text (byte {exc.start}); expected a YAML text file",
                            file=file) from None
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        raise ScenarioError("file is empty; expected a YAML mapping with a 'city' section",
                            file=file)
    loader = _UniqueKeySafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError(f"YAML syntax error: {problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"YAML error: {exc}", file=file) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        raise ScenarioError(f"expected a YAML mapping at the top level, found {kind}",
                            file=file, line=1)
    lines: LineMap = {}
    _line_map(node, file, (), lines)
    return data, lines
