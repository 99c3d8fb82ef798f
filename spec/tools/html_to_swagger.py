#!/usr/bin/env python3
"""Writes spec/resources/<resource>.json, our Swagger 1.2 description of a Canvas resource
that the upstream set lacks, from its official documentation page (HTML).

Usage: python3 spec/tools/html_to_swagger.py <doc_api_<resource>.html>... > report
(default: every page in ../shared/canvas-spec/reference/canvas-lms-sdk/).

It follows the conventions of Canvas's own Swagger generator (doc/api/fulldoc/html/swagger in
instructure/canvas-lms) so that the generator treats these files like the upstream ones:
- one API entry per route; the nickname is the summary in snake case without articles, plus
  the first differing path segment when one doc method has several routes;
- `:param` path segments become path parameters (the request-parameter rows that name them
  give their type and description); other rows are `query` for GET and `form` otherwise;
- a name ending in `[]` (also inside brackets, `a[b[]]`) becomes `type: array` without the
  `[]`, its row type becoming the items type; "Allowed values" become `enum`; "Required" sets
  `required`;
- "Returns a [list of] <Model>" gives the return type; none gives `void`;
- each "A <Model> object looks like" example becomes a model: every top-level key is a
  property, its `//` comment the description, its value the example, and its type inferred
  from the value (`datetime` for ISO timestamps; `object` for nested objects and for null).

The pages are double-encoded (UTF-8 read as Latin-1); they are decoded back first. The output
is reviewed by hand and committed; the tool is kept for provenance and for refreshing.
"""
import html
import json
import re
import sys
from pathlib import Path

HEADER = {
    "apiVersion": "1.0",
    "swaggerVersion": "1.2",
    "basePath": "https://canvas.instructure.com/api",
    "produces": ["application/json"],
}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def fix_encoding(text):
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def text_of(fragment):
    """HTML fragment to plain text with paragraphs kept."""
    fragment = re.sub(r"</p>\s*<p>", "\n\n", fragment)
    fragment = re.sub(r"<br\s*/?>", "\n", fragment)
    fragment = re.sub(r"<code[^>]*>(.*?)</code>", r"+\1+", fragment, flags=re.S)
    fragment = re.sub(r"<[^>]+>", "", fragment)
    lines = [l.rstrip() for l in html.unescape(fragment).strip().splitlines()]
    return "\n".join(lines).strip()


def nickname(summary):
    s = " " + summary.lower() + " "
    s = re.sub(r" (a|an|the) ", " ", s)
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def infer(value):
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer", "format": "int64"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "datetime"} if ISO.match(value) else {"type": "string"}
    if isinstance(value, list):
        items = infer(value[0]) if value else {"type": "string"}
        items.pop("format", None)
        return {"type": "array", "items": items}
    return {"type": "object"}


def parse_model(code):
    """A model from its commented JSON example: (description, properties)."""
    lines = html.unescape(code).splitlines()
    model_doc, comments, props_docs, depth, body = [], [], {}, 0, []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("//"):
            (comments if depth >= 1 else model_doc).append(stripped[2:].strip())
            continue
        m = re.match(r'^"([^"]+)"\s*:', stripped)
        if m and depth == 1:
            props_docs[m.group(1)] = " ".join(comments)
        if depth == 1 or not stripped.startswith("//"):
            comments = [] if depth == 1 and m else comments
        depth += stripped.count("{") + stripped.count("[") - stripped.count("}") - stripped.count("]")
        body.append(re.sub(r"\s//.*$", "", line))
    text = "\n".join(body)
    text = re.sub(r",(\s*[}\]])", r"\1", text)
    # Some examples leave a string unquoted (`"workflow_state": on,`): quote bare words.
    text = re.sub(r'(:\s*)(?!true\b|false\b|null\b)([A-Za-z_][\w\-.]*)(\s*,?\s*)$', r'\1"\2"\3', text, flags=re.M)
    data = json.loads(text)
    props = {}
    for key, value in data.items():
        p = {"description": props_docs.get(key, ""), "example": value}
        p.update(infer(value))
        props[key] = p
    return " ".join(model_doc), props


