"""[accounts] and [web] settings: sessions, passwords, sign-in throttling, the proxy in front."""

from pydantic import BaseModel, Field


class AccountSettings(BaseModel):
    #: A session ends this many hours after sign-in, whatever happens.
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    #: ... and after this many minutes without a request.
    idle_minutes: int = Field(default=120, ge=5, le=24 * 60)
    min_password_length: int = Field(default=10, ge=8, le=128)
    #: Failed sign-ins counted over this many minutes.
    throttle_minutes: int = Field(default=15, ge=1, le=24 * 60)
    #: Failures for one login name in the window before it is refused (whatever the address).
    max_failures_per_login: int = Field(default=5, ge=1)
    #: Failures from one client address in the window before it is refused (whatever the name).
    max_failures_per_address: int = Field(default=20, ge=1)


class WebSettings(BaseModel):
    #: Behind a reverse proxy that terminates https: believe its X-Forwarded-Proto/-For headers
    #: (from `forwarded_allow_ips`), so cookies get Secure and the audit sees the client address.
    trust_forwarded_proto: bool = False
    forwarded_allow_ips: str = "127.0.0.1"
    #: Spreadsheets uploaded to the import pages wait here (0700, files 0600) until imported or
    #: cancelled; never served back. Empty: a folder of this user's under the system's temp folder.
    upload_dir: str = ""
    #: The largest spreadsheet the import page accepts, in megabytes.
    max_upload_mb: int = Field(default=50, ge=1, le=2000)
    #: The dashboard's cards that read every donor of a chapter (reserve, SMS, honours due) are
    #: counted at most this often per chapter, in seconds (0: on every opening).
    dashboard_cache_seconds: int = Field(default=300, ge=0, le=86400)
