"""``altus package``: what ``aws cloudformation package`` and ``sam package`` do. Each
local file or folder a template names (function code, layers, API and state machine
definitions, included snippets, nested templates) is zipped where Lambda wants a zip,
uploaded to S3 under ``[prefix/]<md5>``, and the template is rewritten to point at it.

Which properties, and what each becomes, is the table ``SPOTS`` (the CloudFormation
digest's §1.6): ``s3://bucket/key`` strings, ``{S3Bucket, S3Key[, S3ObjectVersion]}`` for
Lambda's own types, ``{Bucket, Key[, Version]}`` for definitions, and a path-style URL
(``<S3 endpoint>/<bucket>/<md5>.template``) for nested templates, which are packaged
first. Paths are relative to the template that names them; ``s3://`` and ``http(s)://``
values, dicts and intrinsic functions are left as they are.

Zips are deterministic (``altus.packaging``: sorted entries, a fixed timestamp, Unix
modes kept), so the same sources always make the same key, and a key already in the
bucket (``HeadObject``) is not uploaded again unless ``force_upload``.

The rewriting (``map_local``, ``export``) is pure: it walks the template and asks an
``Artifacts`` for each upload. ``S3Artifacts`` is the one that reads files and talks to
S3 (a boto3 client). ``altus build`` uses ``map_local`` too, to point its output template
at the same places.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import stat
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeGuard

import yaml

from altus.cli.client import CliError
from altus.cloudformation.errors import TemplateError
from altus.cloudformation.templates import parse
from altus.packaging import zip_directory, zip_files

#: ``s3://bucket/key``.
S3_URI = "uri"
#: A path-style https URL of the uploaded (packaged) template.
TEMPLATE_URL = "url"
#: Dict forms: the member names of the bucket, the key and the version (None: none).
LAMBDA_CODE = ("S3Bucket", "S3Key", "S3ObjectVersion")
LOCATION = ("Bucket", "Key", "Version")
CODECOMMIT = ("Bucket", "Key", "ObjectVersion")
SOURCE_BUNDLE = ("S3Bucket", "S3Key", None)

Form = str | tuple[str, str, str | None]

#: Objects above this size go up in parts (what boto3's transfer does from 8 MB).
_MULTIPART_BYTES = 8 * 1024 * 1024


class PackageError(CliError):
    """A template that cannot be packaged: a path that is not there, a nested template
    that includes itself. Nothing is rewritten; what was uploaded stays (its key is its
    content's md5, so it is simply found next time)."""


@dataclass(frozen=True, slots=True)
class Spot:
    """A property that may name a local file or folder."""

    resource_type: str
    #: Where in ``Properties``: ``("CodeUri",)``, ``("Command", "ScriptLocation")``.
    path: tuple[str, ...]
    form: Form
    #: A single file is zipped (Lambda code and layers); otherwise it goes as it is.
    #: Folders are always zipped.
    zip_file: bool = False
    #: A nested template: packaged itself before it is uploaded.
    template: bool = False

    @property
    def property_name(self) -> str:
        return ".".join(self.path)


SPOTS: tuple[Spot, ...] = (
    Spot("AWS::Serverless::Function", ("CodeUri",), S3_URI, zip_file=True),
    Spot("AWS::Serverless::LayerVersion", ("ContentUri",), S3_URI, zip_file=True),
    Spot("AWS::Serverless::Api", ("DefinitionUri",), S3_URI),
    Spot("AWS::Serverless::HttpApi", ("DefinitionUri",), S3_URI),
    Spot("AWS::Serverless::StateMachine", ("DefinitionUri",), LOCATION),
    Spot("AWS::Serverless::Application", ("Location",), TEMPLATE_URL, template=True),
    Spot("AWS::Lambda::Function", ("Code",), LAMBDA_CODE, zip_file=True),
    Spot("AWS::Lambda::LayerVersion", ("Content",), LAMBDA_CODE, zip_file=True),
    Spot("AWS::StepFunctions::StateMachine", ("DefinitionS3Location",), LOCATION),
    Spot("AWS::ApiGateway::RestApi", ("BodyS3Location",), LOCATION),
    Spot("AWS::CloudFormation::Stack", ("TemplateURL",), TEMPLATE_URL, template=True),
    Spot("AWS::AppSync::GraphQLSchema", ("DefinitionS3Location",), S3_URI),
    Spot("AWS::AppSync::Resolver", ("RequestMappingTemplateS3Location",), S3_URI),
    Spot("AWS::AppSync::Resolver", ("ResponseMappingTemplateS3Location",), S3_URI),
    Spot("AWS::AppSync::Resolver", ("CodeS3Location",), S3_URI),
    Spot("AWS::AppSync::FunctionConfiguration", ("RequestMappingTemplateS3Location",), S3_URI),
    Spot("AWS::AppSync::FunctionConfiguration", ("ResponseMappingTemplateS3Location",), S3_URI),
    Spot("AWS::AppSync::FunctionConfiguration", ("CodeS3Location",), S3_URI),
    Spot("AWS::Glue::Job", ("Command", "ScriptLocation"), S3_URI),
    Spot("AWS::ElasticBeanstalk::ApplicationVersion", ("SourceBundle",), SOURCE_BUNDLE),
    Spot("AWS::CodeCommit::Repository", ("Code", "S3"), CODECOMMIT, zip_file=True),
)
#: Outside resources: SAM's ``Globals.Function.CodeUri``, ``Fn::Transform`` AWS::Include
#: snippets, and the Serverless Application Repository's metadata.
GLOBAL_CODE = Spot("Globals", ("CodeUri",), S3_URI, zip_file=True)
INCLUDE = Spot("AWS::Include", ("Location",), S3_URI)
SERVERLESS_REPO = "AWS::ServerlessRepo::Application"
REPO_FILES = (
    Spot(SERVERLESS_REPO, ("LicenseUrl",), S3_URI),
    Spot(SERVERLESS_REPO, ("ReadmeUrl",), S3_URI),
)

_BY_TYPE: dict[str, list[Spot]] = {}
for _spot in SPOTS:
    _BY_TYPE.setdefault(_spot.resource_type, []).append(_spot)


@dataclass(frozen=True, slots=True)
class Where:
    """A local reference found in a template: whose, which property, how it is written."""

    #: The resource's logical id (``Globals``, ``Metadata``, ``Transform`` outside them).
    logical_id: str
    spot: Spot


#: What a local reference becomes: given where and the path as written, the new value.
Visit = Callable[[Where, str], Any]


def is_local(value: Any) -> TypeGuard[str]:
    """Whether a property's value names a local file or folder (a string that is no
    ``s3://`` or other URL)."""
    return isinstance(value, str) and "://" not in value


def _dig(properties: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = properties
    for name in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(name)
    return node


def _put(properties: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = properties
    for name in path[:-1]:
        node = node.setdefault(name, {})
    node[path[-1]] = value


def _function_has_no_package(properties: Mapping[str, Any], globals_: Mapping[str, Any]) -> bool:
    """A SAM function whose code is inline or an image: no CodeUri to package."""
    if "InlineCode" in properties or "ImageUri" in properties:
        return True
    return bool(properties.get("PackageType", globals_.get("PackageType")) == "Image")


def _global_code_used(resources: Any, function_globals: Mapping[str, Any]) -> bool:
    """Whether some SAM function takes its code from ``Globals.Function.CodeUri``: one
    with none of its own (nor inline code or an image). Resources it cannot see into
    (``Fn::ForEach`` loops, which may make such functions) count as using it."""
    if not isinstance(resources, Mapping):
        return False
    for key, resource in resources.items():
        if str(key).startswith("Fn::ForEach"):
            return True
        if not isinstance(resource, Mapping) or resource.get("Type") != (
            "AWS::Serverless::Function"
        ):
            continue
        properties = resource.get("Properties")
        if not isinstance(properties, Mapping):
            properties = {}
        if "CodeUri" not in properties and not _function_has_no_package(
            properties, function_globals
        ):
            return True
    return False


def map_local(template: Mapping[str, Any], visit: Visit) -> dict[str, Any]:
    """A copy of ``template`` in which each local reference is replaced by ``visit``'s
    answer. A SAM function without ``CodeUri`` (nor a global one) is the template's
    folder (``"."``), as ``sam package`` has it; one with ``InlineCode`` or an image has
    nothing to package. A local ``Globals.Function.CodeUri`` no function uses (each has
    its own, as in ``altus build``'s output) is dropped rather than uploaded. The
    template given is not changed."""
    out: dict[str, Any] = copy.deepcopy(dict(template))
    globals_ = out.get("Globals")
    function_globals = globals_.get("Function") if isinstance(globals_, dict) else None
    if not isinstance(function_globals, dict):
        function_globals = {}
    resources = out.get("Resources")
    if is_local(function_globals.get("CodeUri")):
        if _global_code_used(resources, function_globals):
            where = Where("Globals", GLOBAL_CODE)
            function_globals["CodeUri"] = visit(where, function_globals["CodeUri"])
        else:
            del function_globals["CodeUri"]
    for logical_id, resource in resources.items() if isinstance(resources, dict) else ():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            continue  # Fn::ForEach and other shapes that are not one resource
        spots = _BY_TYPE.get(resource["Type"], ())
        if not spots:
            continue
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            properties = {}
        for spot in spots:
            value = _dig(properties, spot.path)
            if spot.resource_type == "AWS::Serverless::Function":
                if _function_has_no_package(properties, function_globals):
                    continue
                if value is None and "CodeUri" not in function_globals:
                    value = "."
            if is_local(value):
                _put(properties, spot.path, visit(Where(logical_id, spot), value))
                resource["Properties"] = properties
    _map_repository(out, visit)
    _map_includes(out, visit)
    return out


def _map_repository(template: dict[str, Any], visit: Visit) -> None:
    metadata = template.get("Metadata")
    application = metadata.get(SERVERLESS_REPO) if isinstance(metadata, dict) else None
    if not isinstance(application, dict):
        return
    for spot in REPO_FILES:
        value = application.get(spot.property_name)
        if is_local(value):
            application[spot.property_name] = visit(Where("Metadata", spot), value)


def _includes(node: Any) -> Iterator[dict[str, Any]]:
    """The ``Parameters`` of every AWS::Include transform, anywhere in the template (a
    top-level ``Transform`` entry or an ``Fn::Transform``)."""
    if isinstance(node, list):
        for item in node:
            yield from _includes(item)
    elif isinstance(node, dict):
        if node.get("Name") == "AWS::Include" and isinstance(node.get("Parameters"), dict):
            yield node["Parameters"]
        for value in node.values():
            yield from _includes(value)


def _map_includes(template: dict[str, Any], visit: Visit) -> None:
    for parameters in _includes(template):
        if is_local(parameters.get("Location")):
            parameters["Location"] = visit(Where("Transform", INCLUDE), parameters["Location"])


# --- uploading ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stored:
    """Where an artifact is in S3."""

    bucket: str
    key: str
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Upload:
    """One artifact put in (or found already in) the bucket."""

    logical_id: str
    property: str
    source: Path
    bucket: str
    key: str
    size: int
    #: False: the key was there already (HeadObject), nothing was sent.
    uploaded: bool


class Artifacts(Protocol):
    """Where ``export`` puts artifacts."""

    def upload(self, path: Path, *, zip_file: bool, where: Where) -> Stored:
        """Put the file or folder ``path`` (a folder zipped; a single file zipped if
        ``zip_file`` and it is no zip already) and say where it is. PackageError if
        ``path`` does not exist."""
        ...

    def upload_template(self, path: Path, where: Where) -> str:
        """Package the nested template ``path`` (its own references resolved from its
        folder), put it, and return its path-style URL. PackageError if it does not
        exist or includes itself."""
        ...


def render(stored: Stored, form: Form) -> Any:
    """A property's new value for an artifact stored at ``stored``."""
    if form == S3_URI:
        return f"s3://{stored.bucket}/{stored.key}"
    assert isinstance(form, tuple)
    bucket, key, version = form
    value = {bucket: stored.bucket, key: stored.key}
    if version is not None and stored.version is not None:
        value[version] = stored.version
    return value


def export(template: Mapping[str, Any], base: Path, artifacts: Artifacts) -> dict[str, Any]:
    """``template`` (whose relative paths start at ``base``) with every local artifact
    uploaded through ``artifacts`` and its reference rewritten."""

    def visit(where: Where, value: str) -> Any:
        path = Path(os.path.normpath(base / value))
        if where.spot.template:
            return artifacts.upload_template(path, where)
        return render(
            artifacts.upload(path, zip_file=where.spot.zip_file, where=where), where.spot.form
        )

    return map_local(template, visit)


def archive(path: Path, *, zip_file: bool) -> bytes:
    """What goes up for ``path``: a folder zipped deterministically; a file as it is,
    or zipped alone (its mode kept) when ``zip_file`` and it is not a zip already."""
    if path.is_dir():
        return zip_directory(path)
    if zip_file and not zipfile.is_zipfile(path):
        executable = bool(path.stat().st_mode & stat.S_IXUSR)
        return zip_files({path.name: path.read_bytes()}, (path.name,) if executable else ())
    return path.read_bytes()


class S3Artifacts:
    """Artifacts in one S3 bucket (a boto3 S3 client), each under ``[prefix/]<md5>``
    (nested templates: ``<md5>.template``). The bucket is made on first use if it is
    missing. ``uploads`` lists what was put or found, in order."""

    def __init__(
        self,
        s3: Any,
        bucket: str,
        *,
        prefix: str = "",
        force_upload: bool = False,
        kms_key_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        self._s3 = s3
        self.bucket = bucket
        self._prefix = prefix.strip("/")
        self._force = force_upload
        self._extra: dict[str, Any] = {}
        if kms_key_id:
            self._extra.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_id)
        if metadata:
            self._extra["Metadata"] = dict(metadata)
        self._bucket_checked = False
        #: Nested templates being packaged now, to refuse one that includes itself.
        self._open: list[Path] = []
        self.uploads: list[Upload] = []

    def upload(self, path: Path, *, zip_file: bool, where: Where) -> Stored:
        _exists(path, where)
        return self._put(archive(path, zip_file=zip_file), "", where, path)

    def upload_template(self, path: Path, where: Where) -> str:
        _exists(path, where)
        resolved = path.resolve()
        if resolved.is_dir():
            raise PackageError(
                f"Parameter {where.spot.property_name} of resource {where.logical_id} must be a "
                f"template file, not a folder: {path}"
            )
        nested = self.package_file(resolved)
        stored = self._put(to_yaml(nested).encode(), "template", where, path)
        return self.url(stored)

    def package_file(self, path: Path) -> dict[str, Any]:
        """The template ``path``, packaged (its references resolved from its folder).
        PackageError if it is one of the templates being packaged now (a nested
        template that includes itself, or one of its parents)."""
        resolved = path.resolve()
        if resolved in self._open:
            raise PackageError(f"the nested template {path} includes itself")
        self._open.append(resolved)
        try:
            return export(read_template(resolved, PackageError), resolved.parent, self)
        finally:
            self._open.pop()

    def url(self, stored: Stored) -> str:
        """The path-style URL (``<endpoint>/<bucket>/<key>``), as the AWS CLI gives
        CloudFormation, so any S3 endpoint serves it."""
        endpoint = str(self._s3.meta.endpoint_url).rstrip("/")
        url = f"{endpoint}/{stored.bucket}/{stored.key}"
        return f"{url}?versionId={stored.version}" if stored.version else url

    # --- S3 ------------------------------------------------------------------------------

    def _put(self, data: bytes, extension: str, where: Where, source: Path) -> Stored:
        from botocore.exceptions import ClientError

        name = hashlib.md5(data).hexdigest() + (f".{extension}" if extension else "")
        key = f"{self._prefix}/{name}" if self._prefix else name
        self._ensure_bucket()
        version: str | None = None
        found = None if self._force else self._head(key)
        if found is not None:
            version = found.get("VersionId")
        else:
            try:
                if len(data) > _MULTIPART_BYTES:
                    self._s3.upload_fileobj(
                        io.BytesIO(data), self.bucket, key, ExtraArgs=self._extra
                    )
                    version = self._s3.head_object(Bucket=self.bucket, Key=key).get("VersionId")
                else:
                    answer = self._s3.put_object(
                        Bucket=self.bucket, Key=key, Body=data, **self._extra
                    )
                    version = answer.get("VersionId")
            except ClientError as error:
                raise PackageError(
                    f"uploading {source} to s3://{self.bucket}/{key}: {error}"
                ) from None
        self.uploads.append(
            Upload(
                where.logical_id,
                where.spot.property_name,
                source,
                self.bucket,
                key,
                len(data),
                found is None,
            )
        )
        return Stored(self.bucket, key, version)

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            found: dict[str, Any] = self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise PackageError(f"looking for s3://{self.bucket}/{key}: {error}") from None
        return found

    def _ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        if self._bucket_checked:
            return
        try:
            self._s3.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in (
                "404",
                "NoSuchBucket",
                "NotFound",
            ):
                raise PackageError(f"the bucket {self.bucket}: {error}") from None
            region = self._s3.meta.region_name
            options: dict[str, Any] = {}
            if region and region != "us-east-1":
                options["CreateBucketConfiguration"] = {"LocationConstraint": region}
            try:
                self._s3.create_bucket(Bucket=self.bucket, **options)
            except ClientError as failed:
                raise PackageError(f"creating the bucket {self.bucket}: {failed}") from None
        self._bucket_checked = True


def _exists(path: Path, where: Where) -> None:
    if not path.exists():
        # The AWS CLI's wording.
        raise PackageError(
            f"Parameter {where.spot.property_name} of resource {where.logical_id} refers to a file "
            f"or folder that does not exist {os.path.abspath(path)}"
        )


# --- the whole ---------------------------------------------------------------------------


def read_template(path: Path, error: type[CliError]) -> dict[str, Any]:
    """The template in the file ``path``; ``error`` (CloudFormation's words, with the
    file's name) for one that cannot be read or parsed."""
    try:
        return parse(path.read_text())
    except TemplateError as refused:
        raise error(f"{path}: {refused.message}") from None
    except (OSError, UnicodeDecodeError) as failed:
        raise error(f"{path}: {failed}") from None


@dataclass(frozen=True, slots=True)
class Packaged:
    """A packaged template and what was uploaded for it (nested templates' too)."""

    template: dict[str, Any]
    uploads: tuple[Upload, ...]

    @property
    def yaml(self) -> str:
        return to_yaml(self.template)

    @property
    def json(self) -> str:
        return json.dumps(self.template, indent=4) + "\n"


def package(
    template_file: Path | str,
    s3: Any,
    bucket: str,
    *,
    prefix: str = "",
    force_upload: bool = False,
    kms_key_id: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Packaged:
    """Package ``template_file`` into ``bucket`` with the boto3 S3 client ``s3``.
    PackageError for a template that does not parse or a reference that does not
    resolve."""
    path = Path(template_file).resolve()
    artifacts = S3Artifacts(
        s3,
        bucket,
        prefix=prefix,
        force_upload=force_upload,
        kms_key_id=kms_key_id,
        metadata=metadata,
    )
    template = artifacts.package_file(path)
    return Packaged(template, tuple(artifacts.uploads))


# --- YAML out ----------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Plain YAML: intrinsic functions in their long forms (``Fn::GetAtt:``), which
    CloudFormation reads as well as the short ones; never anchors or aliases (which
    CloudFormation refuses)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Inline code and definitions read better as blocks; PyYAML falls back to quotes
    # where a block cannot hold the text exactly.
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
    )


_Dumper.add_representer(str, _text)


def to_yaml(template: Mapping[str, Any]) -> str:
    """``template`` as YAML, in its own key order."""
    return yaml.dump(
        dict(template),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1000,
    )
