"""Vietnam's administrative units since 1 July 2025 (34 provinces, 3,321 communes), legacy
(province, district, commune) addresses converted to them, and donors' addresses by code."""
