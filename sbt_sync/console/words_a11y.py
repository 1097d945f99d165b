"""The words of the console's accessibility aids (the skip link in templates/base.html): Indonesian
first, English second, merged into :data:`sbt_sync.console.i18n.MESSAGES`."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "a11y.skip": ("Langsung ke isi", "Skip to content"),
}
