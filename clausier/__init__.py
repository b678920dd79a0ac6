"""Clausier — domain package (no Streamlit import here)."""

__version__ = "0.1.0"
