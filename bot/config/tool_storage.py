"""Where the image tools' results go: the operator's COS bucket (`MPS_OUTPUT_COS_*`).

ProcessImage writes its output to storage, not to a temporary URL as the AIGC actions do,
and a URL input has no storage of its own to inherit, so without a bucket the tools cannot
run. The settings are optional: unset, the tools are simply off; half set, the bot refuses
to start and names the missing variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..mps.image_tasks import CosOutput

BUCKET = "MPS_OUTPUT_COS_BUCKET"
REGION = "MPS_OUTPUT_COS_REGION"
PATH = "MPS_OUTPUT_COS_PATH"
DEFAULT_PATH = "mps-imagine"

# COS bucket names are `<name>-<APPID>`: lower-case letters, digits and inner hyphens.
_BUCKET = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]{5,}$")
_REGION = re.compile(r"^[a-z]+(?:-[a-z0-9]+)+$")
_PATH_PART = re.compile(r"^[A-Za-z0-9._-]+$")
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class ToolStorage:
    bucket: str
    region: str
    # A folder of the bucket without leading or trailing slash ("" for the top).
    path: str = DEFAULT_PATH

    @property
    def output(self) -> CosOutput:
        return CosOutput(self.bucket, self.region)

    def result_path(self, key: str, name: str) -> str:
        """`/<path>/<key>/<name>.{format}`: each result under its own folder, `key` being
        what tells results apart (a job id). MPS fills in {format}."""
        if not _KEY.match(key) or not _PATH_PART.match(name):
            raise ValueError("a result key and name are letters, digits, '_' and '-'")
        folder = f"/{self.path}" if self.path else ""
        return f"{folder}/{key}/{name}.{{format}}"


def load_tool_storage(env: Mapping[str, str]) -> ToolStorage | None:
    """The settings, None when the tools are off; ValueError naming the variable at fault."""

    def value(name: str) -> str:
        return env.get(name, "").strip()

    bucket, region, path = value(BUCKET), value(REGION), value(PATH)
    if not (bucket or region or path):
        return None
    if not bucket:
        raise ValueError(f"{BUCKET} is not set, but {REGION} or {PATH} is")
    if not region:
        raise ValueError(f"{REGION} is not set, but {BUCKET} is")
    if len(bucket) > 60 or not _BUCKET.match(bucket):
        raise ValueError(f"{BUCKET} must be a COS bucket name such as images-1250000000")
    if not _REGION.match(region):
        raise ValueError(f"{REGION} must be a COS region such as ap-guangzhou")
    parts = [part for part in path.split("/") if part]
    if any(not _PATH_PART.match(part) or part in (".", "..") for part in parts):
        raise ValueError(f"{PATH} must be a folder such as mps-imagine/results")
    return ToolStorage(bucket, region, "/".join(parts) if path else DEFAULT_PATH)
