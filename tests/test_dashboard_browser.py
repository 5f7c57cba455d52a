"""The dashboard and report.html in a real headless Chromium (Debian's package, Playwright).

The dashboard test starts ``twincity dashboard`` on a free port, loads the page,
checks the map is SVG with one ``<path>`` per link that carried traffic, steps
the clock, and ticks a policy (remote work) whose effect on the trips of the
day is compared with the same city built in this process. ``report.html`` is
opened from disk with every request recorded: each image must load and no
request may leave the file. Screenshots go to the test's tmp folder.
Skips cleanly without Chromium, Playwright or the ``viz`` extra.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import DATA, write_variant

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which(
    "chromium-browser")
needs_browser = pytest.mark.skipif(
    CHROMIUM is None or importlib.util.find_spec("playwright") is None,
    reason="needs Debian's chromium and playwright (pip install -e '.[dev]')")
needs_viz = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("solara", "altair")),
    reason="needs the viz extra (pip install -e '.[viz]')")

SHORT = ("simulation.start_h=6", "simulation.duration_h=3", "simulation.equilibrium_days=2")


def _browser(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])


def _wait_http(url: str, proc: subprocess.Popen, limit_s: float = 120.0) -> None:
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"the dashboard exited with {proc.returncode}: "
                                 f"{proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"no dashboard at {url}")


@pytest.fixture
def town(tmp_path: Path) -> Path:
    shutil.copy(DATA / "tiny.yaml", tmp_path / "tiny.yaml")
    return write_variant(tmp_path, "town.yaml", {"policies": [
        {"name": "remote_work", "label": "wfh", "in_force": False,
         "params": {"remote_share": 0.3}}]})


@needs_browser
@needs_viz
def test_dashboard_steps_the_day_and_a_policy_toggle_changes_the_kpis(town: Path,
                                                                      tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from twincity.cli.dashboard import free_port
    from twincity.model import CityModel
    from twincity.results import format_value

    port = free_port("127.0.0.1")
    cmd = [sys.executable, "-c", "from twincity.cli import main; main()", "dashboard",
           str(town), "--port", str(port), *[a for s in SHORT for a in ("--set", s)]]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        _wait_http(f"http://127.0.0.1:{port}/", proc)
        overrides = {"simulation.start_h": 6, "simulation.duration_h": 3,
                     "simulation.equilibrium_days": 2}
        with_wfh = CityModel.from_file(town, overrides=overrides, policies=["town:wfh"])
        expected = format_value(len(with_wfh.traffic.trips) / with_wfh.traffic.share)
        with sync_playwright() as p:
            browser = _browser(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("#twincity-clock", timeout=120_000)
            assert page.inner_text("#twincity-clock") == "06:00"
            assert page.locator("#twincity-map svg").count() == 1
            trips_before = page.inner_text("#kpi-person_trips_planned")
            page.get_by_role("button", name="Step").click()
            page.wait_for_function(
                "document.querySelector('#twincity-clock').innerText == '06:15'",
                timeout=60_000)
            drawn = page.locator("#twincity-map g#links path").count()
            idle = page.locator("#twincity-map g#links-idle path").count()
            n_links = with_wfh.city.network.n_links
            assert drawn > 0 and drawn + idle == n_links   # every link, once
            assert page.inner_text("#kpi-vehicle_km_so_far") != "0"
            page.screenshot(path=str(tmp_path / "dashboard-step.png"))
            page.get_by_text("wfh").click()
            page.wait_for_function(
                "t => { const e = document.querySelector('#kpi-person_trips_planned');"
                " return e && e.innerText != t; }", arg=trips_before, timeout=180_000)
            assert page.inner_text("#kpi-person_trips_planned") == expected
            assert page.inner_text("#twincity-clock") == "06:00"   # a new day begins
            page.screenshot(path=str(tmp_path / "dashboard-wfh.png"))
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


@needs_browser
def test_report_html_loads_every_image_without_any_request_outside_the_file(
        tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from twincity.model import CityModel
    from twincity.viz.plots import KINDS, write_plots

    short = {"simulation.start_h": 6, "simulation.duration_h": 3,
             "simulation.equilibrium_days": 2}
    results = CityModel.from_file(DATA / "tiny.yaml", overrides=short).run()
    out = results.write(tmp_path / "run")
    write_plots(results, out, ["speed", "energy", "modes"])
    report = (out / "report.html").resolve()
    requests: list[str] = []
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        sizes = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, "
                                                 "e.naturalWidth])")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert len(sizes) == 3 and all(done and width > 0 for done, width in sizes)
    outside = [u for u in requests if not u.startswith(("file:", "data:"))]
    assert outside == []
    assert set(KINDS) >= {"speed", "energy", "modes"}
