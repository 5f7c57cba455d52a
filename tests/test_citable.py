"""A citable package: licence, citation metadata valid against the CFF schema, changelog,
type marker, top-level exports."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import yaml

import twincity

REPO = Path(__file__).resolve().parents[1]
CFF_SCHEMA = Path(__file__).resolve().parent / "data" / "cff-1.2.0.schema.json"


def test_citation_cff_is_valid_cff_1_2_0_and_agrees_with_pyproject() -> None:
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    schema = json.loads(CFF_SCHEMA.read_text())
    jsonschema.validate(citation, schema)  # raises with the failing field
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert citation["license"] == project["license"] == "MIT"
    assert citation["title"].startswith(project["name"])


def test_licence_is_the_mit_text() -> None:
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_changelog_type_marker_and_exports() -> None:
    assert (REPO / "CHANGELOG.md").read_text().startswith("# Changelog")
    assert (Path(twincity.__file__).parent / "py.typed").is_file()
    from twincity.model import CityModel
    from twincity.results import Results

    assert twincity.CityModel is CityModel and twincity.Results is Results
    for name in twincity.__all__:
        assert getattr(twincity, name) is not None
    assert set(twincity.__all__) <= set(dir(twincity))
