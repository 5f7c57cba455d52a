"""Energy and emission results of the shipped scenarios against published figures.

Each target names its source and year; figures that could not be read from a stored
copy of the source say so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twincity.emissions.factors import emission_factor
from twincity.emissions.fit import WLTP_MEAN_SPEED_KMH
from twincity.model import CityModel

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

#: Published mean grid carbon intensity (kg CO2 per kWh generated, direct emissions).
GRID_INTENSITY = {
    # Estimate from the 2023 Finnish generation mix (lowcarbonpower.org/region/Finland, 2023:
    # coal and gas together < 6 %, the rest nuclear, hydro, wind, biomass, solar): 5.5 % at
    # ≈ 0.75 kg/kWh for a coal/peat/gas CHP mix ≈ 0.04. The official figure is Statistics
    # Finland's StatFin table 14qt (from Fingrid's real-time estimate), not readable here.
    "helsinki": 0.040,
    # EMA Singapore average operating-margin grid emission factor 0.4192 kg/kWh in 2017
    # (EMA, Singapore Energy Statistics 2018, "Other energy-related statistics"; read there).
    "singapore": 0.4192,
    # Korea: national power emission factor 0.4541 t CO2eq/MWh, the 2020–2022 average the
    # Ministry of Environment published in March 2025 (its 2023 value, published December
    # 2025, is 0.4173; Aju Business Daily 2025-12-18, read there). Consumption-side (after
    # grid losses) and CO2-equivalent, so slightly above a generation-side CO2 figure; the
    # scenario's fleet is the 2022 one.
    "sejong": 0.4541,
}


def _energy(city: str):
    model = CityModel(SCENARIOS / f"{city}.yaml", subsystems=("energy",))
    model.energy.finish()
    return model.energy


@pytest.mark.parametrize("city", sorted(GRID_INTENSITY))
def test_mean_grid_intensity_is_within_20_percent_of_the_published_figure(city: str) -> None:
    energy = _energy(city)
    co2 = energy.yearly(lambda d: d.grid.co2_kg.sum())
    gen = energy.yearly(lambda d: d.grid.generation_kwh.sum())
    assert co2 / gen == pytest.approx(GRID_INTENSITY[city], rel=0.2)
    for d in energy.days:  # generation = load every hour (no unserved energy in these grids)
        need = np.maximum(d.city_net_kwh + d.grid.background_kwh, 0.0) + d.grid.losses_kwh
        assert np.allclose(d.grid.generation_kwh.sum(axis=0) + d.grid.unserved_kwh, need)
        assert np.all(d.grid.unserved_kwh == 0.0)


#: Real-world CO2 of new cars in the EU, g/km: EEA/European Commission on-board fuel
#: consumption monitoring (OBFCM), cars registered 2021, data recorded 2022 (EEA "Real-world
#: emissions" page, 2023): the gap was 28 g/km = 19.8 % for petrol and 28 g/km = 18.2 % for
#: diesel cars, so WLTP 141 / 154 g/km and real-world 169 / 182 g/km.
REAL_WORLD_CO2_G_PER_KM = {"petrol_car": 28.0 / 0.198 + 28.0, "diesel_car": 28.0 / 0.182 + 28.0}


@pytest.mark.parametrize("cls", sorted(REAL_WORLD_CO2_G_PER_KM))
def test_car_co2_per_km_is_within_15_percent_of_on_board_monitoring(cls: str) -> None:
    # An average-speed model has no cycle: the real-world mix is read at the WLTP class-3
    # cycle's mean speed (23.27 km in 1,800 s), the cycle built to represent it.
    got = float(emission_factor(cls, "co2", WLTP_MEAN_SPEED_KMH))
    assert got == pytest.approx(REAL_WORLD_CO2_G_PER_KM[cls], rel=0.15)


#: On-road NOx of diesel cars by Euro standard from remote sensing in cities, g/km, a source
#: independent of the model's (CONOX/IVL 2018 and EMEP/EEA 2023, emissions/euro.py):
#: TRUE initiative / ICCT, London, Nov 2017–Feb 2018 (> 100,000 samples; Dallmann et al.,
#: "Remote sensing of motor vehicle emissions in London", 2018): Euro 5 and Euro 6 diesel cars
#: emit "approximately 6 times" their limits (0.18 and 0.08 g/km); TRUE Paris, summer 2018
#: (ICCT 2019): Euro 2–5 diesels "show little improvement" (Euro 3–4 taken at Euro 5's value)
#: and Euro 6d-TEMP diesels ≈ 70 % below earlier Euro 6 (few cars: "inconclusive"). Read on
#: the TRUE and ICCT pages.
REMOTE_SENSING_DIESEL_NOX_G_PER_KM = {
    "euro3": 6 * 0.18, "euro4": 6 * 0.18, "euro5": 6 * 0.18,
    "euro6": 6 * 0.08, "euro6d": 0.3 * 6 * 0.08,
}


@pytest.mark.parametrize("city", ["helsinki", "sejong", "singapore"])
def test_diesel_car_fleet_nox_is_within_25_percent_of_remote_sensing(city: str) -> None:
    """The fleet-mean on-road NOx of the city's diesel cars (its scenario's Euro mix, the
    model's per-standard factors) against the same mix at the London/Paris remote-sensing
    values. The Euro mixes themselves are estimates from the fleets' ages (scenarios)."""
    from twincity.emissions.euro import mix_nox_g_per_km
    from twincity.scenario.loader import load_scenario

    mix = load_scenario(SCENARIOS / f"{city}.yaml").spec.fleet.euro_mix["diesel_car"]
    measured = sum(share * REMOTE_SENSING_DIESEL_NOX_G_PER_KM[std]
                   for std, share in mix.items()) / sum(mix.values())
    assert mix_nox_g_per_km("diesel_car", mix) == pytest.approx(measured, rel=0.25)
    # and the mix is many times the Euro 6d table row the model had before (issue 10)
    assert mix_nox_g_per_km("diesel_car", mix) > 5 * 0.074


