"""C5 writes: defining a year's assessment scheme (items, satisfaction weights, publishing),
entering scores (per organization, item and source), raters' satisfaction scores, the
self-check workflow, and computing 党建得分 for every organization a scheme applies to.

Each function checks its whole input first and raises BusinessError (a Chinese message)
before changing anything; writes run in one transaction together with their audit entries.

Each job has its module: `access` (who may do what), `snapshots` (how records look in the
audit log), `definition` (schemes and their items), `scores` (item scores), `satisfaction`
(raters' ratings), `self_check` (the self-check workflow) and `party_scores` (党建得分). This
package re-exports their public names, so callers keep writing `services.enter_scores`.
"""

from dangjian.schemes.services.access import (
    check_may_assess,
    check_may_enter,
    is_superior,
    may_assess,
    may_self_check,
)
from dangjian.schemes.services.definition import (
    CleanScheme,
    ItemInput,
    SchemeInput,
    add_item,
    create_scheme,
    delete_item,
    delete_scheme,
    problems_of,
    publish_scheme,
    set_weights,
    update_item,
    update_scheme,
    withdraw_scheme,
)
from dangjian.schemes.services.party_scores import (
    ComputeResult,
    compute_party_scores,
    compute_year,
    scheme_for,
    scoped_orgs,
)
from dangjian.schemes.services.satisfaction import (
    RatingEntry,
    enter_ratings,
    replace_rater_scores,
)
from dangjian.schemes.services.scores import (
    ScoreEntry,
    ScoreInputError,
    check_scoreable,
    create_score,
    enter_scores,
)
from dangjian.schemes.services.self_check import (
    review_self_check,
    self_check_items,
    submit_self_check,
)

__all__ = [
    "CleanScheme",
    "ComputeResult",
    "ItemInput",
    "RatingEntry",
    "SchemeInput",
    "ScoreEntry",
    "ScoreInputError",
    "add_item",
    "check_may_assess",
    "check_may_enter",
    "check_scoreable",
    "compute_party_scores",
    "compute_year",
    "create_scheme",
    "create_score",
    "delete_item",
    "delete_scheme",
    "enter_ratings",
    "enter_scores",
    "is_superior",
    "may_assess",
    "may_self_check",
    "problems_of",
    "publish_scheme",
    "replace_rater_scores",
    "review_self_check",
    "scheme_for",
    "scoped_orgs",
    "self_check_items",
    "set_weights",
    "submit_self_check",
    "update_item",
    "update_scheme",
    "withdraw_scheme",
]
