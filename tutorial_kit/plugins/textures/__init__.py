"""Textures plugins; the interface is in ``base.py``."""
