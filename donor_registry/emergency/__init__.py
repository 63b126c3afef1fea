"""Emergency call-outs: hospitals ask for blood, standby donors are called in waves."""

# Register the SMS answer handler in every process that loads this package (the serve
# process, the API, the CLI). It imports no settings at load time, so config.py can import
# emergency.settings without a cycle.
from donor_registry.emergency import inbound as _inbound  # noqa: F401
from donor_registry.emergency import merge as _merge  # noqa: F401  (merge hook for call-outs)
