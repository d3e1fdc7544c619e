"""Moving a shop over from Shopify: its product export, read and imported.

`csvfile` reads the product export in either of Shopify's layouts (no database),
`options` maps Shopify option names and values to the catalogue's sizes, widths
and colours and names variants Shopify has no SKU for, `html` sanitises product
bodies, `service` writes the catalogue and opens or counts stock through
inventory's service, and `commands` is `flask shopify import`. Shopify's
inventory export is read with the shop's own stock files (`staff.stockrows`).
"""
