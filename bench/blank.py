"""The baseline: a blank Reflex app (one state, a counter, an on-load flag), written to a folder
and served the same way as this app, so that every ratio compares like with like in one run."""

from __future__ import annotations

from pathlib import Path

CONFIG = """import reflex as rx

config = rx.Config(app_name="blank", telemetry_enabled=False, disable_plugins=[rx.plugins.SitemapPlugin])
"""
APP = """import reflex as rx


class Counter(rx.State):
    n: int = 0
    ready: bool = False
    fields: dict[str, str] = {}
    rows: list[dict[str, str]] = []

    @rx.event
    def bump(self):
        self.n += 1

    @rx.event
    def fill(self):
        # an update the size of a form preview's: a dozen fields and a short table, no database
        self.n += 1
        self.fields = {f"f{i}": f"{self.n}-{i}" for i in range(12)}
        self.rows = [{"code": f"t{i}", "name": "年假", "balance": str(self.n + i)} for i in range(8)]

    @rx.event
    def loaded(self):
        self.ready = True


def index() -> rx.Component:
    return rx.vstack(
        rx.heading("blank"),
        rx.button("bump", on_click=Counter.bump),
        rx.text(Counter.n),
        rx.cond(Counter.ready, rx.text("ready", id="ready")),
    )


app = rx.App()
app.add_page(index, on_load=Counter.loaded)
"""
STATE = "reflex___state____state.blank___blank____counter"


def write(folder: Path) -> Path:
    """The blank app's project in ``folder`` (returned: where to run ``reflex``)."""
    (folder / "blank").mkdir(parents=True, exist_ok=True)
    (folder / "rxconfig.py").write_text(CONFIG)
    (folder / "blank" / "__init__.py").write_text("")
    (folder / "blank" / "blank.py").write_text(APP)
    return folder