def convert(path):
    raw = fix_encoding(Path(path).read_text(encoding="utf-8"))
    resource = Path(path).stem.removeprefix("doc_api_")
    models = {}
    for m in re.finditer(r"<div class='object_definition'>\s*<h3><a name=\"([^\"]+)\">.*?<code[^>]*>(.*?)</code>", raw, re.S):
        name, code = m.group(1), m.group(2)
        desc, props = parse_model(code)
        models[name] = {
            "id": name,
            "description": desc,
            "required": [],
            "deprecated": False,
            "deprecation_description": None,
            "properties": props,
        }
    apis = []
    methods = re.split(r"<div class=\"method_details[^\"]*\">", raw)[1:]
    for block in methods:
        summary = text_of(re.search(r"<a name='method\.[^']*'[^>]*>(.*?)</a>", block, re.S).group(1))
        routes = re.findall(r"<h3 class='endpoint'>\s*(\w+)\s+/api(\S+)\s*</h3>", block)
        after = block[block.rfind("</h3>") :]
        after = after[after.find("</div>") + 6 :]
        stop = min([i for i in (after.find("<h4>Request Parameters"), after.find('<div class="examples">'), after.find("Returns a")) if i >= 0] or [len(after)])
        notes = text_of(after[:stop])
        returns = re.search(r"Returns (?:a|an)\s*(list of)?\s*<a href='[^']*'>([^<]+)</a>", block)
        rows = []
        for row in re.findall(r"<tr class=\"request-param[^\"]*\">(.*?)</tr>", block, re.S):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            name = text_of(cells[0])
            required = "Required" in cells[1]
            ptype = text_of(cells[2])
            # A doc slip writes the type into the name (`placements[Array]`): take it as the type.
            slip = re.match(r"^(\w+)\[(Array|Boolean|String|Integer)\]$", name)
            if slip:
                is_array = slip.group(2) == "Array"
                name, ptype = slip.group(1) + ("[]" if is_array else ""), "string" if is_array else slip.group(2).lower()
            desc_cell = cells[-1]
            enum = re.findall(r"<code class=enum>([^<]*)</code>", desc_cell)
            desc = text_of(re.sub(r"<p class=\"param-values\">.*?</p>", "", desc_cell, flags=re.S))
            rows.append((name, required, ptype, desc, [html.unescape(e) for e in enum]))
        for method, route in routes:
            path = re.sub(r":(\w+)", r"{\1}", route)
            placeholders = re.findall(r"{(\w+)}", path)
            nick = nickname(summary)
            if len(routes) > 1:
                segs = [s for s in route.split("/") if s and not s.startswith(":") and s not in ("v1", "quiz")]
                nick += "_" + segs[0]
            params = []
            for ph in placeholders:
                row = next((r for r in rows if r[0] == ph), None)
                params.append({
                    "paramType": "path", "name": ph, "description": row[3] if row else "", "type": (row[2] if row else "string"),
                    "format": None, "required": True, "deprecated": False,
                })
            for name, required, ptype, desc, enum in rows:
                if name in placeholders:
                    continue
                param = {"paramType": "query" if method == "GET" else "form", "name": name, "description": desc,
                         "type": ptype, "format": None, "required": required, "deprecated": False}
                if name.endswith("[]") or "[]]" in name:
                    param["name"] = name.replace("[]]", "]").removesuffix("[]")
                    param["type"] = "array"
                    param["items"] = {"type": ptype.lower() if ptype.lower() in ("string", "integer", "boolean", "number") else ptype}
                if enum:
                    param["enum"] = enum
                params.append(param)
            op = {
                "method": method, "summary": summary, "notes": notes, "nickname": nick, "parameters": params,
                "response_fields": [], "deprecated": False, "deprecation_description": "",
                "type": "void",
            }
            if returns:
                if returns.group(1):
                    op["type"] = "array"
                    op["items"] = {"$ref": returns.group(2)}
                else:
                    op["type"] = returns.group(2)
            apis.append({"path": path, "description": notes, "operations": [op]})
    doc = dict(HEADER)
    doc["resourcePath"] = "/" + resource
    doc["apis"] = apis
    doc["models"] = models
    return resource, doc


def main():
    pages = sys.argv[1:] or sorted(str(p) for p in (Path(__file__).resolve().parents[2] / "../shared/canvas-spec/reference/canvas-lms-sdk").glob("doc_api_*.html"))
    out_dir = Path(__file__).resolve().parents[1] / "resources"
    for page in pages:
        resource, doc = convert(page)
        (out_dir / f"{resource}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        ops = sum(len(a["operations"]) for a in doc["apis"])
        params = sum(len(o["parameters"]) for a in doc["apis"] for o in a["operations"])
        print(f"{resource}: {ops} operations, {params} parameters, {len(doc['models'])} models")


if __name__ == "__main__":
    main()
