#!/usr/bin/env python3
"""Rebuild handler-permissions.json from a directory of CloudFormation resource schemas.

    python3 extract.py [--schemas raw] [--types types.txt] [--supplement docs-supplement.json]
                       [--sources sources.json] [--out handler-permissions.json]

Schemas are matched by their "typeName", so any file naming works (awscc's
AWS_ECS_Service.json, the registry's aws-ecs-service.json, a provider repo's file).
For every type in --types, handlers.{create,read,update,delete,list}.permissions are
kept per handler, sorted and deduplicated. A type with no schema, or a schema without
handlers (non-provisionable), is taken from --supplement ("from docs"); a type in
neither is reported and makes the script exit 1.

To refresh: fetch the newest hashicorp/terraform-provider-awscc, copy
internal/service/cloudformation/schemas/<AWS_Svc_Type>.json for the types into raw/,
update sources.json's commit/date, rerun.
"""
import argparse, json, os, sys

HANDLERS = ("create", "read", "update", "delete", "list")


def norm(action):
    """IAM action names are case-insensitive; schemas occasionally spell the service
    prefix in capitals (S3:GetBucketWebsite). Lower the prefix, keep the action name."""
    svc, sep, op = action.strip().partition(":")
    return svc.lower() + sep + op


def load_schemas(d):
    by_type = {}
    for name in sorted(os.listdir(d)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(d, name)) as f:
            s = json.load(f)
        t = s.get("typeName")
        if t:
            by_type[t] = (name, s)
    return by_type


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--schemas", default=os.path.join(here, "raw"))
    ap.add_argument("--types", default=os.path.join(here, "types.txt"))
    ap.add_argument("--supplement", default=os.path.join(here, "docs-supplement.json"))
    ap.add_argument("--sources", default=os.path.join(here, "sources.json"))
    ap.add_argument("--out", default=os.path.join(here, "handler-permissions.json"))
    a = ap.parse_args()

    types = [l.strip() for l in open(a.types) if l.strip() and not l.startswith("#")]
    schemas = load_schemas(a.schemas)
    supplement = json.load(open(a.supplement))["types"] if os.path.exists(a.supplement) else {}
    sources = json.load(open(a.sources))
    default = sources["default"]

    out_types, origins, tagging, missing = {}, {}, {}, []
    for t in types:
        name, s = schemas.get(t, (None, None))
        handlers = (s or {}).get("handlers") or {}
        if handlers:
            out_types[t] = {h: sorted({norm(x) for x in handlers.get(h, {}).get("permissions", [])}) for h in HANDLERS}
            src = dict(sources.get("overrides", {}).get(name, default))
            src["path"] = src["path"].format(file=name)
            origins[t] = {"origin": "schema", "file": name, "repo": src["repo"], "commit": src["commit"],
                          "path": src["path"], "date": src["date"],
                          "handlers_present": sorted(h for h in HANDLERS if h in handlers)}
            tp = (s.get("tagging") or {}).get("permissions")
            if tp:
                tagging[t] = sorted({norm(x) for x in tp})
        elif t in supplement:
            sup = supplement[t]
            out_types[t] = {h: sorted({norm(x) for x in sup.get(h, [])}) for h in HANDLERS}
            origins[t] = {"origin": "from docs", "urls": sup["urls"], "why": sup["why"],
                          "schema_file": name, "schema_has_handlers": False}
        else:
            missing.append(t)

    doc = {
        "source": {"repo": default["repo"], "commit": default["commit"], "date": default["date"]},
        "types": out_types,
        "origins": origins,
        "tagging": tagging,
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=False)
        f.write("\n")
    if missing:
        print("no schema handlers and no supplement for: " + ", ".join(missing), file=sys.stderr)
        return 1
    print(f"wrote {a.out}: {len(out_types)} types "
          f"({sum(o['origin'] == 'schema' for o in origins.values())} from schemas, "
          f"{sum(o['origin'] == 'from docs' for o in origins.values())} from docs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
