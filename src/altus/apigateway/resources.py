"""Resources: the tree of path parts under an API's root ``/``.

A path part is a literal (``pets``), a variable (``{id}``) or, last in its path, a
greedy variable (``{proxy+}``). Siblings may not share a name, and at most one sibling
is a variable (AWS refuses both); nothing goes below a greedy one. Deleting a resource
deletes what is under it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from altus.api.spec import Call, Members
from altus.apigateway import ids, patch
from altus.apigateway.errors import BadRequest, Conflict, resource_not_found
from altus.apigateway.model import Doc
from altus.apigateway.paging import listing
from altus.apigateway.state import part

if TYPE_CHECKING:
    from altus.apigateway.component import ApiGateway

_PART = re.compile(r"[A-Za-z0-9._:\-$@~]+|\{[A-Za-z0-9._\-]+\+?\}")


def is_variable(part: str) -> bool:
    return part.startswith("{")


def is_greedy(part: str) -> bool:
    return part.endswith("+}")


def check_part(part: str) -> None:
    if not _PART.fullmatch(part):
        raise BadRequest(
            "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning "
            "and the end and an optional plus sign before the closing brace."
        )


def child_path(parent_path: str, part: str) -> str:
    return f"/{part}" if parent_path == "/" else f"{parent_path}/{part}"


def resource(doc: Doc, resource_id: str) -> Doc:
    return part(doc["resources"], resource_id, resource_not_found)


def check_siblings(
    doc: Doc,
    parent: Doc,
    part: str,
    own_id: str | None = None,
    siblings: Iterable[Doc] | None = None,
) -> None:
    """Refuse ``part`` under ``parent`` where a sibling has its name, or is a variable
    beside a new variable, or where the parent is greedy (``siblings``: the parent's
    children, where the caller knows them)."""
    if is_greedy(parent.get("pathPart", "")):
        raise BadRequest(
            f"Cannot create a child of a resource with a greedy path variable: {parent['pathPart']}"
        )
    for sibling in doc["resources"].values() if siblings is None else siblings:
        if sibling.get("parentId") != parent["id"] or sibling["id"] == own_id:
            continue
        if sibling.get("pathPart") == part:
            raise Conflict(f"Another resource with the same parent already has this name: {part}")
        if is_variable(part) and is_variable(sibling.get("pathPart", "")):
            raise BadRequest(
                f"A sibling ({sibling['pathPart']}) of this resource already has a variable "
                "path part -- only one is allowed"
            )


def shown(found: Doc, embed_methods: bool) -> Doc:
    """A resource as Get answers it: ``resourceMethods`` names its methods, each in full
    only where ``embed=methods`` asked."""
    output = {k: v for k, v in found.items() if k != "resourceMethods"}
    methods = found.get("resourceMethods") or {}
    if methods:
        output["resourceMethods"] = (
            {m: dict(v) for m, v in methods.items()} if embed_methods else {m: {} for m in methods}
        )
    return output


def _embeds_methods(input: Members) -> bool:
    return "methods" in (input.get("embed") or ())


async def create_resource(gateway: ApiGateway, call: Call, input: Members) -> Members:
    part = str(input["pathPart"])

    def change(doc: Doc) -> Doc:
        made = new_resource(doc, resource(doc, str(input["parentId"])), part)
        return dict(made)

    return await gateway.core.edit_api(str(input["restApiId"]), change)


async def get_resource(gateway: ApiGateway, call: Call, input: Members) -> Members:
    doc = gateway.core.api(str(input["restApiId"]))
    return shown(resource(doc, str(input["resourceId"])), _embeds_methods(input))


async def get_resources(gateway: ApiGateway, call: Call, input: Members) -> Members:
    doc = gateway.core.api(str(input["restApiId"]))
    embed = _embeds_methods(input)
    found = sorted(doc["resources"].values(), key=lambda r: (r["path"], r["id"]))
    return listing([shown(r, embed) for r in found], input.get("position"), input.get("limit"))


def _repath(doc: Doc, top: Doc) -> None:
    """Recompute the paths below ``top`` (moved or renamed)."""
    pending = [top]
    while pending:
        current = pending.pop()
        for child in doc["resources"].values():
            if child.get("parentId") == current["id"]:
                child["path"] = child_path(current["path"], child["pathPart"])
                pending.append(child)


_RULES = (patch.scalar("pathPart"), patch.scalar("parentId"))


async def update_resource(gateway: ApiGateway, call: Call, input: Members) -> Members:
    def change(doc: Doc) -> Doc:
        found = resource(doc, str(input["resourceId"]))
        if "parentId" not in found:
            raise BadRequest("The root resource cannot be changed")
        edited: Doc = {"pathPart": found["pathPart"], "parentId": found["parentId"]}
        patch.apply(edited, input.get("patchOperations"), _RULES)
        part, parent_id = str(edited["pathPart"]), str(edited["parentId"])
        check_part(part)
        parent = resource(doc, parent_id)
        ancestor: Doc | None = parent
        while ancestor is not None:
            if ancestor["id"] == found["id"]:
                raise BadRequest("A resource cannot be moved below itself")
            ancestor = doc["resources"].get(ancestor.get("parentId", ""))
        check_siblings(doc, parent, part, own_id=found["id"])
        if is_greedy(part) and any(
            r.get("parentId") == found["id"] for r in doc["resources"].values()
        ):
            raise BadRequest(f"A resource with children cannot have a greedy path part: {part}")
        found.update(pathPart=part, parentId=parent_id, path=child_path(parent["path"], part))
        _repath(doc, found)
        return shown(found, False)

    return await gateway.core.edit_api(str(input["restApiId"]), change)


async def delete_resource(gateway: ApiGateway, call: Call, input: Members) -> Members:
    def change(doc: Doc) -> None:
        found = resource(doc, str(input["resourceId"]))
        if "parentId" not in found:
            raise BadRequest("Cannot delete the root resource of a REST API")
        gone = {found["id"]}
        grew = True
        while grew:
            more = {r["id"] for r in doc["resources"].values() if r.get("parentId") in gone}
            grew = not more <= gone
            gone |= more
        for resource_id in gone:
            del doc["resources"][resource_id]

    await gateway.core.edit_api(str(input["restApiId"]), change)
    return {}


def methods_of(doc: Doc) -> list[tuple[Doc, str, Doc]]:
    """Every (resource, HTTP method, method) of the API, by path then method."""
    found: list[tuple[Doc, str, Doc]] = []
    for res in sorted(doc["resources"].values(), key=lambda r: r["path"]):
        for name, method in sorted((res.get("resourceMethods") or {}).items()):
            found.append((res, name, method))
    return found


def new_resource(doc: Doc, parent: Doc, part: str, siblings: Iterable[Doc] | None = None) -> Doc:
    """A resource ``part`` under ``parent``, checked and added to ``doc``."""
    check_part(part)
    check_siblings(doc, parent, part, siblings=siblings)
    made = {
        "id": ids.fresh(doc["resources"]),
        "parentId": parent["id"],
        "pathPart": part,
        "path": child_path(parent["path"], part),
    }
    doc["resources"][made["id"]] = made
    return made


class PathIndex:
    """An API's resources by path and by parent, kept up to date by ``ensure_path``:
    an import of thousands of paths looks each one up once, never scanning them all."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.by_path: dict[str, Doc] = {}
        self.children: dict[str, list[Doc]] = {}
        for res in doc["resources"].values():
            self._add(res)

    def _add(self, res: Doc) -> None:
        self.by_path[res["path"]] = res
        if res.get("parentId"):
            self.children.setdefault(res["parentId"], []).append(res)

    def ensure_path(self, path: str) -> Doc:
        """The resource at ``path``, made (with its missing ancestors) where absent."""
        doc = self.doc
        current = resource(doc, doc["restApi"]["rootResourceId"])
        if path in ("", "/"):
            return current
        for segment in path.strip("/").split("/"):
            wanted = child_path(current["path"], segment)
            found = self.by_path.get(wanted)
            if found is None:
                found = new_resource(doc, current, segment, self.children.get(current["id"], ()))
                self._add(found)
            current = found
        return current
