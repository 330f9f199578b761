"""Layers AWS publishes that Altus provides itself: a function naming one gets what the
layer would have given it, not the layer's files.

So far one: the "AWS Parameters and Secrets Lambda Extension", whose interface Altus
serves to every environment anyway (``altus.awslambda.secrets_extension``). Templates
name its ARN (``arn:aws:lambda:<region>:<AWS's account>:layer:
AWS-Parameters-and-Secrets-Lambda-Extension[-Arm64]:<version>``), so CreateFunction takes
it, in any region and version AWS publishes it under, and the function's /opt gets an
empty ``extensions/`` directory where the layer would have put the extension's binary.
"""

from __future__ import annotations

import io
import re
import zipfile

#: The accounts AWS publishes the extension from, by region (the AWS CDK's fact tables
#: and AWS's documentation list them).
_PUBLISHERS = {
    "us-east-1": "177933569100",
    "us-east-2": "590474943231",
    "us-west-1": "997803712105",
    "us-west-2": "345057560386",
    "ca-central-1": "200266452380",
    "sa-east-1": "933737806257",
    "eu-central-1": "187925254637",
    "eu-central-2": "772501565639",
    "eu-west-1": "015030872274",
    "eu-west-2": "133256977650",
    "eu-west-3": "780235371811",
    "eu-north-1": "427196147048",
    "eu-south-1": "325218067255",
    "eu-south-2": "524103009944",
    "ap-east-1": "768336418462",
    "ap-northeast-1": "133490724326",
    "ap-northeast-2": "738900069198",
    "ap-northeast-3": "576959938190",
    "ap-south-1": "176022468876",
    "ap-south-2": "070087711984",
    "ap-southeast-1": "044395824272",
    "ap-southeast-2": "665172237481",
    "ap-southeast-3": "490737872127",
    "af-south-1": "317013901791",
    "me-south-1": "832021897121",
    "me-central-1": "858974508948",
    "cn-north-1": "287114880934",
    "cn-northwest-1": "287310001119",
    "us-gov-east-1": "129776340158",
    "us-gov-west-1": "127562683043",
}
_EXTENSION = re.compile(
    r"arn:aws(?:-cn|-us-gov)?:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):layer:"
    r"AWS-Parameters-and-Secrets-Lambda-Extension(?:-Arm64)?:[1-9][0-9]{0,8}"
)


def provided(arn: str) -> bool:
    """Whether ``arn`` is a version of a layer Altus provides itself."""
    found = _EXTENSION.fullmatch(arn)
    return found is not None and _PUBLISHERS.get(found["region"]) == found["account"]


def package() -> bytes:
    """What such a layer puts in /opt here: an empty ``extensions/`` directory. The same
    bytes every time (a fixed date), so it is stored once."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        entry = zipfile.ZipInfo("extensions/", date_time=(2022, 10, 18, 0, 0, 0))
        entry.external_attr = 0o40755 << 16
        archive.writestr(entry, "")
    return buffer.getvalue()
