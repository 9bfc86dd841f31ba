"""Fixed vocabularies of assessment (values are the Chinese terms users type in Excel)."""

from django.db import models


class Grade(models.TextChoices):
    """等次 of the final score, and of 述职评议 (the same four words)."""

    GOOD = "好", "好"
    FAIRLY_GOOD = "较好", "较好"
    FAIR = "一般", "一般"
    POOR = "差", "差"


class Standing(models.TextChoices):
    """Class within the peer group (分类晋级)."""

    ADVANCED = "先进", "先进"
    ORDINARY = "一般", "一般"
    BACKWARD = "后进", "后进"


class PeerGrouping(models.TextChoices):
    """How peer groups are formed: the same parent (SPEC §6 default) or the same category."""

    PARENT = "parent", "同一上级组织"
    CATEGORY = "category", "同一组织类别"
    PARENT_CATEGORY = "parent_category", "同一上级组织且同一类别"
