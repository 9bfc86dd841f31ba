"""Fixed vocabularies of C1 members. Values are the Chinese terms users type in Excel."""

from django.db import models


class Gender(models.TextChoices):
    MALE = "男", "男"
    FEMALE = "女", "女"


class MemberType(models.TextChoices):
    """正式 / 预备 (formal / probationary)."""

    FORMAL = "正式", "正式党员"
    PROBATIONARY = "预备", "预备党员"


class Post(models.TextChoices):
    """党内职务 held in the member's organization."""

    SECRETARY = "书记", "书记"
    DEPUTY_SECRETARY = "副书记", "副书记"
    ORGANIZATION = "组织委员", "组织委员"
    PUBLICITY = "宣传委员", "宣传委员"
    DISCIPLINE = "纪检委员", "纪检委员"
    YOUTH = "青年委员", "青年委员"
    UNITED_FRONT = "统战委员", "统战委员"
    SECRECY = "保密委员", "保密委员"
    COMMITTEE_MEMBER = "委员", "委员"
    GROUP_LEADER = "党小组长", "党小组长"


POSTS = frozenset(Post.values)
# Posts that make a person part of the branch committee (支部委员会), shown on the org page.
POST_ORDER = {value: index for index, value in enumerate(Post.values)}
POST_SEPARATORS = ("、", ",", "，", ";", "；", "/", " ", "兼")

# 党章: members must be at least 18 when they join.
MIN_JOIN_AGE = 18
