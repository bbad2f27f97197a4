"""Fewer, larger script files for the browser: a Reflex plugin that groups the small shared
modules of the front-end build (Radix's components, the icons the pages use by name) into a few
chunks.

On a phone network every file costs a round trip (Slow 4G: 562.5 ms, six connections at a time
over HTTP/1.1): the home page asked for 44 scripts, 30 of them under 1 KB, and became usable
1.7× later than a blank Reflex page that asks for 9 (bench/pageload.py). Vite's bundler
(rolldown) takes the groups in ``vite.config.js``'s ``codeSplitting``; Reflex writes that file on
every compile, so the plugin amends it there.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

MARKER = "groups: ["
GROUPS = """groups: [
            // selfservice/ui/chunks.py: the small shared modules in a few files, not one each
            {
              name: "ui-kit",
              test: /node_modules[\\\\/](@radix-ui|radix-ui|@floating-ui|react-remove-scroll|aria-hidden|use-sidecar|use-callback-ref|tslib|react-style-singleton|get-nonce|detect-node-es)[\\\\/]/,
              minShareCount: 2,
              priority: 2,
            },
            {
              name: "icons",
              test: /node_modules[\\\\/]lucide-react[\\\\/]/,
              minShareCount: 2,
              priority: 1,
            },"""


def group_chunks(config: str) -> str:
    """``vite.config.js`` with the groups added (unchanged if Reflex's template moved on)."""
    if MARKER not in config or "selfservice/ui/chunks.py" in config:
        return config
    return config.replace(MARKER, GROUPS, 1)


class FewerChunks(rx.plugins.Plugin):
    """Amend the generated ``vite.config.js`` with :data:`GROUPS`."""

    def pre_compile(self, **context: Any) -> None:
        context["add_modify_task"]("vite.config.js", group_chunks)
