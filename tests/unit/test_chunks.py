"""The plugin that groups small front-end modules amends Reflex's vite.config.js exactly once."""

from __future__ import annotations

from selfservice.ui.chunks import group_chunks

TEMPLATE = """      output: {
        codeSplitting: {
          groups: [
            {
              test: /env.json/,
              name: "reflex-env",
            },
          ],
        },
      },"""


def test_the_groups_go_before_reflexs_own_and_only_once():
    amended = group_chunks(TEMPLATE)
    assert amended.index('name: "ui-kit"') < amended.index('name: "icons"') < amended.index('name: "reflex-env"')
    assert group_chunks(amended) == amended


def test_a_template_without_groups_is_left_alone():
    assert group_chunks("export default {}") == "export default {}"
