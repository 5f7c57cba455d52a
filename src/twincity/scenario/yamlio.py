"""Safe YAML reading that remembers where every value came from.

Only PyYAML's safe loader is used: nothing in a scenario file is ever
evaluated, unpickled or turned into a Python object other than plain
mappings, lists, strings, numbers, booleans and null. Alongside the data, a
*line map* records the (file, line) of every key so that validation errors
can point at the offending line.

Reading is bounded, so a hostile or broken file is refused with one line
instead of hanging or exhausting memory: only regular files are opened (never
a FIFO, a device or a socket) and at most :data:`MAX_SCENARIO_BYTES` are read;
nesting deeper than :data:`MAX_DEPTH` levels, a recursive alias and a document
that expands (aliases counted every time they are used) to more than
:data:`MAX_NODES` values are refused before anything is built from them.

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

import copy
import functools
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from twincity.errors import InputError, ScenarioError

#: A field path inside a document: keys and list indices.
FieldPath = tuple[str | int, ...]
#: Where each field path was written: (file, 1-based line).
LineMap = dict[FieldPath, tuple[str, int]]

MAX_SCENARIO_BYTES = 20_000_000  # a scenario is text describing a city, not a data dump
#: Deepest nesting of mappings and lists (a scenario needs about six levels).
MAX_DEPTH = 64
#: Most values a document may expand to, each use of an alias counted again.
MAX_NODES = 1_000_000

_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    for test, name in _FILE_KINDS:
        if test(mode):
            return name
    return "not a regular file"


def read_input_bytes(path: str | Path, max_bytes: int, *, what: str = "file",
                     error: type[InputError] = ScenarioError) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, or one-line ``error``.

    The file is opened without blocking and checked to be a regular file
    before anything is read (a FIFO would block forever, ``/dev/zero`` never
    ends); at most ``max_bytes + 1`` bytes are read, so the size check holds
    even for a file that grows or lies about its size.
    """
    file = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(file, flags)
    except FileNotFoundError:
        raise error("file not found", file=file) from None
    except IsADirectoryError:
        raise error(f"expected a {what}, found a directory", file=file) from None
    except OSError as exc:
        raise error(f"cannot read file ({exc.strerror or exc})", file=file) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise error(f"expected a {what} (a regular file), found {_kind(mode)}", file=file)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise error(f"cannot read file ({exc.strerror or exc})", file=file) from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise error(f"file is larger than {max_bytes:,} bytes; expected a {what} "
                    "no larger than that", file=file)
    return b"".join(chunks)


def format_path(path: FieldPath) -> str:
    """``("zones", "list", 2, "population")`` → ``"zones.list[2].population"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def check_node_graph(root: yaml.Node, file: str) -> None:
    """Refuse recursive aliases, nesting beyond :data:`MAX_DEPTH` and expansion beyond
    :data:`MAX_NODES` (an "alias bomb"), without expanding anything.

    Every distinct node is visited once (iteratively, no recursion), its expanded
    size and depth computed from its children's.
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            if height[key] > MAX_DEPTH:
                raise ScenarioError(f"nesting deeper than {MAX_DEPTH} levels; expected a "
                                    "scenario-shaped document", file=file,
                                    line=node.start_mark.line + 1)
            if size[key] > MAX_NODES:
                raise ScenarioError(f"the document expands to more than {MAX_NODES:,} values "
                                    "(aliases repeating aliases?); expected a scenario-sized "
                                    "document", file=file, line=node.start_mark.line + 1)
            continue
        if key in size:
            continue
        if key in on_path:
            raise ScenarioError("recursive alias (an anchor used inside itself); expected a "
                                "document that ends", file=file, line=node.start_mark.line + 1)
        on_path.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in on_path:
                raise ScenarioError("recursive alias (an anchor used inside itself); expected "
                                    "a document that ends", file=file,
                                    line=child.start_mark.line + 1)
            if id(child) not in size:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


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
    """The safe loader, refusing duplicate keys (a silent overwrite hides mistakes),
    and nesting deeper than :data:`MAX_DEPTH` while composing (before recursion runs out).
    """

    _depth = 0
    file: str | None = None

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ScenarioError(f"nesting deeper than {MAX_DEPTH} levels; expected a "
                                    "scenario-shaped document", file=self.file,
                                    line=self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

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


# YAML 1.1 reads ``1e6`` (no dot) as text; a scenario means the number, and a unit alias
# (``duration_h: 1e1``) must scale it like any other number.
_UniqueKeySafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def read_yaml(path: Path) -> tuple[dict[str, Any], LineMap]:
    """Read one YAML mapping safely, with its line map.

    Raises :class:`ScenarioError` for a missing, empty, binary or syntactically
    broken file, or a document that is not a mapping.
    """
    file = str(path)
    raw = read_input_bytes(path, MAX_SCENARIO_BYTES, what="YAML file")
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
    data, lines = _parse_mapping(text, file)
    # the parse is cached on (text, file): hand out copies the caller may change
    return copy.deepcopy(data), dict(lines)


@functools.lru_cache(maxsize=64)
def _parse_mapping(text: str, file: str) -> tuple[dict[str, Any], LineMap]:
    """Parse ``text`` (of ``file``) into a mapping and its line map (see :func:`read_yaml`).

    Cached: an experiment loads the same scenario and policy files once per run, and
    parsing (a pure function of the text) was half of a small run's time. Errors are
    raised anew each time (``lru_cache`` keeps only results).
    """
    loader = _UniqueKeySafeLoader(text)
    loader.file = file
    try:
        node = loader.get_single_node()
        if node is not None:
            check_node_graph(node, file)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError(f"YAML syntax error: {problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"YAML error: {exc}", file=file) from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer of 5,000 digits
        problem = ("a number with more than 4,300 digits" if "digits" in str(exc)
                   else str(exc).split(";")[0])
        raise ScenarioError(f"YAML value error: {problem}; expected a plausible value",
                            file=file) from None
    except RecursionError:
        raise ScenarioError("document nested too deeply; expected a scenario-shaped document",
                            file=file) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        raise ScenarioError(f"expected a YAML mapping at the top level, found {kind}",
                            file=file, line=1)
    lines: LineMap = {}
    if node is not None:  # a document that is only a scalar or empty has no map
        _line_map(node, file, (), lines)
    return data, lines


def read_yaml_value(text: str, *, what: str) -> Any:
    """One YAML value from a command line (``--set key=VALUE``), with the same limits as files.

    ``what`` names the option in an error, e.g. ``"--set simulation.seed"``.
    """
    loader = _UniqueKeySafeLoader(text)
    loader.file = what
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_node_graph(node, what)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ScenarioError(f"YAML error in the value: {problem}", file=what) from None
    except (ValueError, OverflowError, RecursionError):
        raise ScenarioError("expected a plausible YAML value", file=what) from None
    finally:
        loader.dispose()


def locate(lines: LineMap, path: FieldPath, default_file: str | Path) -> dict[str, Any]:
    """``{"file", "line"}`` of field ``path``, or of its nearest located parent.

    >>> locate({("a",): ("s.yaml", 3)}, ("a", "b"), "s.yaml")
    {'file': 's.yaml', 'line': 3}
    >>> locate({}, ("a",), "s.yaml")
    {'file': 's.yaml', 'line': None}
    """
    for n in range(len(path), 0, -1):
        if path[:n] in lines:
            file, line = lines[path[:n]]
            return {"file": file, "line": line}
    return {"file": str(default_file), "line": None}
