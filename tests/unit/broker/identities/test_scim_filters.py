"""SCIM filters parse as RFC 7644 §3.4.2.2 writes them and match resources as rendered;
what does not parse is a 400 invalidFilter."""

from __future__ import annotations

import pytest

from broker.identities.scim.errors import ScimError
from broker.identities.scim.filters import matches, parse_filter, sole_equality
from broker.identities.scim.schema import ENTERPRISE, USER_SCHEMA

KIM = {
    "userName": "Kim@Acme.example",
    "name": {"givenName": "Kim", "familyName": "Lee"},
    "emails": [
        {"value": "kim@acme.example", "type": "work"},
        {"value": "k@home.example", "type": "home"},
    ],
    "active": True,
    "title": "",
    ENTERPRISE: {"department": "Platform"},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "kim@acme.example"', True),  # strings compare case-insensitively
        ('userName ne "kim@acme.example"', False),
        ('name.familyName co "ee"', True),
        ('userName sw "kim@"', True),
        ('userName ew ".example"', True),
        ("name.givenName pr", True),
        ("title pr", False),  # an empty string is not present
        ("nickName pr", False),
        ('emails[type eq "home" and value co "home"]', True),
        ('emails[type eq "other"]', False),
        ('emails co "home.example"', True),  # a complex attribute compares by its value
        ("active eq true", True),
        ('active eq "true"', False),  # a string is not a boolean
        ('userName eq "x" or name.givenName eq "kim"', True),
        ('userName eq "x" and name.givenName eq "kim"', False),
        ('not (userName eq "x")', True),
        ('(userName eq "x" or title pr) or name.familyName eq "LEE"', True),
        (f'{ENTERPRISE}:department eq "platform"', True),
        (f'{USER_SCHEMA}:userName sw "kim"', True),
    ],
)
def test_filter_matches_as_the_rfc_says(text: str, expected: bool) -> None:
    assert matches(parse_filter(text), KIM, USER_SCHEMA) is expected


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "x" and (',
        'userName xx "a"',
        "userName eq",
        "userName eq unquoted",
        'emails[type eq "work"',
        '"userName" eq "x"',
        'userName eq "x" )',
        'not userName eq "x"',
        "(" * 60 + 'userName eq "x"' + ")" * 60,
    ],
)
def test_a_filter_that_does_not_parse_is_invalid_filter(text: str) -> None:
    with pytest.raises(ScimError) as refused:
        parse_filter(text)
    assert (refused.value.status, refused.value.scim_type) == (400, "invalidFilter")


def test_the_lookup_idps_make_before_a_create_is_recognised() -> None:
    assert sole_equality(parse_filter('userName eq "Kim@acme.example"')) == (
        "username",
        "Kim@acme.example",
    )
    assert sole_equality(parse_filter('userName eq "a" or userName eq "b"')) is None
    assert sole_equality(parse_filter('userName co "a"')) is None
