"""Returns and exchanges: the shopper asks from the order page, the replacement is held at
once, staff receive the parcel and refund or ship the exchange."""
