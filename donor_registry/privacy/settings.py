"""The [privacy] section of config.toml: the retention rule and the processors, as the
processing records (`privacy report`) state them."""

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_IDENTITY_RETENTION = (
    "Identity and contact data (name, date of birth, phone, national ID, address, notes) and health "
    "data (blood group, weight) are kept while the donor is registered and erased on the donor's "
    "request (`donors erase`)."
)
DEFAULT_DONATION_RETENTION = (
    "Donation and deferral records are kept without identity after an erasure (sex, birth year, "
    "district and province remain), so the chapter's counts, honours and annual reports stay right."
)


class Processor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    service: str
    country: str


class PrivacySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identity_retention: str = DEFAULT_IDENTITY_RETENTION
    donation_retention: str = DEFAULT_DONATION_RETENTION
    # Processors other than the SMS gateway (which comes from [sms] gateway), e.g. a hosting provider.
    processors: list[Processor] = Field(default_factory=list)