#: Singapore household electricity per capita, kWh: 7,589.4 GWh in 2016 (EMA, Singapore
#: Energy Statistics 2017, ch. 3 "Household electricity consumption") over the mid-2016
#: population of 5.61 M (Department of Statistics Singapore, Population in Brief 2016).
SINGAPORE_HOUSEHOLD_KWH_PER_CAPITA = 7589.4e6 / 5.607e6
#: Commerce & services-related electricity, 2016: 13.7 TWh by contestable and 4.0 TWh by
#: non-contestable consumers (same EMA chapter).
SINGAPORE_COMMERCE_KWH_PER_CAPITA = (13.7e9 + 4.0e9) / 5.607e6


def _use_electricity_per_capita(energy, use: str) -> float:
    sel = energy.groups.use == energy.groups.use_names.index(use)
    return energy.yearly(lambda d: d.buildings.electricity_kwh[sel].sum()) / energy.population


def test_singapore_household_electricity_is_within_20_percent_of_ema() -> None:
    energy = _energy("singapore")
    residential = _use_electricity_per_capita(energy, "residential")
    assert residential == pytest.approx(SINGAPORE_HOUSEHOLD_KWH_PER_CAPITA, rel=0.2)
    # air-conditioning about a quarter of it (NEA household survey 2017: 24 %)
    sel = energy.groups.use == energy.groups.use_names.index("residential")
    cooling = energy.yearly(lambda d: d.buildings.cooling_electric_kwh[sel].sum())
    assert cooling / (residential * energy.population) == pytest.approx(0.24, abs=0.06)
    # The office, retail and school groups are only part of EMA's commerce & services
    # sector (hotels, hospitals, data centres, food and beverage are in the grid's
    # background load): they must not exceed it.
    non_residential = sum(_use_electricity_per_capita(energy, u)
                          for u in energy.groups.use_names if u != "residential")
    assert non_residential < SINGAPORE_COMMERCE_KWH_PER_CAPITA


