"""donor_registry: voluntary blood donor registry for Vietnamese Red Cross chapters."""
__version__ = "0.1.0"
