"""A drive's time slots and the donors' bookings of them."""

# Register the merge hook in every process that loads this package (models.py imports it).
from donor_registry.slots import merge as _merge  # noqa: F401
