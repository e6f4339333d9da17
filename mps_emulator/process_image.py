"""Check ProcessImage requests the way MPS does, and turn them into a ToolJob.

Field names and types follow the SDK 3.1.194 models (`ProcessImageRequest`,
`MediaInputInfo`, `TaskOutputStorage`, `ImageTaskInput` and its configs). Where the
documentation is silent the stricter reading is taken, and the refusal says so:
- a URL input has no storage to inherit, so `OutputStorage` (a COS bucket with its region)
  is required, and so is a folder: `OutputDir` or an absolute `OutputPath`;
- `OutputPath` must end in the literal `.{format}`; only `{inputName}` and `{format}` are
  documented variables;
- one tool per task (with an optional `EncodeConfig`): combining them is not documented;
- `AiCutoutConfig.Model` and `UnderstandImageConfig.Model` have no documented default, so
  they are required; so is `Percent` in the (default) `percent` super-resolution mode;
- the 4096 px cap of super-resolution holds for its result in every mode, and the 2048 px
  cap of expansion for the canvas however it is asked for (planned once the input's size
  is known, in `plan_size`);
- `AiExpansionConfig.AspectRatio` takes the ten ratios ImageProcessOutputConfig lists, and
  with Width and Height as well the three must agree (which wins is not documented);
- inputs are JPEG, PNG, WebP or BMP (the formats EncodeConfig names; none are documented
  for inputs), fetched and decoded before the task exists.
Only URL inputs and COS outputs are emulated; templates (`Definition`), orchestrations
(`ScheduleId`) and the other ImageTask configs are answered UnsupportedOperation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from .image_task_configs import (
    ENCODE,
    ENCODE_FIELDS,
    ENCODE_FORMATS,
    check_fields,
    enabled_tools,
    not_emulated,
    one_of,
)
from .protocol import ApiError, missing

REQUEST_FIELDS: dict[str, Any] = {
    "InputInfo": dict,
    "OutputStorage": dict,
    "OutputDir": str,
    "OutputPath": str,
    "Definition": int,
    "ResourceId": str,
    "ImageTask": dict,
    "ScheduleId": int,
    "AddOnParameter": dict,
    "StdExtInfo": str,
}
INPUT_FIELDS = {
    "Type": str,
    "CosInputInfo": dict,
    "UrlInputInfo": dict,
    "S3InputInfo": dict,
    "VODInputInfo": dict,
}
URL_INPUT_FIELDS = {"Url": str}
OUTPUT_FIELDS = {
    "Type": str,
    "CosOutputStorage": dict,
    "S3OutputStorage": dict,
    "VODOutputStorage": dict,
}
COS_OUTPUT_FIELDS = {"Bucket": str, "Region": str}
IMAGE_TASK_FIELDS = dict.fromkeys(
    (
        "EncodeConfig",
        "EnhanceConfig",
        "EraseConfig",
        "BlindWatermarkConfig",
        "BeautyConfig",
        "TransformConfig",
        "AiTryOnConfig",
        "AiPosterSuiteConfig",
        "CreateImageConfig",
        "AiCutoutConfig",
        "AiExpansionConfig",
        "AiStoryboardConfig",
        "UnderstandImageConfig",
        "ImageQualityConfig",
        "AiComposeConfig",
        "AiDecomposeConfig",
    ),
    dict,
)
EMULATED_IMAGE_TASK = (
    "EncodeConfig",
    "EnhanceConfig",
    "AiCutoutConfig",
    "AiExpansionConfig",
    "UnderstandImageConfig",
)
INPUT_TYPES = ("COS", "URL", "AWS-S3", "VOD")
OUTPUT_TYPES = ("COS", "AWS-S3", "VOD")
# COS bucket names: `<name>-<APPID>`, lower-case letters, digits and inner hyphens.
BUCKET_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]{5,}$")
PATH_VARIABLE = re.compile(r"\{([^{}]*)\}")
PATH_VARIABLES = ("inputName", "format")


@dataclass(frozen=True)
class ToolJob:
    """A checked ProcessImage: what to fetch, what to do with it, where to write it."""

    tool: str
    input_url: str
    input_name: str  # the URL's file name without extension, for {inputName}
    bucket: str
    region: str
    path_template: str  # the object key, {format} still to fill in
    settings: dict[str, Any] = field(default_factory=dict)  # the tool's config, as sent
    encode_format: str | None = None
    encode_quality: int | None = None
    # Echoed by DescribeImageTaskDetail as sent.
    image_task: dict[str, Any] = field(default_factory=dict)
    input_info: dict[str, Any] = field(default_factory=dict)


def validate_process_image(params: dict[str, Any]) -> ToolJob:
    check_fields(params, REQUEST_FIELDS, "", unknown_code="UnknownParameter")
    for name in ("Definition", "ScheduleId", "AddOnParameter"):
        if params.get(name) is not None:
            raise not_emulated(name)
    url = _input_url(params.get("InputInfo"))
    bucket, region = _output_storage(params.get("OutputStorage"))
    template = _output_path(params.get("OutputDir"), params.get("OutputPath"))
    task = params.get("ImageTask")
    if not task:
        raise missing("ImageTask")
    check_fields(task, IMAGE_TASK_FIELDS, "ImageTask.")
    for name, value in task.items():
        if value is not None and name not in EMULATED_IMAGE_TASK:
            raise not_emulated(f"ImageTask.{name}")
    tools = enabled_tools(task)
    if len(tools) > 1:
        raise ApiError(
            "InvalidParameter",
            f"ImageTask enables {', '.join(n for n, _ in tools)}: combining tools in one task "
            "is not documented, so one tool per task is accepted.",
        )
    encode = task.get("EncodeConfig") or {}
    check_fields(encode, ENCODE_FIELDS, "ImageTask.EncodeConfig.")
    encode_format = one_of(encode.get("Format"), ENCODE_FORMATS, "ImageTask.EncodeConfig.Format")
    quality = encode.get("Quality")
    if quality is not None and not 1 <= quality <= 100:
        raise ApiError("InvalidParameterValue.Quality", "EncodeConfig.Quality must be 1-100.")
    if not tools and encode_format is None:
        raise ApiError("InvalidParameter", "ImageTask asks for no processing.")
    tool, settings = tools[0] if tools else (ENCODE, {})
    input_name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]).rsplit(".", 1)[0] or "image"
    return ToolJob(
        tool=tool,
        input_url=url,
        input_name=input_name,
        bucket=bucket,
        region=region,
        path_template=template.replace("{inputName}", input_name).lstrip("/"),
        settings=settings,
        encode_format=encode_format,
        encode_quality=quality,
        image_task=task,
        input_info=params["InputInfo"],
    )


def _input_url(info: dict[str, Any] | None) -> str:
    if not info:
        raise missing("InputInfo")
    check_fields(info, INPUT_FIELDS, "InputInfo.")
    kind = info.get("Type")
    if not kind:
        raise ApiError("InvalidParameter.NoInputSpecified", "InputInfo.Type is not specified.")
    if kind not in INPUT_TYPES:
        raise ApiError(
            "InvalidParameterValue.Type", f"InputInfo.Type must be one of {INPUT_TYPES}."
        )
    if kind == "AWS-S3":
        raise ApiError("InvalidParameter.InputInfo", "AWS-S3 input is for transcoding only.")
    if kind != "URL":
        raise not_emulated(f"InputInfo.Type {kind}")
    url_info = info.get("UrlInputInfo")
    if not url_info or not url_info.get("Url"):
        raise ApiError("InvalidParameter.InputInfo", "UrlInputInfo.Url is required for URL input.")
    check_fields(url_info, URL_INPUT_FIELDS, "InputInfo.UrlInputInfo.")
    url = url_info["Url"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApiError("InvalidParameter.InvalidUrl", f"The URL `{url}` is not valid.")
    return url


def _output_storage(storage: dict[str, Any] | None) -> tuple[str, str]:
    if not storage:
        raise ApiError(
            "InvalidParameter.Output",
            "OutputStorage is required: a URL input has no storage to inherit.",
        )
    check_fields(storage, OUTPUT_FIELDS, "OutputStorage.")
    kind = storage.get("Type")
    if kind not in OUTPUT_TYPES:
        raise ApiError(
            "InvalidParameterValue.Type", f"OutputStorage.Type must be one of {OUTPUT_TYPES}."
        )
    if kind == "AWS-S3":
        raise ApiError("InvalidParameter.Output", "AWS-S3 output is only for AWS tasks.")
    if kind != "COS":
        raise not_emulated(f"OutputStorage.Type {kind}")
    cos = storage.get("CosOutputStorage")
    if not cos:
        raise ApiError("InvalidParameter.Output", "CosOutputStorage is required for COS output.")
    check_fields(cos, COS_OUTPUT_FIELDS, "OutputStorage.CosOutputStorage.")
    bucket, region = cos.get("Bucket"), cos.get("Region")
    if not bucket or not region:
        raise ApiError(
            "InvalidParameter.Output",
            "CosOutputStorage.Bucket and Region are required: there is no storage to inherit.",
        )
    if len(bucket) > 60 or not BUCKET_NAME.match(bucket):
        raise ApiError(
            "ResourceNotFound.CosBucketNameInvalid", f"The bucket name `{bucket}` is invalid."
        )
    return bucket, region


def _output_path(folder: str | None, path: str | None) -> str:
    """The object key as a template, `{inputName}` and `{format}` still in it."""
    if folder and not (folder.startswith("/") and folder.endswith("/")):
        raise ApiError(
            "InvalidParameter.Output", "OutputDir must be a folder such as /image/201907/."
        )
    if path:
        if not path.endswith(".{format}"):
            raise ApiError("InvalidParameter.Output", "OutputPath must end with `.{format}`.")
        if not path.startswith("/"):
            if not folder:
                raise ApiError(
                    "InvalidParameter.Output",
                    "A relative OutputPath needs OutputDir: a URL input has no folder.",
                )
            path = folder + path
    elif folder:
        path = folder + "{inputName}.{format}"
    else:
        raise ApiError(
            "InvalidParameter.Output",
            "OutputDir or an absolute OutputPath is required: a URL input has no folder.",
        )
    for name in PATH_VARIABLE.findall(path):
        if name not in PATH_VARIABLES:
            raise ApiError("InvalidParameter.Output", f"`{{{name}}}` is not a known variable.")
    parts = path.split("/")[1:]
    if any(part in ("", ".", "..") for part in parts):
        raise ApiError("InvalidParameter.Output", f"`{path}` is not a valid object path.")
    return path
