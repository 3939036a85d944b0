"""genesys_nb: a Python SDK and Jupyter toolkit for Genesys Cloud Data Actions."""
__version__ = "0.1.0"
