"""Moving a shop over from Shopify: its product and inventory CSV exports, read and imported.

`csvfile` reads the files (no database), `options` maps Shopify option values
to the catalogue's sizes, widths and colours, `html` sanitises product bodies,
`service` writes the catalogue and opens or counts stock through inventory's
service, and `commands` is `flask shopify import`.
"""
