"""The renderer: the scene and its ray queries (a BVH built with NumPy and
traversed in Dr.Jit), camera rays, and ``render`` itself."""
