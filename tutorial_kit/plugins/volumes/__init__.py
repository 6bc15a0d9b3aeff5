"""Volume plugins (XML ``<volume>``); their interface is in :mod:`tutorial_kit.renderer.volume`."""
