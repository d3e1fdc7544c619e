"""Import of Shopify's customer export into shopper accounts: e-mail address, name,
default address and marketing consent.

Both of Shopify's layouts are read: the current one ("Accepts Email Marketing",
"Default Address Address1", ...) and the older one ("Accepts Marketing", "Address1",
...). A file with bad rows (an address that is not an e-mail address, the same address
twice) is refused whole, each row named with its line, like the product import. Rows
the shop cannot use in full are imported as far as they go and reported: a customer
without an e-mail address cannot sign in here and is skipped; an address outside the
countries the shop ships to is left out.
"""

from dataclasses import dataclass, field

from sqlalchemy import select

from ..checkout import gateways
from ..checkout.service import InvalidDetails, clean_address
from ..csvrows import BatchRejected, LineProblem, cells, decode, header, records
from ..database import transactional
from ..extensions import db
from .models import Shopper, ShopperAddress
from .service import InvalidEmail, clean_email

# Our address field: its column in the current layout, then in the older one.
ADDRESS_COLUMNS = {
    "line1": ("Default Address Address1", "Address1"),
    "line2": ("Default Address Address2", "Address2"),
    "city": ("Default Address City", "City"),
    "state": ("Default Address Province Code", "Province Code"),
    "postal_code": ("Default Address Zip", "Zip"),
    "country": ("Default Address Country Code", "Country Code"),
}
MARKETING_COLUMNS = ("Accepts Email Marketing", "Accepts Marketing")
YES = {"yes", "true", "1", "y"}
NO = {"no", "false", "0", "n", ""}


@dataclass(frozen=True)
class Customer:
    line: int
    email: str
    name: str
    accepts_marketing: bool
    address: dict | None


@dataclass
class CustomerReport:
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    addresses_added: int = 0
    skipped: list = field(default_factory=list)  # (line, why)
    changes: list = field(default_factory=list)


def _column(values, names):
    return next((values[name] for name in names if name in values), "")


def parse_customers(data):
    """[(Customer)] and [(line, why skipped)] from a Shopify customer export; raises
    BatchRejected naming every bad line (nothing is imported)."""
    rows = records(decode(data))
    first_line, names = header(rows, "Shopify's customer export (Email, First Name, ...)")
    if "Email" not in names:
        raise BatchRejected([LineProblem(first_line, "there is no Email column: is this "
                                                     "Shopify's customer export?")])
    problems, customers, skipped, seen = [], [], [], {}
    for line, row in rows:
        values = cells(line, row, names, problems)
        if values is None:
            continue
        name = " ".join(" ".join((values.get("First Name", ""),
                                  values.get("Last Name", ""))).split())[:200]
        if not values["Email"]:
            skipped.append((line, f"{name or 'a customer'} has no e-mail address, and "
                                  "accounts here sign in by e-mail"))
            continue
        try:
            email = clean_email(values["Email"])
        except InvalidEmail as bad:
            problems.append(LineProblem(line, f"{values['Email'][:60]!r}: {bad.message}"))
            continue
        if email in seen:
            problems.append(LineProblem(line, f"{email} is also on line {seen[email]}"))
            continue
        seen[email] = line
        consent = _column(values, MARKETING_COLUMNS).lower()
        if consent not in YES | NO:
            problems.append(LineProblem(line, f"accepts marketing is {consent[:20]!r}; "
                                              "expected yes or no"))
            continue
        address = {key: _column(values, columns) for key, columns in ADDRESS_COLUMNS.items()}
        if any(address.values()):
            address, why = _usable_address(address | {"name": name})
            if why:
                skipped.append((line, f"the address of {email} was left out: {why}"))
        else:
            address = None
        customers.append(Customer(line, email, name, consent in YES, address))
    if problems:
        raise BatchRejected(problems)
    return customers, skipped


def _usable_address(address):
    if address["country"].upper() not in gateways.SHIPPING_COUNTRIES:
        return None, f"the shop ships to {', '.join(gateways.SHIPPING_COUNTRIES)} only"
    try:
        values, _ = clean_address(address, email_required=False)
    except InvalidDetails as bad:
        return None, " ".join(bad.errors.values())
    return values, ""


class _RolledBack(Exception):
    def __init__(self, report):
        super().__init__("dry run")
        self.report = report


def import_customers(customers, skipped=(), *, dry_run=False):
    """Create or update an account per customer (name when it has none, marketing consent,
    the default address unless saved already), in one transaction; returns the report.
    A dry run reports the same and writes nothing."""
    try:
        return _import(customers, skipped, dry_run)
    except _RolledBack as done:
        return done.report


@transactional
def _import(customers, skipped, dry_run):
    report = CustomerReport(dry_run, skipped=list(skipped))
    existing = {s.email: s for s in db.session.scalars(
        select(Shopper).where(Shopper.email.in_([c.email for c in customers])))}
    for customer in customers:
        shopper = existing.get(customer.email)
        created = shopper is None
        if created:
            shopper = Shopper(email=customer.email, name=customer.name,
                              accepts_marketing=customer.accepts_marketing)
            db.session.add(shopper)
            report.created += 1
            report.changes.append(f"Line {customer.line}: new account {customer.email}")
        changed = []
        if not created:
            if customer.name and not shopper.name:
                shopper.name = customer.name
                changed.append("name")
            if shopper.accepts_marketing != customer.accepts_marketing:
                shopper.accepts_marketing = customer.accepts_marketing
                changed.append("marketing consent")
        if customer.address and not any(
                (a.line1, a.postal_code) == (customer.address["line1"],
                                             customer.address["postal_code"])
                for a in shopper.addresses):
            shopper.addresses.append(ShopperAddress(
                **customer.address, is_default=not any(a.is_default for a in shopper.addresses)))
            report.addresses_added += 1
            changed.append("address")
        if not created:
            if changed:
                report.updated += 1
                report.changes.append(f"Line {customer.line}: {customer.email}: "
                                      + ", ".join(changed))
            else:
                report.unchanged += 1
    db.session.flush()
    if dry_run:
        raise _RolledBack(report)
    return report
