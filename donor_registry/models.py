"""Import every table model, so SQLModel.metadata is complete for migrations and tests."""

from donor_registry.accounts.models import LoginAttempt, User, UserSession  # noqa: F401
from donor_registry.audit.models import AuditEntry  # noqa: F401
from donor_registry.campaigns.models import Campaign, Drive  # noqa: F401
from donor_registry.chapter_settings.models import ChapterSetting  # noqa: F401
from donor_registry.chapters.models import Chapter  # noqa: F401
from donor_registry.donations.models import Donation, DonationRevision  # noqa: F401
from donor_registry.donors.models import Donor, DonorMerge, DonorNameWord  # noqa: F401
from donor_registry.emergency.models import CallOut, DonorClaim, EmergencyRequest, Hospital  # noqa: F401
from donor_registry.honours.models import Ceremony, HonourAward  # noqa: F401
from donor_registry.importing.models import ImportRun  # noqa: F401
from donor_registry.portal.models import DonorAvailability, RecordCode, RecordLink  # noqa: F401
from donor_registry.privacy.models import DonorConsent  # noqa: F401
from donor_registry.questionnaire.models import QuestionnaireAnswer  # noqa: F401
from donor_registry.slots.models import DriveLink, DriveSlot, SlotBooking  # noqa: F401
from donor_registry.sms.models import InboundMessage, OutboxMessage  # noqa: F401
from donor_registry.thanks.models import DonationUse  # noqa: F401
