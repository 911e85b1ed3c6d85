#!/usr/bin/env python3
"""Prepare api-spec/openapi.json for openapi-python-client (used by scripts/sdk.sh).

Usage: sdk-prepare-spec.py IN.json OUT.json

The spec is valid OpenAPI 3.1, but openapi-python-client (0.29) mishandles
three things in it. Nothing on the wire changes; only the document it reads:

1. A `oneOf` whose inline object variants refer back to the union itself
   (`Condition`: `{"all": [Condition]}`, `{"not": Condition}`): "Invalid
   property in union", and every schema and endpoint using it is dropped.
2. A `oneOf` whose inline object variants hold inline objects (`Aggregate`:
   `{"sum": {"field": ...}}`): "Attempted to generate duplicate models".
   Fix for 1 and 2 (both are serde's externally tagged enums): each inline
   object variant of a component's `oneOf`/`anyOf` becomes a component of its
   own (`ConditionAll`, `ConditionAny`, `ConditionNot`, `AggregateSum`,
   `AggregateDistinctCount`) and the union refers to it by `$ref`; inline
   objects in a hoisted variant's properties are hoisted too
   (`AggregateSum.sum` -> `AggregateSumBody`).
3. A header parameter with a formatted string schema (`X-Tenant-ID`:
   `{"type": "string", "format": "uuid"}`) becomes a `UUID` argument that the
   generated code hands to httpx unconverted: "Header value must be str or
   bytes". Fix: header parameters lose their `format`, so the client takes
   `x_tenant_id` as a `str` (pass `str(tenant_id)`).

It also fails clearly when a `$ref` points at a schema the spec does not define
(a utoipa registration was forgotten; fix the code and run `just spec`).
"""

from __future__ import annotations

import json
import sys

PREFIX = "#/components/schemas/"


def die(msg: str) -> None:
    print(f"sdk-prepare-spec: ERROR: {msg}", file=sys.stderr)
    sys.exit(1)


def pascal(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.replace("-", "_").split("_") if p)


def is_inline_object(schema: object) -> bool:
    return (
        isinstance(schema, dict)
        and "$ref" not in schema
        and schema.get("type") == "object"
        and isinstance(schema.get("properties"), dict)
    )


def refs(node: object, path: str = ""):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield path, ref
        for k, v in node.items():
            yield from refs(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from refs(v, f"{path}/{i}")


def main() -> None:
    if len(sys.argv) != 3:
        die("usage: sdk-prepare-spec.py IN.json OUT.json")
    src, dst = sys.argv[1], sys.argv[2]
    try:
        with open(src, encoding="utf-8") as f:
            spec = json.load(f)
    except (OSError, ValueError) as e:
        die(f"cannot read {src}: {e}")

    if not str(spec.get("openapi", "")).startswith("3."):
        die(f"{src} is not an OpenAPI 3 document")
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})

    missing = sorted(
        {(ref, path) for path, ref in refs(spec) if ref.startswith(PREFIX) and ref[len(PREFIX) :] not in schemas},
    )
    if missing:
        lines = "\n".join(f"  {ref}  (at {path})" for ref, path in missing[:20])
        die(
            f"{src} refers to schemas it does not define:\n{lines}\n"
            "Register them with utoipa (components(schemas(...))) and run `just spec`."
        )

    header_params = 0
    params = list(spec.get("components", {}).get("parameters", {}).values())
    for item in spec.get("paths", {}).values():
        params += item.get("parameters", [])
        for op in item.values():
            if isinstance(op, dict):
                params += op.get("parameters", [])
    for param in params:
        schema = param.get("schema") if isinstance(param, dict) else None
        if param.get("in") == "header" and isinstance(schema, dict) and schema.get("type") == "string":
            if schema.pop("format", None) is not None:
                header_params += 1

    hoisted: list[str] = []

    def add(name: str, schema: dict) -> dict:
        if name in schemas:
            die(f"cannot hoist an inline schema as {name!r}: the spec already defines it")
        schemas[name] = schema
        hoisted.append(name)
        return {"$ref": PREFIX + name}

    def hoist_properties(owner: str, schema: dict) -> None:
        for prop, sub in list(schema["properties"].items()):
            if is_inline_object(sub):
                # AggregateSum.sum -> AggregateSumBody; Foo.bar -> FooBar.
                sub_name = owner + ("Body" if owner.endswith(pascal(prop)) else pascal(prop))
                hoist_properties(sub_name, sub)
                ref = add(sub_name, sub)
                if "description" in sub:
                    ref["description"] = sub["description"]
                schema["properties"][prop] = ref

    for name in list(schemas):
        union_schema = schemas[name]
        for key in ("oneOf", "anyOf"):
            variants = union_schema.get(key) if isinstance(union_schema, dict) else None
            if not isinstance(variants, list):
                continue
            for i, variant in enumerate(variants):
                if not is_inline_object(variant):
                    continue
                required = variant.get("required") or []
                # serde's externally tagged variants: one required property, the tag.
                if len(variant["properties"]) == 1 and len(required) == 1:
                    vname = name + pascal(required[0])
                else:
                    vname = f"{name}Variant{i + 1}"
                hoist_properties(vname, variant)
                variants[i] = add(vname, variant)

    # Keep components sorted, like utoipa does, so the output is stable.
    spec["components"]["schemas"] = dict(sorted(schemas.items()))
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=2, ensure_ascii=False)
        f.write("\n")
    notes = [f"plain-string header parameters: {header_params}"]
    if hoisted:
        notes.append(f"hoisted {', '.join(hoisted)}")
    print(f"sdk-prepare-spec: wrote {dst} ({'; '.join(notes)})")


if __name__ == "__main__":
    main()
