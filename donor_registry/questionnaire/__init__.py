"""The pre-donation questionnaire behind the donor's drive link: the form as data (forms/*.toml),
its pure rules (rules.py) and the answers kept under the health-data consent (service.py)."""
