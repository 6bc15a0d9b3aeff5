"""Sensors plugins; the interface is in ``base.py``."""
