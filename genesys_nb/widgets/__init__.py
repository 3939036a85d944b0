"""Notebook widgets for genesys_nb."""
