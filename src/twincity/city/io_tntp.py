"""Read the TNTP transportation-network test problems (Bar-Gera's format).

Three files make a TNTP problem: ``*_net.tntp`` (links with BPR parameters),
``*_trips.tntp`` (an origin–destination demand matrix) and, for many problems,
``*_flow.tntp`` (the best-known user-equilibrium link flows).

Units. TNTP leaves units open (Sioux Falls' free-flow times are 0.01 h, its
lengths arbitrary). The reader therefore keeps the file's own numbers and
multiplies times by ``time_unit_s`` and lengths by ``length_unit_m`` (both 1
by default), so costs and flows come out in the file's units and can be
compared with published solutions directly. ``speed_mps`` is derived as
length / free-flow time only so that the :class:`Network` stays valid; it has
no physical meaning unless both factors are set. Node coordinates are not in
the network file: ``node_x_m``/``node_y_m`` are zero.

Zones are the nodes numbered ``1..zones``; nodes numbered below
``<FIRST THRU NODE>`` are centroids that paths may end at but not pass through
(:meth:`TntpMeta.no_through`).

Example:
    >>> net, meta = read_tntp_network("SiouxFalls_net.tntp")        # doctest: +SKIP
    >>> demand = read_tntp_trips("SiouxFalls_trips.tntp")           # doctest: +SKIP
    >>> net.n_links, meta.zones, demand.shape                       # doctest: +SKIP
    (76, 24, (24, 24))
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twincity.city.network import Network
from twincity.errors import InputError
from twincity.vocab import ARTERIAL

#: Columns of a TNTP link line, in file order.
NET_COLUMNS: tuple[str, ...] = (
    "init_node", "term_node", "capacity", "length", "free_flow_time", "b", "power",
    "speed", "toll", "link_type",
)
_REQUIRED_NET_COLUMNS = 7  # up to "power"; speed, toll and link_type default to 0

_META = re.compile(r"^\s*<([^>]+)>(.*)$")
_TINY = 1e-9  # stands in for zero lengths/times so that the Network stays valid


@dataclass(frozen=True)
class TntpMeta:
    """Metadata of a TNTP network file.

    ``toll_factor`` and ``distance_factor`` are TNTP's generalized-cost weights
    (cost = time + toll_factor·toll + distance_factor·length), 0 when the file
    does not give them. ``raw`` holds every ``<KEY> value`` line as read.
    """

    zones: int
    first_thru_node: int
    toll_factor: float = 0.0
    distance_factor: float = 0.0
    time_unit_s: float = 1.0
    length_unit_m: float = 1.0
    raw: dict[str, str] = field(default_factory=dict)

    def zone_nodes(self, net: Network) -> np.ndarray:
        """Node index of each zone (zone ``z`` is the node numbered ``z + 1``)."""
        return node_index(net, np.arange(1, self.zones + 1))

    def no_through(self, net: Network) -> np.ndarray:
        """Boolean node mask of centroids paths may end at but not pass through."""
        return np.asarray(net.node_id < self.first_thru_node)


def node_index(net: Network, ids: np.ndarray) -> np.ndarray:
    """Indices of the nodes with file numbers ``ids`` (``ValueError`` if unknown).

    Example: ``node_index(net, np.array([1, 2]))`` → ``array([0, 1])`` for Sioux Falls.
    """
    idx = _index_or_minus_one(net, ids)
    if np.any(idx < 0):
        missing = np.asarray(ids)[idx < 0]
        raise ValueError(f"unknown node numbers {missing[:5].tolist()}")
    return idx.astype(np.int32)


def link_index(net: Network, from_id: np.ndarray, to_id: np.ndarray) -> np.ndarray:
    """Index of the link from node number ``from_id`` to ``to_id``, -1 where none.

    Parallel links map to the lowest-numbered one.
    Example: ``link_index(net, np.array([1]), np.array([2]))`` → ``array([0])``.
    """
    f = _index_or_minus_one(net, from_id)
    t = _index_or_minus_one(net, to_id)
    out = np.full(len(f), -1, dtype=np.int64)
    if net.n_links == 0 or len(f) == 0:
        return out
    n = net.n_nodes
    key = net.link_from.astype(np.int64) * n + net.link_to
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    want = f * n + t
    pos = np.clip(np.searchsorted(sorted_key, want), 0, len(sorted_key) - 1)
    found = (f >= 0) & (t >= 0) & (sorted_key[pos] == want)
    out[found] = order[pos[found]]
    return out


def _index_or_minus_one(net: Network, ids: np.ndarray) -> np.ndarray:
    """Node index of each file node number, -1 where the number is unknown."""
    ids = np.atleast_1d(np.asarray(ids, dtype=np.int64))
    out = np.full(len(ids), -1, dtype=np.int64)
    if net.n_nodes == 0:
        return out
    order = np.argsort(net.node_id, kind="stable")
    sorted_ids = net.node_id[order]
    pos = np.clip(np.searchsorted(sorted_ids, ids), 0, len(sorted_ids) - 1)
    hit = sorted_ids[pos] == ids
    out[hit] = order[pos[hit]]
    return out


# ------------------------------------------------------------------ reading
def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(1-based line number, text) of a file; unreadable files → InputError."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            yield from enumerate(fh, start=1)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=path) from exc


def _split_metadata(path: Path) -> tuple[dict[str, tuple[str, int]], list[tuple[int, str]]]:
    """Metadata ``<KEY> value`` lines (up to ``<END OF METADATA>``) and the rest."""
    meta: dict[str, tuple[str, int]] = {}
    body: list[tuple[int, str]] = []
    in_meta = True
    for no, text in _lines(path):
        if in_meta:
            m = _META.match(text)
            if m:
                key = m.group(1).strip().upper()
                if key == "END OF METADATA":
                    in_meta = False
                else:
                    meta[key] = (m.group(2).strip(), no)
                continue
            if text.strip() and not text.lstrip().startswith("~"):
                in_meta = False  # data without an explicit end of metadata
            else:
                continue
        body.append((no, text))
    return meta, body


def _meta_number(meta: dict[str, tuple[str, int]], key: str, path: Path, *,
                 integer: bool, default: float | None = None) -> float | int | None:
    if key not in meta:
        if default is None:
            return None
        return default
    value, no = meta[key]
    token = value.split()[0] if value.split() else ""
    try:
        number = float(token)
        if integer:
            if not number.is_integer():
                raise ValueError
            return int(number)
        return number
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise InputError(f"expected {kind} after <{key}>, got {value!r}", file=path,
                         line=no, path=key) from None


def _data_fields(text: str) -> list[str]:
    """The whitespace-separated fields of a data line, without the ``;`` terminator."""
    text = text.split("~", 1)[0]
    return text.replace(";", " ").split()


def read_tntp_network(path: str | Path, *, time_unit_s: float = 1.0,
                      length_unit_m: float = 1.0) -> tuple[Network, TntpMeta]:
    """Read a ``*_net.tntp`` file into a :class:`Network` and its :class:`TntpMeta`.

    ``capacity`` → ``capacity_vph``, ``free_flow_time`` × ``time_unit_s`` →
    ``free_flow_s``, ``length`` × ``length_unit_m`` → ``length_m``, ``b`` →
    ``bpr_alpha``, ``power`` → ``bpr_beta``, ``toll`` → ``toll``, one lane per
    link, ``node_id`` = the file's node numbers (sorted; gaps allowed).

    Example:
        >>> net, meta = read_tntp_network("SiouxFalls_net.tntp")  # doctest: +SKIP
        >>> meta.zones, meta.first_thru_node, float(net.free_flow_s[0])  # doctest: +SKIP
        (24, 1, 6.0)
    """
    path = Path(path)
    if time_unit_s <= 0 or length_unit_m <= 0:
        raise ValueError("time_unit_s and length_unit_m must be positive")
    meta_lines, body = _split_metadata(path)
    zones = _meta_number(meta_lines, "NUMBER OF ZONES", path, integer=True)
    if zones is None:
        raise InputError("expected a <NUMBER OF ZONES> metadata line", file=path)
    first_thru = _meta_number(meta_lines, "FIRST THRU NODE", path, integer=True, default=1)
    n_links_decl = _meta_number(meta_lines, "NUMBER OF LINKS", path, integer=True)
    n_nodes_decl = _meta_number(meta_lines, "NUMBER OF NODES", path, integer=True)
    toll_factor = _meta_number(meta_lines, "TOLL FACTOR", path, integer=False, default=0.0)
    distance_factor = _meta_number(meta_lines, "DISTANCE FACTOR", path, integer=False,
                                   default=0.0)
    if zones < 0:
        raise InputError(f"expected a non-negative <NUMBER OF ZONES>, got {zones}", file=path,
                         line=meta_lines["NUMBER OF ZONES"][1], path="NUMBER OF ZONES")

    rows: list[list[float]] = []
    line_of: list[int] = []
    for no, text in body:
        stripped = text.strip()
        if not stripped or stripped.startswith("~"):
            continue
        fields = _data_fields(stripped)
        if not fields:
            continue
        if len(fields) < _REQUIRED_NET_COLUMNS:
            raise InputError(
                f"expected at least {_REQUIRED_NET_COLUMNS} columns "
                f"({' '.join(NET_COLUMNS[:_REQUIRED_NET_COLUMNS])}), got {len(fields)}",
                file=path, line=no)
        row: list[float] = []
        for name, token in zip(NET_COLUMNS, fields, strict=False):
            try:
                row.append(float(token))
            except ValueError:
                raise InputError(f"expected a number, got {token!r}", file=path,
                                 line=no, path=name) from None
        row.extend([0.0] * (len(NET_COLUMNS) - len(row)))
        rows.append(row)
        line_of.append(no)
    if not rows:
        raise InputError("expected link lines after the metadata, found none", file=path)
    data = np.asarray(rows, dtype=np.float64)
    lines = np.asarray(line_of)
    if n_links_decl is not None and n_links_decl != len(rows):
        raise InputError(f"<NUMBER OF LINKS> says {n_links_decl} but the file has "
                         f"{len(rows)} link lines", file=path,
                         line=meta_lines["NUMBER OF LINKS"][1], path="NUMBER OF LINKS")

    def bad(mask: np.ndarray, column: str, expected: str) -> None:
        if np.any(mask):
            i = int(np.flatnonzero(mask)[0])
            value = data[i, NET_COLUMNS.index(column)]
            raise InputError(f"expected {expected}, got {value:g}", file=path,
                             line=int(lines[i]), path=column)

    ends = data[:, :2]
    for j, column in enumerate(("init_node", "term_node")):
        col = data[:, j]
        bad(~np.isfinite(col) | (col != np.round(col)) | (col < 1), column,
            "a positive integer node number")
    capacity = data[:, NET_COLUMNS.index("capacity")]
    bad(~np.isfinite(capacity) | (capacity <= 0), "capacity", "a positive number")
    for column in ("length", "free_flow_time", "b", "power", "toll"):
        col = data[:, NET_COLUMNS.index(column)]
        bad(~np.isfinite(col) | (col < 0), column, "a non-negative number")

    ids_from = ends[:, 0].astype(np.int64)
    ids_to = ends[:, 1].astype(np.int64)
    ids = [ids_from, ids_to, np.arange(1, zones + 1, dtype=np.int64)]
    if n_nodes_decl is not None and max(ids_from.max(), ids_to.max()) <= n_nodes_decl:
        ids.append(np.arange(1, n_nodes_decl + 1, dtype=np.int64))  # keep isolated nodes
    node_id = np.unique(np.concatenate(ids))
    link_from = np.searchsorted(node_id, ids_from)
    link_to = np.searchsorted(node_id, ids_to)

    col = {name: data[:, k] for k, name in enumerate(NET_COLUMNS)}
    free_flow_s = col["free_flow_time"] * time_unit_s
    # Zero lengths would make the Network invalid; a nano-unit is negligible in costs.
    length_m = np.maximum(col["length"] * length_unit_m, _TINY)
    speed_mps = length_m / np.maximum(free_flow_s, _TINY)
    net = Network.from_links(
        node_x_m=np.zeros(len(node_id)), node_y_m=np.zeros(len(node_id)),
        link_from=link_from, link_to=link_to, length_m=length_m,
        lanes=np.ones(len(rows), dtype=np.int16), speed_mps=speed_mps,
        capacity_vph=col["capacity"],
        road_class=np.full(len(rows), ARTERIAL, dtype=np.int8),
        free_flow_s=free_flow_s, bpr_alpha=col["b"], bpr_beta=col["power"],
        toll=col["toll"], node_id=node_id,
    )
    meta = TntpMeta(
        zones=int(zones), first_thru_node=int(first_thru), toll_factor=float(toll_factor),
        distance_factor=float(distance_factor), time_unit_s=float(time_unit_s),
        length_unit_m=float(length_unit_m),
        raw={k: v for k, (v, _) in meta_lines.items()},
    )
    return net, meta


_ORIGIN = re.compile(r"^\s*Origin\s+(\S+)\s*$", re.IGNORECASE)


def read_tntp_trips(path: str | Path) -> np.ndarray:
    """Read a ``*_trips.tntp`` file into a zones × zones demand matrix.

    Entry ``[o - 1, d - 1]`` is the demand from zone ``o`` to zone ``d`` in the
    file's units (trips per period). A pair listed twice is summed.

    Example:
        >>> demand = read_tntp_trips("SiouxFalls_trips.tntp")  # doctest: +SKIP
        >>> demand.shape, float(demand.sum())                  # doctest: +SKIP
        ((24, 24), 360600.0)
    """
    path = Path(path)
    meta_lines, body = _split_metadata(path)
    zones = _meta_number(meta_lines, "NUMBER OF ZONES", path, integer=True)
    if zones is None:
        raise InputError("expected a <NUMBER OF ZONES> metadata line", file=path)
    if zones <= 0:
        raise InputError(f"expected a positive <NUMBER OF ZONES>, got {zones}", file=path,
                         line=meta_lines["NUMBER OF ZONES"][1], path="NUMBER OF ZONES")
    dest: list[int] = []
    orig: list[int] = []
    value: list[float] = []
    origin = 0
    for no, text in body:
        stripped = text.split("~", 1)[0].strip()
        if not stripped:
            continue
        m = _ORIGIN.match(stripped)
        if m:
            origin = _zone(m.group(1), zones, path, no, "Origin")
            continue
        if origin == 0:
            raise InputError(f"expected an 'Origin <zone>' line, got {stripped[:40]!r}",
                             file=path, line=no)
        for piece in stripped.split(";"):
            piece = piece.strip()
            if not piece:
                continue
            parts = piece.split(":")
            if len(parts) != 2:
                raise InputError(f"expected 'destination : trips;', got {piece[:40]!r}",
                                 file=path, line=no)
            d = _zone(parts[0].strip(), zones, path, no, "destination")
            try:
                v = float(parts[1])
            except ValueError:
                raise InputError(f"expected a number of trips after '{d} :', got "
                                 f"{parts[1].strip()[:40]!r}", file=path, line=no) from None
            if not np.isfinite(v) or v < 0:
                raise InputError(f"expected a non-negative number of trips, got {v:g}",
                                 file=path, line=no)
            orig.append(origin - 1)
            dest.append(d - 1)
            value.append(v)
    demand = np.zeros((zones, zones), dtype=np.float64)
    np.add.at(demand, (np.asarray(orig, dtype=np.int64), np.asarray(dest, dtype=np.int64)),
              np.asarray(value, dtype=np.float64))
    return demand


def _zone(token: str, zones: int, path: Path, line: int, what: str) -> int:
    try:
        z = int(token)
    except ValueError:
        raise InputError(f"expected an integer {what} zone, got {token[:40]!r}", file=path,
                         line=line) from None
    if not 1 <= z <= zones:
        raise InputError(f"expected a {what} zone in 1..{zones}, got {z}", file=path,
                         line=line)
    return z


@dataclass(frozen=True)
class TntpFlows:
    """Link flows of a TNTP solution file, keyed by the file's node numbers."""

    from_node: np.ndarray
    to_node: np.ndarray
    volume: np.ndarray
    cost: np.ndarray

    def on(self, net: Network) -> tuple[np.ndarray, np.ndarray]:
        """(volume, cost) arranged by ``net``'s link order; InputError if a link is unknown."""
        idx = link_index(net, self.from_node, self.to_node)
        if np.any(idx < 0):
            i = int(np.flatnonzero(idx < 0)[0])
            raise InputError(f"flow file link {self.from_node[i]}->{self.to_node[i]} is "
                             "not in the network")
        volume = np.zeros(net.n_links)
        cost = np.full(net.n_links, np.nan)
        volume[idx] = self.volume
        cost[idx] = self.cost
        return volume, cost


