"""The image tools, really done with Pillow: what a ProcessImage result will be, and making it.

Not Tencent's models, but results a client can check: an upscale has the planned size, a
cutout is an RGBA PNG whose background is transparent, an expansion is the picture on a
wider canvas, and Describe is a short text about the picture's shape and colours.
Everything here is blocking: the service runs it in a worker thread.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from .image_task_configs import (
    CUTOUT,
    EXPANSION,
    EXPANSION_MAX_SIDE,
    SUPER_RESOLUTION,
    UNDERSTAND,
    UPSCALE_MAX_SIDE,
)
from .process_image import ToolJob
from .protocol import ApiError

# Pillow format -> the extension MPS writes for {format}; the four EncodeConfig formats.
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "BMP": "bmp", "WEBP": "webp"}
ENCODE_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "BMP": "BMP", "WebP": "WEBP"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "bmp": "image/bmp", "webp": "image/webp"}
# Colour distance (0-255 luminance of the difference) above which a pixel is foreground.
CUTOUT_THRESHOLD = 40
COLOUR_NAMES = {
    "black": ((0, 0, 0), "黑色"),
    "white": ((245, 245, 245), "白色"),
    "grey": ((128, 128, 128), "灰色"),
    "red": ((200, 30, 30), "红色"),
    "orange": ((240, 140, 20), "橙色"),
    "yellow": ((240, 220, 40), "黄色"),
    "green": ((40, 160, 60), "绿色"),
    "teal": ((20, 150, 150), "青色"),
    "blue": ((40, 70, 200), "蓝色"),
    "purple": ((130, 50, 170), "紫色"),
    "pink": ((240, 130, 180), "粉色"),
    "brown": ((120, 75, 40), "棕色"),
}


@dataclass(frozen=True)
class SourceImage:
    width: int
    height: int
    extension: str  # the input's own format, which the output keeps without EncodeConfig


@dataclass(frozen=True)
class Rendered:
    data: bytes | None  # the output file, None for a text result
    extension: str
    text: str = ""


def inspect(data: bytes, max_pixels: int) -> SourceImage:
    """Decode the input fully (a truncated file fails here, not later)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in EXTENSIONS:
                raise ValueError(f"format {image.format}")
            if image.width * image.height > max_pixels:
                raise ValueError("too many pixels")
            image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning) as exc:
        raise ApiError(
            "InvalidParameterValue.SrcFile", f"The input is not a usable image ({exc})."
        ) from None
    return SourceImage(image.width, image.height, EXTENSIONS[image.format])


def output_extension(job: ToolJob, source: SourceImage) -> str:
    if job.encode_format is not None:
        return EXTENSIONS[ENCODE_NAMES[job.encode_format]]
    return source.extension  # "缺省为原图格式"


def plan_size(job: ToolJob, source: SourceImage) -> tuple[int, int]:
    """The output's size, or ApiError when it would break a documented cap."""
    w, h = source.width, source.height
    settings = job.settings
    if job.tool == SUPER_RESOLUTION:
        size = _super_resolution_size(settings, w, h)
        if max(size) > UPSCALE_MAX_SIDE:
            raise ApiError(
                "InvalidParameterValue",
                f"Super-resolution of a {w}x{h} image would give {size[0]}x{size[1]}: "
                f"at most {UPSCALE_MAX_SIDE} px a side.",
            )
        return size
    if job.tool == EXPANSION:
        size = _expansion_size(settings, w, h)
        if max(size) > EXPANSION_MAX_SIDE:
            raise ApiError(
                "InvalidParameterValue",
                f"Expanding a {w}x{h} image to {settings.get('AspectRatio')} would give "
                f"{size[0]}x{size[1]}: at most {EXPANSION_MAX_SIDE} px a side.",
            )
        return size
    return w, h


def _super_resolution_size(settings: dict, w: int, h: int) -> tuple[int, int]:
    mode = settings.get("Mode") or "percent"
    width, height = settings.get("Width"), settings.get("Height")
    long_side, short_side = settings.get("LongSide"), settings.get("ShortSide")
    if mode == "percent":
        percent = settings["Percent"]
        return max(1, round(w * percent)), max(1, round(h * percent))
    landscape = w >= h
    if mode == "fixed":
        if width and height:
            return width, height
        return (long_side, short_side) if landscape else (short_side, long_side)
    # aspect: the larger rectangle of the input's shape that the given sides ask for.
    scales = []
    if width or height:
        scales += [width / w] if width else []
        scales += [height / h] if height else []
    else:
        if long_side:
            scales.append(long_side / max(w, h))
        if short_side:
            scales.append(short_side / min(w, h))
    scale = max(scales)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _expansion_size(settings: dict, w: int, h: int) -> tuple[int, int]:
    width, height = settings.get("Width") or 0, settings.get("Height") or 0
    if width and height:
        return width, height
    a, b = (int(part) for part in settings["AspectRatio"].split(":"))
    ratio = a / b
    if width:
        return width, max(1, round(width / ratio))
    if height:
        return max(1, round(height * ratio)), height
    # The smallest canvas of that ratio holding the whole picture.
    if ratio >= w / h:
        return max(w, round(h * ratio)), h
    return w, max(h, round(w / ratio))


