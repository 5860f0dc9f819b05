"""A tiny note-taking app: the source of locale/messages.pot (pybabel extract / xgettext)."""

from gettext import gettext as _
from gettext import ngettext, pgettext


def status(count: int, user: str) -> str:
    # Translators: shown in the window title bar
    title = _("Notes")
    saved = ngettext("%(count)d note saved", "%(count)d notes saved", count) % {"count": count}
    return f"{title}: {saved} ({_('Signed in as {user}').format(user=user)})"


def menu() -> list[str]:
    return [pgettext("menu", "Open"), pgettext("verb", "Open"), _("Save changes?")]
