"""Link travel times and tolls per routing slot, from a simulated day.

The kernel records, per link and reporting interval, the traversal times of
vehicles that left the link, and the queue standing at the interval's end.
A routing slot (e.g. one hour) groups whole intervals. The experienced time
of a link in a slot is the mean traversal time of the vehicles that left it,
but never less than free flow, nor less than the time the standing queue
needs to discharge at the link's capacity (a link blocked all slot long has
no leavers, yet is clearly slow).

Example:
    >>> import numpy as np
    >>> slot_times_s(np.array([[100.0, 0.0]]), np.array([[2, 0]]), np.array([[0, 0]]),
    ...              free_flow_s=np.array([30.0, 40.0]), capacity_vph=np.array([1800., 1800.]),
    ...              intervals_per_slot=1).tolist()
    [[50.0, 40.0]]
"""

from __future__ import annotations

import numpy as np


def by_slot(a: np.ndarray, per: int) -> np.ndarray:
    """Interval rows ``[n_intervals, m]`` grouped as ``[n_slots, per, m]`` (zero-padded)."""
    n_iv, m = a.shape
    n_slots = -(-n_iv // per)
    pad = n_slots * per - n_iv
    if pad:
        a = np.concatenate([a, np.zeros((pad, m), dtype=a.dtype)])
    return a.reshape(n_slots, per, m)


def slot_times_s(travel_time_sum_s: np.ndarray, outflow_veh: np.ndarray, queue_veh: np.ndarray,
                 *, free_flow_s: np.ndarray, capacity_vph: np.ndarray,
                 intervals_per_slot: int) -> np.ndarray:
    """Experienced link times ``[n_slots, n_links]`` from interval statistics."""
    per = intervals_per_slot
    tt = by_slot(travel_time_sum_s.astype(np.float64), per).sum(axis=1)
    out = by_slot(outflow_veh.astype(np.float64), per).sum(axis=1)
    queue = by_slot(queue_veh.astype(np.float64), per).max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_tt = np.where(out > 0, tt / out, 0.0)
        discharge = np.where(capacity_vph > 0, queue / capacity_vph * 3600.0, np.inf)
    return np.maximum(np.maximum(mean_tt, free_flow_s[None, :]), free_flow_s[None, :] + discharge)


def tolls_by_slot(toll_schedule: np.ndarray, toll_slot_s: float, slot_s: float,
                  n_slots: int) -> np.ndarray:
    """Mean toll per routing slot from a schedule in (possibly finer) toll slots."""
    toll_schedule = np.atleast_2d(toll_schedule)
    centres = (np.arange(n_slots)[:, None] * slot_s
               + (np.arange(max(1, round(slot_s / toll_slot_s))) + 0.5)[None, :] * toll_slot_s)
    idx = np.minimum((centres // toll_slot_s).astype(np.int64), toll_schedule.shape[0] - 1)
    return toll_schedule[idx].mean(axis=1)


def credible_mean(total: np.ndarray, count: np.ndarray, prior: np.ndarray,
                  prior_veh: float) -> np.ndarray:
    """Mean of ``count`` observations shrunk toward ``prior`` with weight ``prior_veh``.

    Bühlmann's credibility estimate (Bühlmann 1967, "Experience rating and
    credibility", ASTIN Bulletin 4(3)): ``(total + k·prior) / (count + k)``, the
    observed mean weighted ``count / (count + k)``. A cell seen by one or two
    simulated vehicles otherwise carries their own luck at a signal as the
    expected time of everyone; with ``prior_veh = 0`` a cell nobody saw takes
    the prior and a seen one its plain mean.

    >>> credible_mean(np.array([90.0, 0.0]), np.array([1, 0]), np.array([30.0, 30.0]), 2.0)
    array([50., 30.])
    """
    if prior_veh > 0:
        return (total + prior_veh * prior) / (count + prior_veh)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / count, prior)


def entry_times_s(entry_time_sum_s: np.ndarray, entry_veh: np.ndarray, *,
                  fallback_s: np.ndarray, free_flow_s: np.ndarray,
                  prior_veh: float = 0.0) -> np.ndarray:
    """Experienced link times ``[interval, link]`` by interval of *entry*.

    What a vehicle entering link ``l`` during interval ``i`` took to cross it:
    the mean over vehicles that entered then (and left). Indexing by entry, not
    exit, is what walking a route needs (a link with a 10-minute queue is
    otherwise read 10 minutes late); intervals nobody entered take
    ``fallback_s`` (e.g. the exit-interval estimate with the standing queue),
    and with ``prior_veh`` > 0 sparse ones are shrunk toward it
    (:func:`credible_mean`).

    >>> entry_times_s(np.array([[0.0, 90.0]]), np.array([[0, 3]]),
    ...               fallback_s=np.array([[12.0, 12.0]]), free_flow_s=np.array([10.0, 10.0]))
    array([[12., 30.]])
    """
    mean = credible_mean(entry_time_sum_s, entry_veh, fallback_s, prior_veh)
    return np.maximum(mean, free_flow_s[None, :])


def movement_times_s(turn_time_sum_s: np.ndarray, turn_veh: np.ndarray, *,
                     link_times_s: np.ndarray, prior_veh: float = 0.0) -> np.ndarray:
    """Experienced times ``[interval, link, movement]`` by interval of entry.

    A link's time depends on where the vehicle goes next: a queue spilling back
    from one downstream link holds only the vehicles turning into it. Scoring a
    route with the link's average over all movements would make routes through
    the free movement look slow and the blocked one fast, and travellers would
    chase alternatives that are not there. Movements nobody made in an
    interval take the link's time (``link_times_s[interval, link]``); with
    ``prior_veh`` > 0 sparse ones are shrunk toward it (:func:`credible_mean`).

    >>> movement_times_s(np.array([[[90.0, 0.0]]]), np.array([[[3, 0]]]),
    ...                  link_times_s=np.array([[20.0]])).tolist()
    [[[30.0, 20.0]]]
    """
    mean = credible_mean(turn_time_sum_s, turn_veh, link_times_s[:, :, None], prior_veh)
    return np.maximum(mean, 0.0)
