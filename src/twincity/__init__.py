"""twincity: a multi-city urban simulation testbed.

Simulate a day of a city's traffic, energy and emissions, and trial one
city's policy in another city's scenario.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("twincity")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
