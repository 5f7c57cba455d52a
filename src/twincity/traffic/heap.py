"""An indexed binary min-heap of nodes for label-setting shortest paths (numba).

The one home of the heap both Dijkstra kernels grow their trees with: static
trees (:mod:`twincity.traffic.routing`) and time-dependent ones
(:mod:`twincity.traffic.tdroutes`). Plain arrays, no objects: ``heap[:size]``
holds nodes ordered by their keys, kept beside them in ``hkey[:size]`` (a
sift compares neighbouring heap places, not labels scattered over the node
array); ``pos[node]`` is the node's place in ``heap``, or :data:`UNSEEN`
(never reached) or :data:`SETTLED` (popped). The caller owns the labels
(``key[node]``) and offers a node with its new key.

Example:
    >>> import numpy as np
    >>> key, pred = np.empty(4), np.empty(4, np.int32)
    >>> heap, hkey, pos = np.empty(4, np.int32), np.empty(4), np.empty(4, np.int32)
    >>> size = heap_start(0, key, pred, heap, hkey, pos)
    >>> key[2], key[3] = 5.0, 1.0
    >>> size = heap_offer(heap, hkey, pos, 2, key[2], size)
    >>> size = heap_offer(heap, hkey, pos, 3, key[3], size)
    >>> [int(heap_pop(heap, hkey, pos, s)[0]) for s in (3, 2, 1)]
    [0, 3, 2]
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: ``pos`` of a node popped off the heap (its label is final).
SETTLED = -2
#: ``pos`` of a node never put on the heap.
UNSEEN = -1


@njit(cache=True, inline="always")
def sift_up(heap, hkey, pos, i, node, k):
    """Place ``node`` (key ``k``) at heap place ``i`` or above: its parent's key not larger."""
    while i > 0:
        parent = (i - 1) >> 1
        if hkey[parent] <= k:
            break
        p = heap[parent]
        heap[i] = p
        hkey[i] = hkey[parent]
        pos[p] = i
        i = parent
    heap[i] = node
    hkey[i] = k
    pos[node] = i


@njit(cache=True, inline="always")
def sift_down(heap, hkey, pos, size, i, node, k):
    """Place ``node`` (key ``k``) at heap place ``i`` or below, where no child's key is smaller."""
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and hkey[c + 1] < hkey[c]:
            c += 1
        if hkey[c] >= k:
            break
        child = heap[c]
        heap[i] = child
        hkey[i] = hkey[c]
        pos[child] = i
        i = c
    heap[i] = node
    hkey[i] = k
    pos[node] = i


@njit(cache=True, inline="always")
def heap_start(origin, key, pred, heap, hkey, pos):
    """Reset a tree's labels and put ``origin`` (key 0) alone on the heap; return its size."""
    for i in range(key.shape[0]):
        key[i] = np.inf
        pred[i] = -1
        pos[i] = UNSEEN
    key[origin] = 0.0
    heap[0] = origin
    hkey[0] = 0.0
    pos[origin] = 0
    return 1


@njit(cache=True, inline="always")
def heap_pop(heap, hkey, pos, size):
    """Take the node with the least key off the heap and mark it settled: (node, new size)."""
    u = heap[0]
    size -= 1
    if size > 0:
        sift_down(heap, hkey, pos, size, 0, heap[size], hkey[size])
    pos[u] = SETTLED
    return u, size


@njit(cache=True, inline="always")
def heap_offer(heap, hkey, pos, v, k, size):
    """After lowering ``v``'s key to ``k``: put it on the heap if unseen, reorder; new size."""
    i = pos[v]
    if i == UNSEEN:
        i = size
        size += 1
    sift_up(heap, hkey, pos, i, v, k)
    return size
