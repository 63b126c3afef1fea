"""Data protection (Law 91/2025/QH15, Decree 356/2025/NĐ-CP): consent per purpose, a donor's
own data on request, erasure, private files and the processing records."""
