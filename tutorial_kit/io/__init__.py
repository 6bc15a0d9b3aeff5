"""Reading and writing files: the Mitsuba XML loader and its typed properties,
the OBJ and PLY mesh readers, and images (``bitmap`` with one codec per format)."""
