"""One reader of stock rows for every stock file the shop accepts; no database.

Three layouts are read, told apart by their header:

- the shop's own stock CSV (`sku`, `on_hand`, optional `expected_on_hand`),
  which `inventory export` writes;
- Shopify's inventory export with quantity columns: one row per variant and
  location (`Location`, `On hand (current)`, `On hand (new)`, `Available
  (not editable)` ...; older files have `On hand` or only `Available`);
- Shopify's older inventory export with one column per location, named after
  the location, whose cells are numbers or "not stocked".

Shopify rows are summed over their locations, since this shop keeps one stock
per variant; the per-location figures travel with the row for the preview. A
Shopify row with an empty SKU is matched by its handle and option values, the
way `shopify import` names a variant Shopify has no SKU for; a SKU that two
different variants share is told apart by the same handle and options.

`read_stock_rows` checks the whole file and returns every good row together
with every bad one (a `LineProblem` naming its line), so a caller can report
them all at once alongside what it finds when it looks the SKUs up.
"""

from dataclasses import dataclass

from ..csvrows import BatchRejected, LineProblem, cells, decode, header, records
from ..inputs import parse_int
from ..inventory.service import MAX_UNITS
from ..shopify.options import generated_sku, suffixed_sku, variant_key_values

MAX_IMPORT_ROWS = 20_000
# Where Shopify's inventory export keeps on hand, newest layout first: "On hand (new)" is
# the column staff fill in to change stock, so a value there wins over the current one.
SHOPIFY_QUANTITY_COLUMNS = ("On hand (new)", "On hand (current)", "On hand",
                            "Available (not editable)", "Available")
# Columns of Shopify's inventory exports that say which variant a row is, or carry figures
# this shop works out itself (committed, incoming ...); never a location.
SHOPIFY_IDENTITY_COLUMNS = {
    "Handle", "Title", "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value",
    "Option3 Name", "Option3 Value", "SKU", "Barcode", "HS Code", "COO", "Location",
    "Bin name", "Incoming", "Incoming (not editable)", "Unavailable",
    "Unavailable (not editable)", "Committed", "Committed (not editable)",
    "Available (not editable)", "Available", "On hand", "On hand (current)",
    "On hand (new)", "Variant ID", "Product ID", "Inventory Item ID",
}
NOT_STOCKED = "not stocked"
# A spreadsheet runs a cell starting with one of these as a formula; the export adds a '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class StockRow:
    """On hand for one SKU, from the line it first appears on.

    `expected` is the on hand the file was made against (own layout only);
    `locations` is ((location, units), ...) for a Shopify file; `matched_by` names
    the handle and options a Shopify row without SKU was matched by.
    """

    line: int
    sku: str
    on_hand: int
    expected: int | None = None
    locations: tuple = ()
    matched_by: str | None = None
    alternative_sku: str | None = None  # the SKU if another variant had this one
    # A Shopify row whose number staff typed into "On hand (new)": a count, not a copy.
    counted: bool = False


@dataclass(frozen=True)
class StockRows:
    layout: str  # "stock" (the shop's own), "shopify" or "shopify-locations"
    rows: list
    problems: list

    def raise_problems(self):
        """Raise BatchRejected when any row was bad."""
        if self.problems:
            raise BatchRejected(self.problems)


