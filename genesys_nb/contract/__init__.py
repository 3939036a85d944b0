"""Contracts: schema compilation, input/output checks with field paths, messages, derived test cases."""
