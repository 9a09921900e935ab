"""Photos as Rekognition takes them, prepared by `facewatch faces add` before the upload.

Rekognition indexes JPEG and PNG only (and of JPEGs, RGB and grayscale ones: a CMYK JPEG is
refused), at most 15 MB for an image read from S3. So:

- a JPEG (grayscale or RGB) or PNG of at most 15 MB is uploaded unchanged;
- anything else Pillow reads (HEIC/HEIF from phones, through `pillow-heif`; WEBP, TIFF, BMP,
  GIF, CMYK JPEG, ...) is converted to an RGB JPEG (quality 95; EXIF orientation applied,
  since the EXIF block is not carried over; transparency flattened on white);
- a photo still over 15 MB is re-encoded as JPEG and, if that is not enough, downscaled until
  it fits (a face needs far fewer pixels than such a photo has).

What cannot be read is refused with `PhotoError` before anything is uploaded. Photos uploaded
without the CLI still get the indexing workflow's `not-an-image` / `image-too-large` outcomes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF (iPhone photos): pillow-heif registers a Pillow opener.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - pillow-heif is a dependency; kept for slim installs
    HEIF_SUPPORTED = False

MAX_IMAGE_BYTES = 15 * 1024 * 1024  # Rekognition's limit for an S3Object image
JPEG_QUALITY = 95
_SHRINK_QUALITY = 90
_UNCHANGED = {"JPEG": ("L", "RGB"), "PNG": ("1", "L", "LA", "P", "RGB", "RGBA")}
_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
_HEIF_SUFFIXES = (".heic", ".heif", ".hif")


class PhotoError(ValueError):
    """A photo `faces add` cannot upload; `fix` says what to do."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message, self.fix = message, fix


@dataclass(frozen=True)
class PreparedPhoto:
    body: bytes
    content_type: str
    source_format: str  # Pillow's name, e.g. "HEIF", "WEBP", "JPEG (CMYK)"
    converted: bool  # the body is a JPEG made here, not the file's bytes
    original_size: tuple[int, int]
    size: tuple[int, int]
    original_bytes: int

    def note(self) -> str | None:
        """What was done to the photo, for the command's output (None: uploaded as is)."""
        if not self.converted:
            return None
        note = f"converted from {self.source_format} to JPEG"
        if self.original_bytes > MAX_IMAGE_BYTES:
            note += f" ({self.original_bytes / 2**20:.1f} MB is over Rekognition's 15 MB)"
        if self.size != self.original_size:
            (w0, h0), (w1, h1) = self.original_size, self.size
            note += f", downscaled from {w0}x{h0} to {w1}x{h1}"
        return note


def _open(photo: Path) -> Image.Image:
    try:
        image = Image.open(photo)
        image.load()
        return image
    except UnidentifiedImageError:
        if photo.suffix.lower() in _HEIF_SUFFIXES and not HEIF_SUPPORTED:
            raise PhotoError(
                f"{photo} is a HEIC/HEIF photo and pillow-heif is not installed",
                "pip install pillow-heif (a facewatch dependency), or export the photo as JPEG",
            ) from None
        raise PhotoError(
            f"{photo} is not an image facewatch can read",
            "use a JPEG, PNG, HEIC, WEBP or TIFF photo",
        ) from None
    except Image.DecompressionBombError:
        raise PhotoError(
            f"{photo} has too many pixels to be read safely",
            "downscale the photo (a face needs a few hundred pixels across) and add it again",
        ) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise PhotoError(
            f"{photo} cannot be decoded ({error})", "check the file, or export it as JPEG"
        ) from None


def _rgb(image: Image.Image) -> Image.Image:
    upright = ImageOps.exif_transpose(image) or image
    if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return upright.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _fit(image: Image.Image, body: bytes, max_bytes: int) -> tuple[Image.Image, bytes]:
    """Re-encode, then downscale, until the JPEG is at most `max_bytes`."""
    if len(body) <= max_bytes:
        return image, body
    body = _jpeg(image, _SHRINK_QUALITY)
    while len(body) > max_bytes:
        # JPEG size grows about with the pixel count: shrink the area by the excess, plus 10%.
        scale = min(0.9, (max_bytes / len(body)) ** 0.5 * 0.95)
        width, height = max(1, int(image.width * scale)), max(1, int(image.height * scale))
        image = image.resize((width, height), Image.Resampling.LANCZOS)
        body = _jpeg(image, _SHRINK_QUALITY)
    return image, body


def prepare(photo: Path, max_bytes: int = MAX_IMAGE_BYTES) -> PreparedPhoto:
    """The bytes to upload for `photo` (see the module docstring); raises `PhotoError`."""
    original_bytes = photo.stat().st_size
    with _open(photo) as image:
        source = image.format or "unknown"
        label = f"{source} ({image.mode})" if source == "JPEG" else source
        if image.mode in _UNCHANGED.get(source, ()) and original_bytes <= max_bytes:
            return PreparedPhoto(
                photo.read_bytes(),
                _CONTENT_TYPES[source],
                label,
                False,
                image.size,
                image.size,
                original_bytes,
            )
        rgb = _rgb(image)
    fitted, body = _fit(rgb, _jpeg(rgb, JPEG_QUALITY), max_bytes)
    return PreparedPhoto(body, "image/jpeg", label, True, rgb.size, fitted.size, original_bytes)
