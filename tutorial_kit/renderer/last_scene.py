"""Records that find their scene through the last one that filled a record.

Dr.Jit rebuilds records (``PreliminaryIntersection3f``, ``DirectionSample3f``)
inside loops from their fields alone, so a record cannot carry its scene;
it asks the scene that last filled a record of its kind. That scene is held
weakly: a record class must not keep a scene alive after the user dropped
it, with its arrays and the derivative graph of its parameters (a later
forward-mode derivative would otherwise meet that graph's edges).
"""
import weakref


class LastScene:
    """Mixin: ``remember_scene(scene)`` when a record is filled, ``last_scene()``
    (the scene, or None once it is gone or before any) when one needs it."""
    _last_scene = None

    @classmethod
    def remember_scene(cls, scene):
        cls._last_scene = weakref.ref(scene)

    @classmethod
    def last_scene(cls):
        return cls._last_scene() if cls._last_scene is not None else None
