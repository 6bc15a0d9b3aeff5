"""A numbered list of the live objects of one kind (Dr.Jit's instance registry, in Python).

A Dr.Jit record may hold only arrays, so a per-lane reference to an object
(the BSDF a ray hit) must be a number: Mitsuba 3 stores a pointer that
Dr.Jit's registry of live instances resolves, and calls the object through
it. :class:`LiveInstances` does the same for Python objects: each object
gets an id (1, 2, ...; 0 means none) the first time it is numbered, keeps
it for life, and is held only by a weak reference, so that numbering an
object never keeps it alive. Ids are never reused: an id whose object has
died stays dead, and a lookup of it finds nothing.
"""
import weakref

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.limits import INVALID_INDEX


class LiveInstances:
    """The objects numbered so far, by id; see the module docstring."""

    def __init__(self):
        self._refs = [None]                 # by id; slot 0: the null id
        self._ids = {}                      # id(obj) -> its id, while it lives
        self._version = 0                   # changes whenever an object is numbered or dies
        self._cache = None                  # (key, weak references of the live objects, position table)

    def id_of(self, obj):
        """int: the id of ``obj``, numbering it now if it has none yet."""
        known = self._ids.get(id(obj), 0)
        if known and self._refs[known]() is obj:
            return known
        known = len(self._refs)
        self._refs.append(weakref.ref(obj, lambda _ref, key=id(obj): self._died(key, known)))
        self._ids[id(obj)] = known
        self._version += 1
        return known

    def _died(self, key, known):
        if self._ids.get(key) == known:
            del self._ids[key]
        self._version += 1

    def live(self):
        """``(objects, position)``: the live objects in order of their ids, and a
        UInt32 table that maps each id ever given to its object's place in
        ``objects`` (INVALID_INDEX for the null id and dead ones). The table is
        kept until an object is numbered or dies; the cache holds no object."""
        while True:
            key = (self._version, bk.UInt32)
            if self._cache is None or self._cache[0] != key:
                alive, position = [], []
                for ref in self._refs:
                    obj = None if ref is None else ref()
                    position.append(INVALID_INDEX if obj is None else len(alive))
                    if obj is not None:
                        alive.append(ref)
                # Built from a list of two or more entries (slot 0 and at least one
                # id), the table is an array in memory, never a literal in a kernel.
                self._cache = (key, alive, bk.UInt32(position))
            objects = [ref() for ref in self._cache[1]]
            if all(obj is not None for obj in objects):
                return objects, self._cache[2]
            # One died while the table was built: its death changed the version.

    def positions(self, ids, active=True):
        """``(objects, index)``: the live objects, and for each lane of ``ids`` (UInt32)
        the place of its object among them; INVALID_INDEX where ``active`` is False
        or the id is null, dead or was never given."""
        objects, position = self.live()
        known = bk.Bool(active) & (ids < dr.width(position))
        return objects, dr.select(known, dr.gather(bk.UInt32, position, ids, known), INVALID_INDEX)

    def __len__(self):
        """How many of the numbered objects are alive."""
        return len(self.live()[0])
