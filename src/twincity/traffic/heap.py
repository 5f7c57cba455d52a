"""An indexed binary min-heap of nodes for label-setting shortest paths (numba).

The one home of the heap both Dijkstra kernels grow their trees with: static
trees (:mod:`twincity.traffic.routing`) and time-dependent ones
(:mod:`twincity.traffic.tdroutes`). Plain arrays, no objects: ``heap[:size]``
holds nodes ordered by ``key[node]``; ``pos[node]`` is the node's place in
``heap``, or :data:`UNSEEN` (never reached) or :data:`SETTLED` (popped).

Example:
    >>> import numpy as np
    >>> key, pred = np.empty(4), np.empty(4, np.int32)
    >>> heap, pos = np.empty(4, np.int32), np.empty(4, np.int32)
    >>> size = heap_start(0, key, pred, heap, pos)
    >>> key[2], key[3] = 5.0, 1.0
    >>> size = heap_offer(heap, pos, key, 2, size)
    >>> size = heap_offer(heap, pos, key, 3, size)
    >>> [int(heap_pop(heap, pos, key, s)[0]) for s in (3, 2, 1)]
    [0, 3, 2]
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: ``pos`` of a node popped off the heap (its label is final).
SETTLED = -2
#: ``pos`` of a node never put on the heap.
UNSEEN = -1


@njit(cache=True)
def sift_up(heap, pos, key, i):
    """Move the node at heap place ``i`` up until its parent's key is not larger."""
    node = heap[i]
    k = key[node]
    while i > 0:
        parent = (i - 1) >> 1
        p = heap[parent]
        if key[p] <= k:
            break
        heap[i] = p
        pos[p] = i
        i = parent
    heap[i] = node
    pos[node] = i


@njit(cache=True)
def sift_down(heap, pos, key, size, i):
    """Move the node at heap place ``i`` down until no child's key is smaller."""
    node = heap[i]
    k = key[node]
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and key[heap[c + 1]] < key[heap[c]]:
            c += 1
        child = heap[c]
        if key[child] >= k:
            break
        heap[i] = child
        pos[child] = i
        i = c
    heap[i] = node
    pos[node] = i


@njit(cache=True, inline="always")
def heap_start(origin, key, pred, heap, pos):
    """Reset a tree's labels and put ``origin`` (key 0) alone on the heap; return its size."""
    for i in range(key.shape[0]):
        key[i] = np.inf
        pred[i] = -1
        pos[i] = UNSEEN
    key[origin] = 0.0
    heap[0] = origin
    pos[origin] = 0
    return 1


@njit(cache=True, inline="always")
def heap_pop(heap, pos, key, size):
    """Take the node with the least key off the heap and mark it settled: (node, new size)."""
    u = heap[0]
    size -= 1
    if size > 0:
        heap[0] = heap[size]
        pos[heap[0]] = 0
        sift_down(heap, pos, key, size, 0)
    pos[u] = SETTLED
    return u, size


@njit(cache=True, inline="always")
def heap_offer(heap, pos, key, v, size):
    """After lowering ``key[v]``: put ``v`` on the heap if unseen, restore order; new size."""
    if pos[v] == UNSEEN:
        heap[size] = v
        pos[v] = size
        size += 1
    sift_up(heap, pos, key, pos[v])
    return size
