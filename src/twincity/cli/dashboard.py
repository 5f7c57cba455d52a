"""``twincity dashboard``: a Mesa (Solara) page that steps through a city's day in the browser."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import click

from twincity.cli.group import main


def free_port(host: str) -> int:
    """A TCP port free on ``host`` now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port (0: any free port).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Scenario override (repeatable), e.g. simulation.duration_h=4.")
def dashboard(file: Path, host: str, port: int, sets: tuple[str, ...]) -> None:
    """Serve a Mesa dashboard of scenario FILE: live link map, KPIs and policy toggles.

    Open the printed address in a browser; Step/Play advance the reported day
    interval by interval; ticking a policy re-runs the city's equilibrium.
    Needs the viz extra: pip install 'twincity[viz]'.

    \b
    Examples:
      twincity dashboard scenarios/sejong.yaml
      twincity dashboard tests/data/tiny.yaml --port 0 --set simulation.duration_h=4
    """
    from twincity.cli.transfer import parse_set
    from twincity.errors import InputError
    from twincity.scenario.loader import load_scenario

    try:
        import mesa.visualization  # noqa: F401
        import solara  # noqa: F401
    except ImportError as exc:
        raise InputError(f"the dashboard needs the viz extra ({exc.name} is missing); "
                         "expected: pip install 'twincity[viz]'") from None
    overrides = parse_set(sets)
    load_scenario(file, overrides)   # one-line errors before the server starts
    port = port or free_port(host)
    env = {**os.environ, "TWINCITY_DASHBOARD_SCENARIO": str(file.resolve()),
           "TWINCITY_DASHBOARD_OVERRIDES": json.dumps(overrides), "MPLBACKEND": "Agg"}
    click.echo(f"dashboard of {file} on http://{host}:{port} (Ctrl+C to stop)", err=False)
    sys.stdout.flush()
    cmd = [sys.executable, "-m", "solara", "run", "twincity.viz.dashboard", "--host", host,
           "--port", str(port), "--production", "--no-open", "--no-check-version",
           "--log-level", "warning"]
    try:
        sys.exit(subprocess.call(cmd, env=env))
    except KeyboardInterrupt:
        sys.exit(0)
