"""Export adapters: a run's results in other platforms' formats.

* :mod:`~twincity.export.fiware` — FIWARE Smart Data Models in NGSI-LD (traffic flow,
  air-quality emissions, traffic environment impact, and the KPIs of the registry).
"""
