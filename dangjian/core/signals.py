"""Signals shared across capabilities (core imports none of the apps that send or receive
them)."""

from django.dispatch import Signal

# Sent inside the writer's transaction after a batch changed stored results that rollups read
# (C16 dashboard): by the compliance and assessment engines, the rectification services, the
# import runner and a move in the organization tree. Arguments:
# - `kind`: "compliance", "assessment", "rectification" or "structure";
# - `years`: the years whose results changed (None: every year);
# - `org_ids`: the organizations whose own rows changed (None: too many to list, or all), so a
#   receiver can recompute only their ancestors' subtree rows.
results_changed = Signal()
