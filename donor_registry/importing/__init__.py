"""Importing donor and donation lists from CSV and XLSX files."""
