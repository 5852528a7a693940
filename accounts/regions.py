"""Where each country sits in the UN M49 geoscheme.

A mentor must come from another country and another M49 sub-region than the
mentee. The data is `data/un_m49.csv`; `data/README.md` names its source and
version and the few rows that depart from M49.
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "un_m49.csv"


@dataclass(frozen=True)
class Region:
    region: str
    sub_region: str
    # Empty for most of the world: M49 splits only Sub-Saharan Africa, Latin
    # America and the Caribbean, and (for the Channel Islands) Northern Europe.
    intermediate_region: str = ""


@cache
def _regions_by_code() -> dict[str, Region]:
    with DATA_FILE.open(newline="", encoding="utf-8") as file:
        return {
            row["iso_alpha2"]: Region(
                region=row["region"],
                sub_region=row["sub_region"],
                intermediate_region=row["intermediate_region"],
            )
            for row in csv.DictReader(file)
        }


def region_of(country_code: str) -> Region:
    """The M49 placement of an ISO 3166-1 alpha-2 code ("BR", "us").

    A django-countries ``Country`` works too, since its ``str()`` is its code.
    """
    code = str(country_code).strip().upper()
    try:
        return _regions_by_code()[code]
    except KeyError:
        raise KeyError(
            f"No UN M49 region is known for country code {country_code!r}; "
            f"expected an ISO 3166-1 alpha-2 code listed in {DATA_FILE.name}."
        ) from None


def sub_region_of(country_code: str) -> str:
    return region_of(country_code).sub_region


def same_sub_region(country_a: str, country_b: str) -> bool:
    return sub_region_of(country_a) == sub_region_of(country_b)


def sub_regions() -> list[str]:
    return sorted({region.sub_region for region in _regions_by_code().values()})


def countries_in_sub_region(sub_region: str) -> list[str]:
    """The alpha-2 codes of the countries in one M49 sub-region."""
    return sorted(
        code
        for code, region in _regions_by_code().items()
        if region.sub_region == sub_region
    )