#: Helen's district-heat sales in Helsinki, GWh: 6,377 / 6,019 / 6,633 / 6,606 / 6,702 in
#: 2014–2018 (Helen annual report 2018, "Business year") and 6,523 / 5,829 / 6,885 in 2019–2021
#: (annual report 2021); read there. The eight-year mean stands for a normal year (the
#: scenario's synthesised climate has the normal heating degree days; 2021 alone was 7 %
#: above the mean). Helsinki had 628,208 residents at the end of 2015 (City of Helsinki Urban
#: Facts) and 658,457 at the end of 2021 (City of Helsinki environmental report 2021), both read:
#: ≈ 640,000 in the middle of the period.
HELEN_DISTRICT_HEAT_GWH = (6377, 6019, 6633, 6606, 6702, 6523, 5829, 6885)
HELSINKI_DISTRICT_HEAT_KWH_PER_CAPITA = (
    sum(HELEN_DISTRICT_HEAT_GWH) / len(HELEN_DISTRICT_HEAT_GWH) * 1e6 / 640_000)


def test_helsinki_district_heat_per_resident_is_within_20_percent_of_helens_sales() -> None:
    """District heat fed to Helsinki's buildings (space heat + hot water, 90 % of heated
    floor with the city's district-heating policy in force) against Helen's sales per
    resident, ≈ 10.1 MWh (2014–2021). The model gives ≈ 8.6 MWh (−14 %), over the monthly
    representative days and their cold peak day."""
    energy = _energy("helsinki")
    shares = energy.context.city.spec.buildings.heating_shares
    assert shares.district_heating == pytest.approx(0.9)  # policy in force
    fed = energy.yearly(lambda d: d.buildings.district_heat_kwh.sum()) / energy.population
    assert fed == pytest.approx(HELSINKI_DISTRICT_HEAT_KWH_PER_CAPITA, rel=0.2)
    # hot water is part of it: about a sixth (residential 35 kWh/m² of ≈ 150 in all)
    hot_water = energy.yearly(lambda d: d.buildings.hot_water_kwh_th.sum()) * 0.9
    assert 0.1 < hot_water / (fed * energy.population) < 0.3


#: Delivered energy (all carriers) per m² of Norwegian office and school buildings, kWh/m²:
#: offices 240 without and 223 with a central heating system, schools 156 and 168 (Statistics
#: Norway, "Energy use by type of building and type of heating used in the central heating
#: system", table 116522 of its survey of energy use in non-residential buildings; read there,
#: survey year not read). Oslo's heating climate is close to Helsinki's.
NORWAY_KWH_PER_M2 = {"office": (223.0, 240.0), "school": (156.0, 168.0)}


@pytest.mark.parametrize("use", sorted(NORWAY_KWH_PER_M2))
def test_helsinki_office_and_school_energy_per_m2_is_within_20_percent_of_norwegian_stock(
        use: str) -> None:
    """Heat (space + hot water) plus electricity per m² of the office and school groups
    against measured Nordic stock: with their earlier envelopes (1.1 and 1.0 W/(m²K)) they
    took 133 and 107 kWh/m², so the groups' heat was a third of what such buildings use."""
    energy = _energy("helsinki")
    g = energy.groups
    sel = g.use == g.use_names.index(use)
    heat = energy.yearly(lambda d: d.buildings.heat_kwh_th[sel].sum()
                         + d.buildings.hot_water_kwh_th[sel].sum())
    elec = energy.yearly(lambda d: d.buildings.electricity_kwh[sel].sum())
    per_m2 = (heat + elec) / g.floor_area_m2[sel].sum()
    low, high = NORWAY_KWH_PER_M2[use]
    assert 0.8 * low <= per_m2 <= 1.2 * high


#: Helen's district-heat connection power at the end of 2021: 3,591 MW (Helen annual report
#: 2021, "Business year"; read there), for 658,457 residents (end of 2021, see above).
HELEN_CONNECTION_KW_PER_CAPITA = 3591e3 / 658_457


def test_helsinki_cold_peak_day_carries_the_heat_peak_within_the_connected_load() -> None:
    """The cold peak day (the coldest 1/31 of January, −14.8 K) raises the hourly district-
    heat load well above the ordinary winter days', and stays below what Helen's customers
    have contracted (their connection power is sized for the design temperature, −26 °C)."""
    energy = _energy("helsinki")
    peak = {d.name: float(d.buildings.district_heat_kwh.sum(axis=0).max()) for d in energy.days}
    cold = peak.pop("cold_peak")
    assert cold > 1.25 * max(peak.values())
    assert cold / energy.population < HELEN_CONNECTION_KW_PER_CAPITA


