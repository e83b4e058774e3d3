"""Compact codecs for image observations ``[N, C, H, W]`` in the DAgger dataset (:mod:`.storage`); pure torch.

``"uint8"`` is an affine quantisation per image: ``lo = min(x)``, ``scale = (max(x) - min(x)) / 255`` (1 for a
constant image, which is then exact), ``q = round((x - lo) / scale)`` in 0..255, decoded as ``q * scale + lo``. Every
decoded pixel is within ``scale / 2`` (half a quantisation step) of the input, up to float32 rounding. The input
must be finite (the runner raises on non-finite observations before they are stored). ``"float16"`` is a cast,
``"float32"`` stores the image as is.
"""

from __future__ import annotations

import torch

IMAGE_DTYPES = {"float32": torch.float32, "float16": torch.float16, "uint8": torch.uint8}
"""Storage dtype of image groups by name."""


def check_image_dtype(name: str) -> torch.dtype:
    """The torch dtype of an ``image_dtype`` name; raises ``ValueError`` naming the allowed values."""
    if name not in IMAGE_DTYPES:
        raise ValueError(f"image_dtype must be one of {sorted(IMAGE_DTYPES)}, got {name!r}")
    return IMAGE_DTYPES[name]


def quantise(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Quantise each image of ``images`` ``[N, ...]`` to uint8.

    Returns:
        ``(q, lo, scale)``: ``q`` uint8 of the shape of ``images``; ``lo`` and ``scale`` float32 ``[N]``.
    """
    x = images.float()
    lo, hi = x.flatten(1).aminmax(dim=1)
    scale = (hi - lo) / 255
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))  # constant image: q = 0, decoded exactly as lo
    view = (-1,) + (1,) * (x.dim() - 1)
    q = torch.round((x - lo.view(view)) / scale.view(view)).clamp_(0, 255).to(torch.uint8)
    return q, lo, scale


def dequantise(q: torch.Tensor, lo: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Float32 images from :func:`quantise`'s output; ``lo``/``scale`` have the leading (batch) dims of ``q``."""
    view = tuple(lo.shape) + (1,) * (q.dim() - lo.dim())
    return q.float() * scale.view(view) + lo.view(view)
