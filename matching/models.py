"""Watchlists, runs and alerts of the bundled engine (built on the register)."""
