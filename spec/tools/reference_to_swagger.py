#!/usr/bin/env python3
"""Write spec/additions/*.json (Swagger 1.2) from the facts in a reference folder.

    python3 spec/tools/reference_to_swagger.py [../shared/canvas-spec/reference/canvas-2026-01]

The reference folder holds `operations.json` (operations the upstream set lacks: resource page,
method, path, nickname, parameters, return type) and `models.json` (the models they use). Each
resource page becomes one file named after it (`AI Experiences` -> `ai_experiences.json`): the
generator adds its operations and models to the upstream (or our) file of the same name, or
makes it a resource of its own when there is none. Models the input already defines are not
repeated. Output is deterministic (sorted, two-space JSON), so a rerun shows the same diff.

What the facts lack is stated where it is decided: `required` and allowed values come from
`spec/reference_args.json` (Canvas's `@argument` doc lines, with evidence), else only path
parameters are required; return types given as free text become untyped JSON (`object`); a
model name that no file defines, too.
"""

import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REFERENCE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "canvas-spec", "reference", "canvas-2026-01")
UPSTREAM = os.environ.get("CANVAS_SPEC_DIR", os.path.join(ROOT, "..", "shared", "canvas-spec", "upstream"))
OUT = os.path.join(ROOT, "spec", "additions")


def stem(resource):
    return re.sub(r"[^a-z0-9]+", "_", resource.lower()).strip("_")


def known_models():
    names = set()
    for path in glob.glob(os.path.join(UPSTREAM, "*.json")) + glob.glob(os.path.join(ROOT, "spec", "resources", "*.json")):
        with open(path, encoding="utf-8") as f:
            names |= set((json.load(f).get("models") or {}).keys())
    return names


def refs(value):
    """Model names a type, items or property refers to."""
    out = []
    if isinstance(value, dict):
        for key in ("$ref", "type"):
            if isinstance(value.get(key), str):
                out.append(value[key])
        if "items" in value:
            out += refs(value["items"])
    return out


def main():
    with open(os.path.join(REFERENCE, "operations.json"), encoding="utf-8") as f:
        operations = json.load(f)
    with open(os.path.join(REFERENCE, "models.json"), encoding="utf-8") as f:
        models = json.load(f)
    args_path = os.path.join(ROOT, "spec", "reference_args.json")
    args = {}
    if os.path.exists(args_path):
        with open(args_path, encoding="utf-8") as f:
            for entry in json.load(f)["operations"]:
                args[(entry["method"], entry["path"], entry["nickname"])] = entry
    existing = known_models()
    new_models = {name: m for name, m in models.items() if name not in existing}
    typed = existing | set(new_models)

    def response(ret):
        if not ret:
            return {"type": "void"}
        if ret.get("type") == "array":
            item = (ret.get("items") or {}).get("$ref") or (ret.get("items") or {}).get("type")
            if item in typed or item in ("string", "integer", "boolean", "number"):
                key = "$ref" if item in typed else "type"
                return {"type": "array", "items": {key: item}}
            return {"type": "array", "items": {"type": "object"}}
        if ret.get("type") in typed:
            return {"type": ret["type"]}
        # Free text (`ObjectHashwithidandmessages...`) or an undefined name: untyped JSON.
        return {"type": "object"}

    primitive = {"string", "integer", "number", "boolean", "array", "hash", "object", "datetime", "date", "json"}

    def known(word):
        return word.lower() in primitive or word in typed

    def parameter(p, known_args):
        kind = p.get("type", "string")
        if not known(kind):
            # A type name no file defines (`LtiConfigurationOverlay`): a free-form hash, sent as
            # bracket keys as Canvas reads it.
            kind = "object"
        out = {
            "paramType": {"path": "path", "query": "query", "form": "form"}.get(p["in"], p["in"]),
            "name": p["name"],
            "description": p.get("description", ""),
            "type": kind,
            "format": p.get("format"),
            # Path parameters, and those Canvas's doc comments mark `Required`.
            "required": p["in"] == "path" or p["name"] in known_args.get("required", []),
            "deprecated": False,
        }
        if "items" in p:
            out["items"] = p["items"]
        values = known_args.get("enums", {}).get(p["name"]) or p.get("enum")
        if values:
            out["enum"] = values
        return out

    def property(prop):
        # `JSONObject[]`, `Foo[]`: a list; of untyped objects when the element is no model.
        # Items written so (`items: {"type": "JSONObject[]"}`): untyped objects.
        items = prop.get("items")
        if isinstance(items, dict) and str(items.get("type", "")).endswith("[]"):
            prop = {**prop, "items": {"type": "object"}}
        kind = prop.get("type")
        if isinstance(kind, str) and kind.endswith("[]"):
            element = kind[:-2]
            items = {"$ref": element} if element in typed else {"type": "object"}
            return {**{k: v for k, v in prop.items() if k != "type"}, "type": "array", "items": items}
        return prop

    for m in new_models.values():
        m["properties"] = {k: property(v) for k, v in m.get("properties", {}).items()}

    files = {}
    for op in sorted(operations, key=lambda o: (stem(o["resource"]), o["path"], o["method"], o["nickname"])):
        doc = files.setdefault(stem(op["resource"]), {"resource": op["resource"], "apis": {}, "uses": set()})
        result = response(op.get("returns"))
        operation = {
            "method": op["method"],
            "summary": op.get("summary", ""),
            "notes": op.get("notes", ""),
            "nickname": op["nickname"],
            "parameters": [parameter(p, args.get((op["method"], op["path"], op["nickname"]), {})) for p in op.get("parameters", [])],
            "response_fields": [],
            "deprecated": False,
            "deprecation_description": "",
            **result,
        }
        doc["apis"].setdefault(op["path"], []).append(operation)
        doc["uses"] |= set(refs(result)) | {r for p in op.get("parameters", []) for r in refs(p)}

    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith(".json"):
            os.remove(os.path.join(OUT, name))
    for name, doc in sorted(files.items()):
        # The new models this file needs, with the models they need.
        wanted, todo = set(), [n for n in doc["uses"] if n in new_models]
        while todo:
            n = todo.pop()
            if n in wanted:
                continue
            wanted.add(n)
            for prop in new_models[n].get("properties", {}).values():
                todo += [r for r in refs(prop) if r in new_models]
        declaration = {
            "apiVersion": "1.0",
            "swaggerVersion": "1.2",
            "basePath": "https://canvas.instructure.com/api",
            "resourcePath": "/" + name,
            "produces": ["application/json"],
            "apis": [{"path": path, "description": ops[0]["summary"], "operations": ops} for path, ops in doc["apis"].items()],
            "models": {
                n: {"id": n, "description": new_models[n].get("description", ""), "properties": new_models[n].get("properties", {})}
                for n in sorted(wanted)
            },
        }
        with open(os.path.join(OUT, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(declaration, f, indent=2, ensure_ascii=False)
            f.write("\n")
    print(f"wrote {len(files)} files to {OUT}: {sum(len(o) for d in files.values() for o in d['apis'].values())} operations")


if __name__ == "__main__":
    main()
