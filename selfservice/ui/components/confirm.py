"""A tap that destroys or decides something (withdraw, approve, reject, bulk approve) asks first:
on a phone a thumb brushes buttons while scrolling."""

from __future__ import annotations

from typing import Any

import reflex as rx

from selfservice.ui.i18n import T


def confirm_button(
    label: Any,
    question_key: str,
    on_confirm: Any,
    class_name: str,
    confirm_key: str = "confirm.yes",
    color_scheme: str = "gray",
    variant: str = "soft",
    size: str = "1",
    **trigger_props: Any,
) -> rx.Component:
    """A button that opens a dialog asking ``question_key``; only "yes" runs ``on_confirm``."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(label, size=size, variant=variant, color_scheme=color_scheme, class_name=class_name, type="button", **trigger_props)
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(T(question_key)),
            rx.alert_dialog.description(T("confirm.hint"), size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(T("confirm.no"), variant="soft", color_scheme="gray", class_name="confirm-no")),
                rx.alert_dialog.action(
                    rx.button(
                        T(confirm_key),
                        color_scheme=color_scheme if color_scheme != "gray" else "red",
                        on_click=on_confirm,
                        class_name="confirm-yes",
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
            max_width="420px",
        ),
    )
