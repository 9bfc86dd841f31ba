"""Test data for C8: targets registered through the service, and ratings sent the way the
public sends them (the intake, with a device and an address of the test's choosing)."""

from __future__ import annotations

import itertools

from dangjian.rating import intake, services
from dangjian.rating.choices import TargetKind
from dangjian.rating.models import RatedTarget

_devices = itertools.count(1)


def make_target(org, name: str = "", kind: str = TargetKind.WINDOW, **fields) -> RatedTarget:
    """A target of `org` registered by the command line (no actor)."""
    return services.create_target(
        None,
        services.TargetInput(org, name or f"{org.name}服务窗口", kind, fields.get("location", "")),
    )


def rate(
    target: RatedTarget,
    score: int,
    comment: str = "",
    phone: str = "",
    device: str | None = None,
    address: str = "10.0.0.1",
) -> intake.Acknowledged:
    """Rate `target` as a member of the public would (a fresh device unless one is given)."""
    body = intake.clean_body(
        {
            "target": target.code,
            "score": score,
            "comment": comment,
            "phone": phone,
            "device": device or f"device-{next(_devices):06d}",
        }
    )
    return intake.submit_rating(body, address)
