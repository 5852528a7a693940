import csv
from collections import defaultdict

import pytest
from django_countries import countries
from django_countries.fields import Country

from accounts.regions import (
    DATA_FILE,
    Region,
    region_of,
    same_sub_region,
    sub_region_of,
    sub_regions,
)


def read_rows():
    with DATA_FILE.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_every_country_offered_on_forms_has_a_region():
    missing = []
    for country in countries:
        try:
            placement = region_of(country.code)
        except KeyError:
            missing.append(country.code)
            continue
        assert placement.region, country.code
        assert placement.sub_region, country.code
    assert missing == []


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("BR", Region("Americas", "Latin America and the Caribbean", "South America")),
        (
            "MX",
            Region("Americas", "Latin America and the Caribbean", "Central America"),
        ),
        ("JM", Region("Americas", "Latin America and the Caribbean", "Caribbean")),
        ("US", Region("Americas", "Northern America")),
        ("CA", Region("Americas", "Northern America")),
        ("IN", Region("Asia", "Southern Asia")),
        ("DE", Region("Europe", "Western Europe")),
        ("NG", Region("Africa", "Sub-Saharan Africa", "Western Africa")),
        ("KE", Region("Africa", "Sub-Saharan Africa", "Eastern Africa")),
        ("EG", Region("Africa", "Northern Africa")),
        ("JP", Region("Asia", "Eastern Asia")),
        ("AU", Region("Oceania", "Australia and New Zealand")),
        # Not listed in M49; placed by geography (see data/README.md).
        ("TW", Region("Asia", "Eastern Asia")),
        ("XK", Region("Europe", "Southern Europe")),
    ],
)
def test_spot_checks(code, expected):
    assert region_of(code) == expected


def test_codes_are_case_and_space_insensitive():
    assert region_of(" br ") == region_of("BR")


def test_a_user_country_field_value_can_be_passed_as_is():
    assert sub_region_of(Country("BR")) == "Latin America and the Caribbean"


def test_same_sub_region():
    assert same_sub_region("US", "CA")
    assert not same_sub_region("BR", "US")
    assert same_sub_region("NG", "KE")  # both Sub-Saharan Africa


@pytest.mark.parametrize("code", ["ZZ", "", "USA", "not a code"])
def test_unknown_code_raises_key_error_naming_it(code):
    with pytest.raises(KeyError, match="No UN M49 region is known") as excinfo:
        region_of(code)
    assert repr(code) in str(excinfo.value)


def test_same_sub_region_refuses_unknown_codes():
    with pytest.raises(KeyError):
        same_sub_region("US", "ZZ")


def test_sub_regions_are_sorted_and_distinct():
    names = sub_regions()
    assert names == sorted(set(names))
    assert "Northern America" in names
    assert "Latin America and the Caribbean" in names
    # Intermediate regions are not sub-regions: matching works one level up.
    assert "South America" not in names


def test_data_file_has_one_row_per_code():
    codes = [row["iso_alpha2"] for row in read_rows()]
    assert len(codes) == len(set(codes))


def test_data_file_hierarchy_is_a_tree():
    # A typo in a region name would silently split a sub-region in two and let
    # neighbours be matched as if they were far apart.
    parents = defaultdict(set)
    for row in read_rows():
        parents[row["sub_region"]].add(row["region"])
        if row["intermediate_region"]:
            parents[row["intermediate_region"]].add(row["sub_region"])
    assert {name: found for name, found in parents.items() if len(found) > 1} == {}


def test_rows_without_an_m49_code_say_why():
    for row in read_rows():
        if not row["m49_code"]:
            assert row["note"], row["iso_alpha2"]


def test_countries_in_a_sub_region_are_exactly_those_placed_there():
    from accounts.regions import countries_in_sub_region

    northern_america = countries_in_sub_region("Northern America")
    assert {"US", "CA"} <= set(northern_america)
    assert "MX" not in northern_america
    assert all(sub_region_of(code) == "Northern America" for code in northern_america)
    assert countries_in_sub_region("Atlantis") == []
