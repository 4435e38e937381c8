"""The jurisdiction parameters prevention rules run on, read once per region."""

import datetime as dt

from sibao.prevention.rules import Cycles
from sibao.regions.parameters import parameter_value, parameter_values

CYCLE_KEY = "prevention.test_cycle_hours"
STATIC_KEY = "prevention.static_period_days"


def cycles_at(region_code: str, on: dt.date | None = None) -> Cycles:
    """The test cycles and static period in force at this region."""
    return Cycles.from_parameters(
        parameter_value(region_code, CYCLE_KEY, on).value, parameter_value(region_code, STATIC_KEY, on).value
    )


def cycles_by_region(region_codes, on: dt.date | None = None) -> dict[str, Cycles]:
    """`cycles_at` for many regions with two queries."""
    codes = set(region_codes)
    hours = parameter_values(codes, CYCLE_KEY, on)
    static = parameter_values(codes, STATIC_KEY, on)
    return {code: Cycles.from_parameters(hours[code].value, static[code].value) for code in codes}