def test_singapore_hot_peak_day_raises_the_cooling_peak() -> None:
    energy = _energy("singapore")
    peak = {d.name: float(d.buildings.cooling_electric_kwh.sum(axis=0).max())
            for d in energy.days}
    hot = peak.pop("hot_peak")
    assert hot > max(peak.values())


#: Published annual degree days at base 18 °C (daily means): Helsinki HDD ≈ 4,340,
#: Singapore CDD ≈ 3,620 (the figures of tests/test_energy_weather.py).
PUBLISHED_DEGREE_DAYS = {"helsinki": ("hdd", 4340.0), "singapore": ("cdd", 3620.0)}


@pytest.mark.parametrize("city", sorted(PUBLISHED_DEGREE_DAYS))
def test_weighted_representative_days_keep_the_published_degree_days(city: str) -> None:
    """Σ weight × degree days of each simulated day's mean temperature (noise and the peak
    day included) within 10 % of the published normal: annual totals are weighted sums."""
    energy = _energy(city)
    kind, published = PUBLISHED_DEGREE_DAYS[city]
    sign = 1.0 if kind == "hdd" else -1.0
    dd = energy.yearly(lambda d: max(sign * (18.0 - float(d.weather.temp_c.mean())), 0.0))
    assert dd == pytest.approx(published, rel=0.10)


def test_no_unlabelled_approximate_figures_in_shipped_scenarios_and_factor_tables() -> None:
    """Every figure says how it was checked (scenarios/README.md): "approx." without a
    source and a reason is not allowed back in (issue 10 audit, 61 figures)."""
    data = Path(__file__).resolve().parents[1] / "src" / "twincity" / "data"
    files = sorted(SCENARIOS.rglob("*.yaml")) + sorted(data.glob("*.csv"))
    hits = [f"{f.name}:{i}" for f in files
            for i, line in enumerate(f.read_text().splitlines(), 1) if "approx." in line]
    assert files and not hits


#: Published annual global horizontal irradiation, kWh/m² (the scenarios calibrate their
#: synthesised sky to these over the full year; the test checks the representative days).
ANNUAL_GHI = {
    # Finnish Meteorological Institute test reference year for Helsinki, ≈ 980 kWh/m²
    # (Motiva, "Auringonsäteilyn määrä Suomessa"; read there).
    "helsinki": 980.0,
    # Korea's measured mean, 3.61 kWh/m² per day (KIER stations 1982–2009; J. Korean Solar
    # Energy Society 31(4), 2011, abstract): a national mean for Sejong.
    "sejong": 3.61 * 365,
    # "average solar irradiance: 1580 kWh/m²/year" for Singapore (Sustainability 13(5), 2630,
    # 2021; read there).
    "singapore": 1580.0,
}


@pytest.mark.parametrize("city", sorted(ANNUAL_GHI))
def test_annual_irradiation_of_the_representative_days_is_within_10_percent(city: str) -> None:
    energy = _energy(city)
    ghi = energy.yearly(lambda d: d.weather.ghi_wm2.sum()) / 1000.0
    assert ghi == pytest.approx(ANNUAL_GHI[city], rel=0.10)


def test_helsinki_pv_yield_at_45_degrees_follows_the_published_irradiation() -> None:
    """Motiva (same page): a 45° south-facing panel receives 20–30 % more than the
    horizontal in Finland. The published yield of a 45° system at the scenario's
    performance ratio is then 980 × 1.25 × PR kWh/kWp; the model's weather, isotropic
    transposition and cell-temperature chain must land within 10 % of it."""
    from twincity.energy.pv import pv_output_kwh

    energy = _energy("helsinki")
    pv = energy.context.city.spec.buildings.rooftop_pv
    got = energy.yearly(lambda d: pv_output_kwh(
        d.weather, 1.0, pv.performance_ratio, tilt_deg=45.0,
        temp_coeff_per_k=pv.temp_coeff_per_k).sum())
    assert got == pytest.approx(ANNUAL_GHI["helsinki"] * 1.25 * pv.performance_ratio, rel=0.10)


