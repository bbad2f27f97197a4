"""A signature drawn with the finger: react-signature-canvas (a wrapper of signature_pad)
wrapped as a Reflex component. When a stroke ends, the canvas's PNG data URL is put in the
form's hidden field; the server decodes and checks it (a blank or one-dot drawing is refused there)."""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var

from selfservice.ui.i18n import T

PAD_ID = "signature_pad"


def _no_args(_event: Var) -> tuple:
    return ()


class SignatureCanvas(rx.Component):
    """The package ships a CommonJS (UMD) build whose default import arrives wrapped in
    ``{default: …}`` through the bundler's interop: unwrap it once at module level."""

    tag = "SignaturePadInterop"

    pen_color: rx.Var[str]
    min_width: rx.Var[float]
    max_width: rx.Var[float]
    canvas_props: rx.Var[dict]
    clear_on_resize: rx.Var[bool]
    on_end: rx.EventHandler[_no_args]

    def add_imports(self) -> dict:
        return {"react-signature-canvas@1.0.7": rx.ImportVar(tag="SignatureCanvasModule", is_default=True)}

    def add_custom_code(self) -> list[str]:
        return ["const SignaturePadInterop = SignatureCanvasModule.default ?? SignatureCanvasModule;"]


INPUT = "document.querySelector('input.signature-data')"  # no id: a form would send its value under the id
PAD = f"refs['ref_{PAD_ID}']"
# When a stroke ends, the drawing so far goes into the form's hidden input; the form sends it
# with the typed name and the code, and the server checks it (a blank or one-dot drawing fails).
STORE_JS = f"{INPUT}.value = ({PAD}.current && !{PAD}.current.isEmpty()) ? {PAD}.current.toDataURL('image/png') : ''"
CLEAR_JS = f"{PAD}.current && {PAD}.current.clear(); {INPUT}.value = ''"


def signature_pad(input_name: str = "drawing") -> rx.Component:
    """The drawing area (fits a 390 px phone), its hidden form field and its "clear" button."""
    return rx.vstack(
        rx.text(T("sign.draw"), size="2", weight="medium", id="signature-label"),
        rx.el.input(type="hidden", name=input_name, class_name="signature-data", default_value=""),
        rx.box(
            SignatureCanvas.create(
                id=PAD_ID,
                pen_color="#1e1b4b",
                min_width=1.2,
                max_width=2.8,
                clear_on_resize=False,
                canvas_props={
                    "width": 330,
                    "height": 160,
                    "className": "signature-canvas",
                    "role": "img",
                    "aria-labelledby": "signature-label",
                },
                on_end=rx.call_script(STORE_JS),
            ),
            border="1px dashed var(--gray-a8)",
            border_radius="8px",
            background="white",
            width="332px",
            max_width="100%",
            overflow="hidden",
            id="signature-box",
        ),
        rx.button(
            rx.icon("eraser", size=14),
            T("sign.clear"),
            size="1",
            variant="soft",
            color_scheme="gray",
            type="button",
            on_click=rx.call_script(CLEAR_JS),
            id="signature-clear",
        ),
        spacing="1",
    )
