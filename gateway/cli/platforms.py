"""`gateway platforms`: the installed platform plugins, the areas each answers, its version;
a plugin declaring a field its adapter has no method for (exit 1); those installed but
unavailable, with why (exit 1); and, asked, the capability matrix."""

from __future__ import annotations

import argparse
import json

from gateway.platforms import load_platforms
from gateway.platforms.matrix import capability_matrix

__all__ = ["platforms_command"]


async def platforms_command(args: argparse.Namespace) -> int:
    platforms = load_platforms()
    if args.matrix:
        print(capability_matrix(list(platforms.available.values())))
        return 0
    rows = [
        {
            "name": p.name,
            "version": p.version,
            "package": p.package,
            "areas": list(p.areas),
            "title": p.title,
            "webhooks": p.webhooks.platform if p.webhooks else None,
            "incomplete": p.missing_methods(),
            "adapterChecked": p.adapter_class() is not None,
        }
        for p in platforms.available.values()
    ]
    broken = [
        {"name": u.name, "package": u.package, "unavailable": u.reason}
        for u in platforms.broken.values()
    ]
    incomplete = any(p.missing_methods() for p in platforms.available.values())
    if args.json:
        print(json.dumps({"platforms": rows, "unavailable": broken}))
        return 0
    for p in platforms.available.values():
        print(f"{p.name} {p.version} ({p.package}): {', '.join(p.areas) or '-'}")
        for missing in p.missing_methods():
            print(f"  incomplete: {missing}; that field answers UNSUPPORTED_BY_SOURCE")
        if p.adapter_class() is None:
            print(
                "  its adapter's class is not known (Platform(adapter=...), or annotate"
                " what provider returns), so its methods were not checked"
            )
    for item in broken:
        print(f"{item['name']} ({item['package']}): unavailable: {item['unavailable']}")
    return 1 if broken or incomplete else 0
