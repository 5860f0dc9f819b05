"""The review UI's routes, one router per screen: sign-in (`auth`), the per-locale queue and
bulk approval (`queue`), one item and its actions (`item`); what they share is in `deps`."""
