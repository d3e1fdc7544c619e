"""`flask shopify import-customers`: Shopify's customer export (both layouts) into
accounts, reported like the product import; bad files change nothing."""

import pytest
from sqlalchemy import func, select

from storefront.account.models import Shopper, ShopperAddress
from storefront.extensions import db
from tests.account.helpers import sign_in, text
from tests.conftest import Browser

CURRENT = (
    "First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
    "Default Address Address1,Default Address Address2,Default Address City,"
    "Default Address Province Code,Default Address Country Code,Default Address Zip,"
    "Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,"
    "Tax Exempt,Tags\n"
    "June,Park,June.Park@Example.com,yes,,12 Elm Street,Apt 3,Portland,OR,US,97201,,,no,"
    "120.00,2,,no,\n"
    "Amir,Haddad,amir@example.com,no,,3 Rue Royale,,Paris,,FR,75008,,,no,0.00,0,,no,\n"
    "Phone,Only,,no,,,,,,,,,+15550100,yes,0.00,0,,no,\n"
    "Lee,Wong,lee@example.com,no,,,,,,,,,,no,0.00,0,,no,\n"
)
LEGACY = (
    "First Name,Last Name,Email,Company,Address1,Address2,City,Province,Province Code,"
    "Country,Country Code,Zip,Phone,Accepts Marketing,Total Spent,Total Orders,Tags,Note,"
    "Tax Exempt\n"
    "Rosa,Marsh,rosa@example.com,,4 Quay Road,,Halifax,Nova Scotia,NS,Canada,CA,B3H 1A1,,"
    "yes,10.00,1,,,no\n"
)


def run(runner, tmp_path, content, *flags):
    path = tmp_path / "customers_export.csv"
    path.write_text(content, encoding="utf-8")
    return runner.invoke(args=["shopify", "import-customers", str(path), *flags])


def accounts():
    db.session.expire_all()
    return {s.email: (s.name, s.accepts_marketing, [a.lines for a in s.addresses])
            for s in db.session.scalars(select(Shopper))}


def test_the_current_layout_is_imported_and_reported(runner, tmp_path):
    result = run(runner, tmp_path, CURRENT)
    assert result.exit_code == 0, result.output
    assert accounts() == {
        "june.park@example.com": ("June Park", True, [
            ["June Park", "12 Elm Street", "Apt 3", "Portland OR 97201", "US"]]),
        "amir@example.com": ("Amir Haddad", False, []),
        "lee@example.com": ("Lee Wong", False, []),
    }
    assert "Line 3: the address of amir@example.com was left out: the shop ships to US, CA" in (
        result.output)
    assert "Line 4: Phone Only has no e-mail address" in result.output
    assert ("Imported: accounts 3 created, 0 updated, 0 unchanged; 1 address added; "
            "2 rows imported in part or skipped.") in result.output


def test_the_older_layout_is_imported_and_a_second_run_changes_nothing(runner, tmp_path):
    assert run(runner, tmp_path, LEGACY).exit_code == 0
    assert accounts() == {"rosa@example.com": ("Rosa Marsh", True, [
        ["Rosa Marsh", "4 Quay Road", "Halifax NS B3H 1A1", "CA"]])}
    again = run(runner, tmp_path, LEGACY)
    assert "accounts 0 created, 0 updated, 1 unchanged; 0 addresses added" in again.output
    assert db.session.scalar(select(func.count(ShopperAddress.id))) == 1


def test_an_existing_account_keeps_its_own_data_and_gains_the_rest(app, runner, tmp_path):
    browser = Browser(app)
    sign_in(browser, "rosa@example.com")
    assert run(runner, tmp_path, LEGACY.replace("yes,10.00", "no,10.00")).exit_code == 0
    assert accounts()["rosa@example.com"][0] == "Rosa Marsh"
    assert "4 Quay Road" in text(browser.get("/account"))


def test_a_dry_run_reports_and_writes_nothing(runner, tmp_path):
    result = run(runner, tmp_path, CURRENT, "--dry-run")
    assert result.exit_code == 0
    assert "Line 2: new account june.park@example.com" in result.output
    assert "Dry run summary: accounts 3 created" in result.output
    assert accounts() == {}


@pytest.mark.parametrize("content, message", [
    (CURRENT.replace("lee@example.com", "lee@"), "Line 5: 'lee@': Enter an e-mail address"),
    (CURRENT.replace("lee@example.com", "june.park@example.com"),
     "Line 5: june.park@example.com is also on line 2"),
    (CURRENT.replace("Wong,lee@example.com,no", "Wong,lee@example.com,maybe"),
     "Line 5: accepts marketing is 'maybe'; expected yes or no"),
    ("Name,Phone\nJune,555\n", "Line 1: there is no Email column"),
    ("", "Line 1: the file is empty"),
])
def test_a_bad_file_names_its_lines_and_imports_nothing(runner, tmp_path, content, message):
    result = run(runner, tmp_path, content)
    assert result.exit_code != 0
    assert message in result.output
    assert "Nothing was imported" in result.output
    assert accounts() == {}
