"""What Pillow raises for a file it cannot read, shared by every place that opens results."""

from __future__ import annotations

from PIL import Image, UnidentifiedImageError

# Depending on the format and where a file is damaged, Pillow reports it in any of these.
PILLOW_ERRORS: tuple[type[BaseException], ...] = (
    Image.DecompressionBombError,
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
)
