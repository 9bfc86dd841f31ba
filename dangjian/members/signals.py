"""Signals of the member registry for capabilities built on it (the members app imports none
of them)."""

from django.dispatch import Signal

# Sent inside the writer's transaction after members were created, by the add-member service
# and the 党员 import, with `member_ids` (a list of the new members' ids).
members_created = Signal()