def read_tntp_flows(path: str | Path) -> TntpFlows:
    """Read a best-known solution file (``From To Volume Cost`` per link).

    Example:
        >>> flows = read_tntp_flows("SiouxFalls_flow.tntp")  # doctest: +SKIP
        >>> volume, cost = flows.on(net)                      # doctest: +SKIP
    """
    path = Path(path)
    rows: list[list[float]] = []
    header_seen = False
    for no, text in _lines(path):
        fields = _data_fields(text.strip())
        if not fields or text.lstrip().startswith(("~", "<")):
            continue
        if not header_seen and not rows and fields[0].lower() == "from":
            header_seen = True
            continue
        if len(fields) < 4:
            raise InputError(f"expected 4 columns (From To Volume Cost), got {len(fields)}",
                             file=path, line=no)
        row: list[float] = []
        for name, token in zip(("From", "To", "Volume", "Cost"), fields[:4], strict=True):
            try:
                row.append(float(token))
            except ValueError:
                raise InputError(f"expected a number, got {token[:40]!r}",
                                 file=path, line=no, path=name) from None
        if row[0] != round(row[0]) or row[1] != round(row[1]):
            raise InputError("expected integer node numbers in From and To", file=path,
                             line=no)
        rows.append(row)
    if not rows:
        raise InputError("expected flow lines (From To Volume Cost), found none", file=path)
    data = np.asarray(rows, dtype=np.float64)
    return TntpFlows(from_node=data[:, 0].astype(np.int64), to_node=data[:, 1].astype(np.int64),
                     volume=data[:, 2], cost=data[:, 3])
