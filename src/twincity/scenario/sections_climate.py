"""Scenario section of the climate: monthly normals and the representative days.

The energy year is simulated on representative days, each standing for
``weight_days`` days of a 365-day year (weights sum to 365): by default a winter
and a summer weekday, or the ``monthly`` scheme of :func:`monthly_days` (a weekday
and a weekend day per month plus peak days). Hourly weather for each day is
synthesised from :class:`ClimateSpec`'s monthly normals (:mod:`twincity.energy.weather`)
or read from a weather file. The energy sections are in
:mod:`twincity.scenario.sections_energy`, which re-exports these names.

Example:
    >>> ClimateSpec.model_validate({
    ...     "monthly_mean_temp_c": [-5, -4, 1, 8, 14, 19, 22, 22, 17, 10, 3, -2],
    ...     "diurnal_range_c": 9,
    ...     "cloudiness": [0.5] * 12}).representative_days[0].name
    'winter_weekday'
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from twincity.scenario.base import (
    Positive,
    Section,
    Share,
    check_len,
    one_or_many_schema,
    one_to_twelve,
)

#: Days in each month of a non-leap year (the energy year is 365 days).
DAYS_IN_MONTH: tuple[int, ...] = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class RepresentativeDay(Section):
    """One simulated day standing for ``weight_days`` days of the year."""

    name: str = Field(
        min_length=1,
        description="Unique name of the day, e.g. 'winter_weekday'.")
    month: int = Field(
        ge=1, le=12,
        description="Month of the day (1 = January).")
    day_of_month: int = Field(
        ge=1, le=31,
        description="Day of the month (non-leap year).")
    weight_days: Positive = Field(
        description="Days of the year this day stands for; weights of all days sum to 365.")
    day_type: Literal["weekday", "weekend"] = Field(
        default="weekday",
        description="Weekday or weekend: building profiles, EV charging and, with "
                    "demand.weekend, the simulated weekend traffic day.")
    temp_anomaly_c: float = Field(
        default=0.0, ge=-40.0, le=40.0,
        description="Shift of the day's temperatures from the climatological day, K: a "
                    "cold-spell or heat-wave (peak) day; say where the value comes from.")

    @model_validator(mode="after")
    def _day_exists(self) -> RepresentativeDay:
        last = DAYS_IN_MONTH[self.month - 1]
        if self.day_of_month > last:
            raise ValueError(
                f"day_of_month {self.day_of_month} does not exist in month {self.month} "
                f"(1..{last}, non-leap year)"
            )
        return self

    @property
    def day_of_year(self) -> int:
        """1-based day of a non-leap year (1 January = 1)."""
        return sum(DAYS_IN_MONTH[: self.month - 1]) + self.day_of_month


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                "dec")


def month_day_counts() -> tuple[tuple[int, int], ...]:
    """Weekdays and weekend days of each month of a 365-day year that starts on a Monday.

    The calendar of 2018: 261 weekdays and 104 weekend days in all (52 weeks and a day).

    Example:
        >>> c = month_day_counts()
        >>> c[0], sum(w for w, _ in c), sum(e for _, e in c)
        ((23, 8), 261, 104)
    """
    counts = []
    start = 0  # day index of the month's first day; day 0 is a Monday
    for n in DAYS_IN_MONTH:
        weekend = sum(1 for d in range(start, start + n) if d % 7 >= 5)
        counts.append((n - weekend, weekend))
        start += n
    return tuple(counts)


def monthly_days(peak_days: list[dict] | tuple = ()) -> list[dict]:
    """Representative days of the ``monthly`` scheme: a weekday (the 15th) and a weekend
    day (the 16th) per month, weighted by the month's weekdays and weekend days
    (:func:`month_day_counts`), plus ``peak_days``.

    Each peak day (a mapping like a :class:`RepresentativeDay`, usually with a
    ``temp_anomaly_c``) takes its ``weight_days`` from the ordinary day of its month and
    day type, and that ordinary day is shifted by ``−Σ w_peak·a_peak / w_ordinary`` so
    the month's weighted mean temperature stays the normal: a cold spell makes the rest
    of the month slightly milder, it does not make the month colder.

    Example:
        >>> days = monthly_days([{"name": "cold_spell", "month": 2, "day_of_month": 5,
        ...                       "weight_days": 2, "temp_anomaly_c": -12}])
        >>> len(days), sum(d["weight_days"] for d in days)
        (25, 365.0)
        >>> [(d["name"], d["weight_days"], d["temp_anomaly_c"]) for d in days[2:3]]
        [('feb_weekday', 18.0, 1.3333333333333333)]
    """
    peaks = [dict(p) for p in peak_days]
    out: list[dict] = []
    for m, (n_weekday, n_weekend) in enumerate(month_day_counts(), start=1):
        for day_type, n, dom in (("weekday", n_weekday, 15), ("weekend", n_weekend, 16)):
            mine = [p for p in peaks
                    if int(p.get("month", 0)) == m and p.get("day_type", "weekday") == day_type]
            w_peak = sum(float(p.get("weight_days", 0.0)) for p in mine)
            if w_peak >= n:
                raise ValueError(f"peak days of month {m} ({day_type}) weigh {w_peak:g} days, "
                                 f"the month has only {n} {day_type} days")
            shift = sum(float(p.get("weight_days", 0.0)) * float(p.get("temp_anomaly_c", 0.0))
                        for p in mine)
            out.append({"name": f"{_MONTH_NAMES[m - 1]}_{day_type}", "month": m,
                        "day_of_month": dom, "weight_days": n - w_peak, "day_type": day_type,
                        "temp_anomaly_c": -shift / (n - w_peak) if mine else 0.0})
    unplaced = [p for p in peaks if not 1 <= int(p.get("month", 0)) <= 12]
    if unplaced:
        raise ValueError(f"peak days need a month 1..12: {unplaced}")
    return out + peaks


def _days_or_monthly_schema(schema: dict) -> None:
    """JSON Schema of ``representative_days``: the list of days, or the ``monthly`` scheme."""
    days = {k: schema.pop(k) for k in ("type", "items", "minItems") if k in schema}
    schema["anyOf"] = [days, {
        "type": "object", "additionalProperties": False, "required": ["monthly"],
        "properties": {"monthly": {"const": True},
                       "peak_days": {"type": "array", "items": days.get("items", {})}}}]


def _default_days() -> list[RepresentativeDay]:
    return [
        RepresentativeDay(name="winter_weekday", month=1, day_of_month=15, weight_days=182.5),
        RepresentativeDay(name="summer_weekday", month=7, day_of_month=15, weight_days=182.5),
    ]


class ClimateSpec(Section):
    """Monthly climate normals from which hourly weather is synthesised.

    ``diurnal_range_c`` is the mean daily maximum minus mean daily minimum (one
    number for every month, or twelve). ``cloudiness`` is the mean cloud cover as a
    share of sky (oktas / 8) per month. ``representative_days`` weights must sum to
    365; a file may instead write ``{monthly: true, peak_days: [...]}`` for a weekday
    and a weekend day per month plus peak days (:func:`monthly_days`).
    """

    monthly_mean_temp_c: tuple[float, ...] = Field(
        description="Monthly means of the daily mean air temperature, °C (January..December).")
    diurnal_range_c: tuple[Annotated[float, Field(ge=0.0, le=40.0)], ...] = Field(
        json_schema_extra=one_or_many_schema,
        description="Mean daily maximum minus mean daily minimum, K: one value or twelve.")
    cloudiness: tuple[Share, ...] = Field(
        json_schema_extra=one_or_many_schema,
        description="Mean total cloud cover as a share of sky (oktas / 8): one value or twelve.")
    representative_days: tuple[RepresentativeDay, ...] = Field(
        default_factory=lambda: tuple(_default_days()), min_length=1,
        json_schema_extra=_days_or_monthly_schema,
        description="Days simulated for the energy year with their weights in days (sum 365); "
                    "or {monthly: true, peak_days: [...]}: a weekday and a weekend day per "
                    "month plus peak days (see twincity.scenario.sections_climate.monthly_days).")
    annual_ghi_kwh_per_m2: Positive | None = Field(
        default=None,
        description="Published annual global horizontal irradiation, kWh/m² (cite it): the "
                    "synthesised sky is scaled to it (unset: Kasten–Czeplak on the monthly "
                    "cloudiness, which runs high).")
    weather_file: str | None = Field(
        default=None, min_length=1,
        description="EPW or TMY3 CSV file (relative to the scenario) whose hours replace the "
                    "synthesised temperature and sun on the representative days; read with "
                    "pvlib (extra 'weather').")
    wind_capacity_factor: tuple[Share, ...] | None = Field(
        default=None, json_schema_extra=one_or_many_schema,
        description="Monthly mean capacity factor of the wind fleet (one value or twelve); "
                    "wind generators without availability follow it hour by hour.")

    @field_validator("representative_days", mode="before")
    @classmethod
    def _expand_monthly(cls, value: object) -> object:
        if isinstance(value, dict):
            extra = set(value) - {"monthly", "peak_days"}
            if extra or value.get("monthly") is not True:
                raise ValueError("representative_days is a list of days or "
                                 "{monthly: true, peak_days: [...]}, got keys "
                                 f"{sorted(value)}")
            return monthly_days(value.get("peak_days") or ())
        return value

    @field_validator("diurnal_range_c", "cloudiness", "wind_capacity_factor", mode="before")
    @classmethod
    def _one_or_twelve(cls, value: object) -> object:
        return one_to_twelve(value)

    @field_validator("monthly_mean_temp_c", "diurnal_range_c", "cloudiness")
    @classmethod
    def _twelve_months(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        return check_len(value, 12, "monthly values (January..December)")

    @field_validator("wind_capacity_factor")
    @classmethod
    def _twelve_wind(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        return None if value is None else check_len(value, 12, "monthly wind capacity factors")

    @field_validator("monthly_mean_temp_c")
    @classmethod
    def _plausible_temps(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        for t in value:
            if not -60.0 <= t <= 50.0:
                raise ValueError(f"monthly mean temperature must be within -60..50 °C, got {t}")
        return value

    def days_of_type(self, day_type: str) -> float:
        """Days of the year of ``day_type`` (Σ ``weight_days`` of its representative days).

        The one place annual totals take their weekday and weekend weights from
        (buildings, charging, traffic emissions).

        Example:
            >>> ClimateSpec(monthly_mean_temp_c=(0,) * 12, diurnal_range_c=8,
            ...             cloudiness=0.5).days_of_type("weekday")
            365.0
        """
        return float(sum(d.weight_days for d in self.representative_days
                         if d.day_type == day_type))

    @model_validator(mode="after")
    def _weights_cover_year(self) -> ClimateSpec:
        total = sum(d.weight_days for d in self.representative_days)
        if abs(total - 365.0) > 1e-6:
            raise ValueError(f"representative_days weight_days must sum to 365, got {total:g}")
        names = [d.name for d in self.representative_days]
        if len(set(names)) != len(names):
            raise ValueError(f"representative_days names must be unique, got {names}")
        return self