def unneutralise(text):
    """Undo the ' the export puts before a formula character."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def read_stock_rows(data):
    """Every stock row of a file (bytes or text) in any accepted layout, and every bad row.

    A file that cannot be read at all (not UTF-8, no header, an unclosed quote) comes
    back with no rows and the problem that says why.
    """
    try:
        return _read(data)
    except BatchRejected as refused:
        return StockRows("", [], refused.problems)


def _read(data):
    rows = records(decode(data))
    header_line, names = header(rows, "a stock CSV (sku, on_hand) or Shopify's inventory "
                                      "export")
    lowered = [n.lower() for n in names]
    if "sku" in lowered and "on_hand" in lowered:
        return StockRows("stock", *_own_rows(rows, names))
    if "SKU" in names or "Handle" in names:
        quantity_columns = [c for c in SHOPIFY_QUANTITY_COLUMNS if c in names]
        if quantity_columns:
            return StockRows("shopify", *_shopify_rows(rows, names, quantity_columns))
        locations = [n for n in names if n and n not in SHOPIFY_IDENTITY_COLUMNS]
        if locations:
            return StockRows("shopify-locations",
                             *_shopify_location_rows(rows, names, locations))
    missing = [c for c in ("sku", "on_hand") if c not in lowered]
    raise BatchRejected([LineProblem(header_line, (
        "this is neither Shopify's inventory export (SKU or Handle, and On hand or "
        "location columns) nor the shop's stock CSV: the header row needs the column(s) "
        + ", ".join(missing)))])


def _too_many(rows_read, line, problems):
    if rows_read > MAX_IMPORT_ROWS:
        problems.append(LineProblem(line, f"an import can have at most {MAX_IMPORT_ROWS:,} "
                                          "rows"))
        return True
    return False


def _whole(value, column, sku):
    """Units from a cell of the own layout: 0 to MAX_UNITS, else (None, message)."""
    number = parse_int(unneutralise(value))
    if number is None or not 0 <= number <= MAX_UNITS:
        return None, (f"{column} for {sku} must be a whole number from 0 to "
                      f"{MAX_UNITS:,}, not {value.strip()[:20]!r}")
    return number, None


def _own_rows(rows, names):
    names = [n.lower() for n in names]
    problems, result, seen, count = [], [], {}, 0
    for line, row in rows:
        count += 1
        if _too_many(count, line, problems):
            break
        values = cells(line, row, names, problems)
        if values is None:
            continue
        sku = unneutralise(values["sku"])
        if not sku:
            problems.append(LineProblem(line, "the sku cell is empty"))
            continue
        if sku in seen:
            problems.append(LineProblem(line, f"{sku} is also on line {seen[sku]}"))
            continue
        seen[sku] = line
        on_hand, error = _whole(values["on_hand"], "on_hand", sku)
        expected = None
        if error is None and values.get("expected_on_hand"):
            expected, error = _whole(values["expected_on_hand"], "expected_on_hand", sku)
        if error:
            problems.append(LineProblem(line, error))
            continue
        result.append(StockRow(line, sku, on_hand, expected))
    return result, sorted(problems, key=lambda p: p.line)


class _Variants:
    """Shopify rows grouped into variants, by SKU, handle and option values.

    A row without SKU gets the SKU `shopify import` generates from its handle and
    options. A row with one also carries the suffixed SKU that import gives a variant
    whose SKU another variant already had: the stock file looks that one up first, so a
    shared SKU finds the right variant whatever order or selection the export has.
    """

    def __init__(self):
        # (sku or "", handle, option values) -> [line, sku, total, locations, matched_by,
        # alternative sku, counted]
        self.by_identity = {}

    def add(self, line, values, location, units, counted=False):
        handle = values.get("Handle", "")
        options = variant_key_values(values.get(f"Option{i} Value", "") for i in (1, 2, 3))
        sku = values.get("SKU", "")
        if not sku and not handle:
            return "SKU is empty and the row has no Handle to match it by"
        identity = (sku, handle, options)
        entry = self.by_identity.get(identity)
        if entry is None:
            matched_by = None if sku else f"{handle} ({' / '.join(options) or 'no options'})"
            entry = self.by_identity[identity] = [
                line, sku or generated_sku(handle, options), 0, [], matched_by,
                suffixed_sku(sku, handle, options) if sku and handle else None, False]
        entry[2] += units
        entry[6] = entry[6] or counted
        if location:
            entry[3].append((location, units))
        return None

    def rows(self, problems):
        result = []
        for line, sku, total, locations, matched_by, alternative, counted in \
                self.by_identity.values():
            if total < 0:
                problems.append(LineProblem(line, (
                    f"Shopify shows {total} on hand for {sku} (oversold); this shop never "
                    "holds negative stock, so put the number you count (0 if none) in the "
                    "file")))
                continue
            if total > MAX_UNITS:
                problems.append(LineProblem(line, f"{sku} adds up to {total:,} units, more "
                                                  f"than {MAX_UNITS:,}"))
                continue
            result.append(StockRow(line, sku, total, None, tuple(locations), matched_by,
                                   alternative, counted))
        return result


def _shopify_units(value, column):
    """Units from a Shopify cell: (number, None), (None, None) when not stocked, or an error."""
    if value.lower() in (NOT_STOCKED, ""):
        return None, None
    number = parse_int(value)
    if number is None or abs(number) > MAX_UNITS:
        return None, f"{column} {value!r} is not a whole number of units"
    return number, None


def _shopify_rows(rows, names, quantity_columns):
    problems, variants, count = [], _Variants(), 0
    for line, row in rows:
        count += 1
        if _too_many(count, line, problems):
            break
        values = cells(line, row, names, problems)
        if values is None:
            continue
        column = next((c for c in quantity_columns if values[c]), quantity_columns[-1])
        units, error = _shopify_units(values[column], column)
        if error:
            problems.append(LineProblem(line, error))
            continue
        if units is None:
            continue
        error = variants.add(line, values, values.get("Location", ""), units,
                             counted=column == "On hand (new)")
        if error:
            problems.append(LineProblem(line, error))
    result = variants.rows(problems)
    return result, sorted(problems, key=lambda p: p.line)


def _shopify_location_rows(rows, names, locations):
    problems, variants, count = [], _Variants(), 0
    for line, row in rows:
        count += 1
        if _too_many(count, line, problems):
            break
        values = cells(line, row, names, problems)
        if values is None:
            continue
        stocked, bad = [], False
        for location in locations:
            units, error = _shopify_units(values[location], location)
            if error:
                problems.append(LineProblem(line, error))
                bad = True
            elif units is not None:
                stocked.append((location, units))
        if bad or not stocked:
            continue
        for location, units in stocked:
            error = variants.add(line, values, location, units)
            if error:
                problems.append(LineProblem(line, error))
                break
    result = variants.rows(problems)
    return result, sorted(problems, key=lambda p: p.line)
