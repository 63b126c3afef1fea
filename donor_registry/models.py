"""Import every table model, so SQLModel.metadata is complete for migrations and tests."""

from donor_registry.audit.models import AuditEntry  # noqa: F401
from donor_registry.donations.models import Donation  # noqa: F401
from donor_registry.donors.models import Donor, DonorMerge  # noqa: F401
