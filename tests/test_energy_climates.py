"""Climate normals of the three shipped cities, shared by the energy tests.

Monthly mean temperatures and mean daily ranges (mean max − mean min), 1991–2020
normals: Helsinki Kaisaniemi (Finnish Meteorological Institute), Seoul (Korea
Meteorological Administration, station 108), Singapore Changi (Meteorological
Service Singapore). Values were transcribed (rounded to 0.1 °C) from the published
normal tables; cloudiness is mean total cloud cover as a share of sky, rounded to
0.05 and approximate. Latitudes: Helsinki 60.17 N, Seoul 37.57 N (Sejong ~36.5 N),
Singapore 1.35 N.
"""

from __future__ import annotations

import pytest

from twincity.scenario.sections_energy import ClimateSpec

# (normals, latitude_deg, longitude_deg, UTC offset h)
CLIMATES: dict[str, tuple[dict, float, float, float]] = {
    "helsinki": (
        {
            "monthly_mean_temp_c": [
                -3.1,
                -3.8,
                -0.8,
                4.5,
                10.2,
                14.8,
                18.0,
                16.8,
                12.1,
                6.5,
                2.3,
                -0.9,
            ],
            "diurnal_range_c": [4.7, 5.3, 6.3, 7.9, 9.4, 9.0, 8.5, 7.9, 7.0, 5.5, 4.3, 4.3],
            "cloudiness": [0.8, 0.75, 0.7, 0.6, 0.55, 0.55, 0.55, 0.6, 0.65, 0.75, 0.85, 0.85],
        },
        60.17,
        24.94,
        2.0,
    ),
    "seoul": (
        {
            "monthly_mean_temp_c": [
                -1.9,
                0.7,
                6.1,
                12.6,
                18.2,
                22.7,
                25.3,
                26.1,
                21.6,
                15.0,
                7.5,
                0.2,
            ],
            "diurnal_range_c": [7.5, 8.4, 9.3, 10.3, 10.0, 8.8, 6.4, 6.8, 8.0, 9.7, 8.9, 7.8],
            "cloudiness": [0.4, 0.4, 0.5, 0.5, 0.5, 0.6, 0.75, 0.65, 0.5, 0.4, 0.45, 0.4],
        },
        37.57,
        126.97,
        9.0,
    ),
    "singapore": (
        {
            "monthly_mean_temp_c": [
                26.8,
                27.3,
                27.8,
                28.3,
                28.6,
                28.6,
                28.2,
                28.1,
                27.9,
                27.9,
                27.3,
                26.8,
            ],
            "diurnal_range_c": [6.6, 7.3, 7.5, 7.5, 7.2, 6.8, 6.6, 6.6, 6.7, 7.0, 6.6, 6.3],
            "cloudiness": 0.75,
        },
        1.35,
        103.99,
        8.0,
    ),
}


def climate(name: str) -> ClimateSpec:
    """The validated climate section of a city."""
    return ClimateSpec.model_validate(CLIMATES[name][0])


@pytest.mark.parametrize("name", sorted(CLIMATES))
def test_normals_validate_and_are_ordered_by_warmth(name: str) -> None:
    c = climate(name)
    assert len(c.monthly_mean_temp_c) == 12
    # The hot and cold months are where the published tables put them.
    hottest = max(range(12), key=lambda m: c.monthly_mean_temp_c[m])
    assert hottest in ({4, 5} if name == "singapore" else {6, 7})
