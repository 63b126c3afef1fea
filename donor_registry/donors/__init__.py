"""The donor registry: people, search, duplicates, merges and consent."""