#: Measured final yield of the 142.5 kWp rooftop PV system of Singapore's BCA Zero Energy
#: Building over 18 months: 3.12 kWh/kWp a day at a performance ratio of 0.81 ("Analytical
#: performance monitoring of a 142.5 kWp grid-connected rooftop BIPV system in Singapore",
#: Renewable Energy 47, 9–20, 2012; abstract read).
SINGAPORE_PV_YIELD_KWH_PER_KWP = 3.12 * 365


def test_singapore_rooftop_pv_yield_is_within_10_percent_of_a_measured_system() -> None:
    """The city's rooftop PV chain (its weather, transposition, performance ratio and cell
    temperature) per kWp against a measured Singapore roof. Before the sky was scaled to
    the published irradiation it gave ≈ 1,390 kWh/kWp (+22 %)."""
    from twincity.energy.pv import pv_output_kwh

    energy = _energy("singapore")
    pv = energy.context.city.spec.buildings.rooftop_pv
    got = energy.yearly(lambda d: pv_output_kwh(
        d.weather, 1.0, pv.performance_ratio, temp_coeff_per_k=pv.temp_coeff_per_k).sum())
    assert got == pytest.approx(SINGAPORE_PV_YIELD_KWH_PER_KWP, rel=0.10)


#: AAA, "Electric Vehicle Range Testing" (February 2019): five EVs on a dynamometer in a
#: climate chamber, combined urban/highway cycles, HVAC in use, against 75 °F (23.9 °C):
#: at 20 °F (−6.7 °C) energy economy fell 39 % and at 95 °F (35 °C) 18 % (Digital Trends and
#: AAA Colorado press release, 2019; read there). Consumption ratios 1 / (1 − loss).
AAA_2019_T_REF_C = (75.0 - 32.0) / 1.8
AAA_2019_CONSUMPTION_RATIO = {(20.0 - 32.0) / 1.8: 1.0 / (1.0 - 0.39),
                              (95.0 - 32.0) / 1.8: 1.0 / (1.0 - 0.18)}


@pytest.mark.parametrize("temp_c", sorted(AAA_2019_CONSUMPTION_RATIO))
def test_bev_temperature_response_is_within_15_percent_of_aaa_chamber_tests(
        temp_c: float) -> None:
    """The model's temperature factor (Geotab 2020 fleet data, energy/ev.py) against an
    independent source: AAA's 2019 chamber tests with heating or air-conditioning on."""
    from twincity.energy.ev import bev_temperature_factor

    ratio = float(bev_temperature_factor(temp_c) / bev_temperature_factor(AAA_2019_T_REF_C))
    assert ratio == pytest.approx(AAA_2019_CONSUMPTION_RATIO[temp_c], rel=0.15)


def test_helsinki_winter_day_bev_consumption_is_within_15_percent_of_aaa_at_minus_7() -> None:
    """Helsinki's simulated January weekday (mean ≈ −3 °C): battery energy per km over the
    day's hours relative to 23.9 °C, against AAA's −6.7 °C figure (1.64). The day is 3–4 K
    warmer than the test, so the model should sit at or a little below it.

    Not asserted, for the record: NAF/Motor's El Prix winter tests (long drives at 0 to
    −19 °C) found ranges 19–24 % below WLTP (2024: 24 %; December 2024: 19.4 %), a ratio
    of 1.24–1.32 over summer driving; the model's winter/summer ratio for Helsinki is ≈ 1.6.
    Long highway drives spread the heating over more kilometres than short urban trips
    (Geotab 2023: temperature weighs much more at urban speeds), so the two do not measure
    the same thing; the gap is reported, not resolved."""
    from twincity.energy.ev import bev_temperature_factor

    energy = _energy("helsinki")
    winter = next(d for d in energy.days if d.name == "jan_weekday")
    day = float(np.mean(bev_temperature_factor(winter.weather.temp_c)))
    ratio = day / float(bev_temperature_factor(AAA_2019_T_REF_C))
    cold = min(AAA_2019_CONSUMPTION_RATIO)
    assert ratio == pytest.approx(AAA_2019_CONSUMPTION_RATIO[cold], rel=0.15)
    assert ratio <= AAA_2019_CONSUMPTION_RATIO[cold]
