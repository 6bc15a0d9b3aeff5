"""The core: the backend and its array types, errors, transforms, frames,
warps, spectra and the sRGB curve. Nothing here knows about scenes."""
