"""`gateway platforms`: the installed platform plugins, the areas each answers, its version;
those installed but unavailable, with why; and, asked, the capability matrix."""

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
        }
        for p in platforms.available.values()
    ]
    broken = [
        {"name": u.name, "package": u.package, "unavailable": u.reason}
        for u in platforms.broken.values()
    ]
    if args.json:
        print(json.dumps({"platforms": rows, "unavailable": broken}))
        return 0
    for row in rows:
        areas = ", ".join(row["areas"]) or "-"  # type: ignore[arg-type]
        print(f"{row['name']} {row['version']} ({row['package']}): {areas}")
    for item in broken:
        print(f"{item['name']} ({item['package']}): unavailable: {item['unavailable']}")
    return 1 if broken else 0