def render(job: ToolJob, data: bytes, size: tuple[int, int], extension: str) -> Rendered:
    image = Image.open(io.BytesIO(data))
    image.load()
    if job.tool == UNDERSTAND:
        return Rendered(None, extension, describe(image, job.settings.get("Prompt") or ""))
    if job.tool == SUPER_RESOLUTION:
        out = image.convert("RGBA" if _has_alpha(image) else "RGB").resize(size, Image.LANCZOS)
    elif job.tool == EXPANSION:
        out = expand(image.convert("RGB"), size)
    elif job.tool == CUTOUT:
        out = cut_out(image.convert("RGB"))
    else:
        out = image
    return Rendered(encode(out, extension, job.encode_quality), extension)


def expand(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The picture centred on the canvas (scaled down only if it does not fit), the rest
    filled with a blurred stretch of it: a stand-in for generated surroundings."""
    width, height = size
    small = image.resize((max(1, width // 8), max(1, height // 8)), Image.BILINEAR)
    canvas = small.filter(ImageFilter.GaussianBlur(3)).resize(size, Image.BILINEAR)
    scale = min(1.0, width / image.width, height / image.height)
    if scale < 1.0:
        image = image.resize(
            (max(1, int(image.width * scale)), max(1, int(image.height * scale))), Image.LANCZOS
        )
    canvas.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
    return canvas


def cut_out(image: Image.Image) -> Image.Image:
    """RGBA: pixels close to the border's colour become transparent, the rest stay opaque;
    a picture whose border says nothing gets an elliptic subject in the middle."""
    border = _border_colour(image)
    difference = ImageChops.difference(image, Image.new("RGB", image.size, border)).convert("L")
    mask = difference.point(lambda v: 255 if v > CUTOUT_THRESHOLD else 0)
    opaque = sum(mask.histogram()[255:]) / (image.width * image.height)
    if not 0.02 <= opaque <= 0.98:
        mask = Image.new("L", image.size, 0)
        inset_x, inset_y = image.width // 6, image.height // 6
        ImageDraw.Draw(mask).ellipse(
            (inset_x, inset_y, image.width - inset_x, image.height - inset_y), fill=255
        )
    out = image.convert("RGBA")
    out.putalpha(mask)
    return out


def describe(image: Image.Image, prompt: str) -> str:
    """A short text: shape, size, main colours and brightness (in Chinese when the
    instruction is Chinese)."""
    chinese = any("\u4e00" <= ch <= "\u9fff" for ch in prompt)
    rgb = image.convert("RGB")
    small = rgb.resize((32, 32))
    colours = small.quantize(colors=3).convert("RGB").getcolors(32 * 32) or []
    names: list[str] = []
    for _, colour in sorted(colours, reverse=True):
        name = _colour_name(colour)
        if name not in names:
            names.append(name)
    bright = ImageStat.Stat(small.convert("L")).mean[0] > 128
    w, h = image.size
    shape = "square" if abs(w - h) <= min(w, h) * 0.05 else ("wide" if w > h else "tall")
    if chinese:
        shape_zh = {"square": "方形", "wide": "横向", "tall": "竖向"}[shape]
        tones = "、".join(COLOUR_NAMES[n][1] for n in names)
        light = "明亮" if bright else "昏暗"
        return f"一幅{shape_zh}画面，{w}×{h} 像素，以{tones}为主，整体{light}，构图简洁。"
    tones = ", ".join(names[:-1]) + (f" and {names[-1]}" if len(names) > 1 else names[0])
    light = "bright" if bright else "dark"
    return f"A {shape} {light} picture, {w}x{h} pixels, mostly {tones}, with a simple composition."


def encode(image: Image.Image, extension: str, quality: int | None) -> bytes:
    if extension in ("jpg", "bmp") and image.mode not in ("RGB", "L"):
        # No alpha in these formats: transparency is flattened onto white.
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A") if _has_alpha(image) else None)
        image = flat
    out = io.BytesIO()
    name = {"jpg": "JPEG", "png": "PNG", "bmp": "BMP", "webp": "WEBP"}[extension]
    options = {"quality": quality} if quality is not None and name in ("JPEG", "WEBP") else {}
    image.save(out, name, **options)
    return out.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)


def _border_colour(image: Image.Image) -> tuple[int, int, int]:
    """The median colour of the outermost pixels."""
    border = Image.new("L", image.size, 255)
    if image.width > 2 and image.height > 2:
        border.paste(0, (1, 1, image.width - 1, image.height - 1))
    red, green, blue = ImageStat.Stat(image, mask=border).median[:3]
    return red, green, blue


def _colour_name(colour: tuple[int, int, int]) -> str:
    def distance(name: str) -> int:
        ref = COLOUR_NAMES[name][0]
        return sum((a - b) ** 2 for a, b in zip(colour, ref, strict=True))

    return min(COLOUR_NAMES, key=distance)
