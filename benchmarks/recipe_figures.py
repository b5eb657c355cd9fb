"""The figures that the user guide's recipe quotes, each tied to a cell of
the results page (results_page.py); tests/test_results_page.py checks them."""

import re
from dataclasses import dataclass

# --- The recipe's figures -------------------------------------------------
#
# Every figure that the user guide's recipe (docs/user_guide.rst, "Which
# handling to try: a recipe per regime") quotes for a method at a size, and
# the cell of the results page it comes from. ``quoted`` is the recipe's text;
# ``column`` a metric or "metric - base" (paired by seed); ``flip`` reads the
# cell as base minus method (the recipe's "threshold tuning was ahead of the
# logit-adjusted loss"); ``ahead`` the seeds the recipe says the method is
# ahead on (``quoted`` is empty where the recipe gives only those). ``now``
# is the page's figure where the recipe disagrees with the current rows.
# tests/test_results_page.py checks each against the page.
# Figures that pair with a method that is not a baseline (variance transfer
# against the logit-adjusted loss), sensitivity, specificity and ranges over
# several methods are not on the page and not listed.


@dataclass(frozen=True)
class RecipeFigure:
    n: object
    method: str
    column: str
    quoted: str
    ahead: int | None = None
    flip: bool = False
    now: str | None = None
    part: str = "A"


BA, AUC = "balanced_accuracy", "roc_auc"
# fmt: off
RECIPE_FIGURES = (
    RecipeFigure(10, "logit_adjusted", BA, "0.834"),
    RecipeFigure(10, "logit_adjusted", f"{BA} - class_weight", "+0.027 +- 0.015", ahead=5),  # noqa: E501
    RecipeFigure(10, "threshold", BA, "0.819"),
    RecipeFigure(10, "logit_adjusted", f"{BA} - threshold", "+0.015 +- 0.033"),
    RecipeFigure(10, "class_weight", BA, "0.808"),
    RecipeFigure(10, "superpixel+weighted0.25", BA, "0.805"),
    RecipeFigure(10, "variance_transfer+threshold", BA, "0.859"),
    RecipeFigure(10, "variance_transfer+threshold", AUC, "0.947"),
    RecipeFigure(10, "variance_transfer+threshold", f"{BA} - threshold", "+0.040 +- 0.032", ahead=5),  # noqa: E501
    RecipeFigure(10, "none", BA, "0.514", part="D"),
    RecipeFigure(25, "none", BA, "0.579", part="D"),
    RecipeFigure(10, "none", BA, "0.723"),
    RecipeFigure(10, "ldam_drw", BA, "0.594", part="D"),
    RecipeFigure(10, "ldam_drw", AUC, "0.819", part="D"),
    RecipeFigure(25, "ldam_drw", BA, "0.653", part="D"),
    RecipeFigure(25, "ldam_drw", AUC, "0.833", part="D"),
    RecipeFigure(10, "logit_adjusted", BA, "0.633", part="D"),
    RecipeFigure(10, "threshold", BA, "0.633", part="D"),
    RecipeFigure(10, "logit_adjusted", f"{BA} - threshold", "+0.000 +- 0.038", part="D"),  # noqa: E501
    RecipeFigure(10, "logit_adjusted", f"{BA} - class_weight", "+0.054 +- 0.009", ahead=5, part="D"),  # noqa: E501
    RecipeFigure(10, "threshold", f"{BA} - class_weight", "+0.054 +- 0.045", ahead=4, part="D"),  # noqa: E501
    RecipeFigure(10, "class_weight", BA, "0.579", part="D"),
    RecipeFigure(10, "threshold", AUC, "0.943"),
    RecipeFigure(10, "threshold", AUC, "0.870", part="D"),
    RecipeFigure(10, "logit_adjusted", AUC, "0.934"),
    RecipeFigure(10, "logit_adjusted", AUC, "0.845", part="D"),
    RecipeFigure(10, "class_weight", AUC, "0.823", part="D"),
    RecipeFigure(10, "class_weight", f"{AUC} - none", "", ahead=1, part="D"),  # noqa: E501
    RecipeFigure(10, "superpixel+weighted0.25", f"{BA} - class_weight", "", ahead=2),  # noqa: E501
    RecipeFigure(25, "threshold", BA, "0.730", part="D"),
    RecipeFigure(25, "class_weight", BA, "0.634", part="D"),
    RecipeFigure(25, "threshold", f"{BA} - class_weight", "+0.097 +- 0.041", ahead=5, part="D"),  # noqa: E501
    RecipeFigure(25, "logit_adjusted", BA, "0.690", part="D"),
    RecipeFigure(25, "logit_adjusted", f"{BA} - threshold", "+0.040 +- 0.038", ahead=4, flip=True, part="D"),  # noqa: E501
    RecipeFigure(25, "threshold", AUC, "0.898", part="D"),
    RecipeFigure(25, "logit_adjusted", f"{BA} - class_weight", "+0.056 +- 0.007", ahead=5, part="D"),  # noqa: E501
    RecipeFigure(25, "logit_adjusted", f"{AUC} - threshold", "", ahead=1),  # noqa: E501
    RecipeFigure(25, "logit_adjusted", f"{AUC} - threshold", "", ahead=0, part="D"),  # noqa: E501
    RecipeFigure(10, "variance_transfer+threshold", BA, "0.636", part="D"),
    RecipeFigure(10, "variance_transfer+threshold", f"{BA} - threshold", "+0.003 +- 0.076", ahead=2, part="D"),  # noqa: E501
    RecipeFigure(10, "variance_transfer+threshold", AUC, "0.847", part="D"),
    RecipeFigure(10, "variance_transfer+threshold", f"{AUC} - threshold", "", ahead=1, part="D"),  # noqa: E501
    RecipeFigure(25, "variance_transfer+threshold", BA, "0.723", part="D"),
    RecipeFigure(25, "variance_transfer+threshold", f"{BA} - threshold", "-0.008 +- 0.038", ahead=2, part="D"),  # noqa: E501
    RecipeFigure(25, "variance_transfer+threshold", AUC, "0.890", part="D"),
    RecipeFigure(25, "threshold", BA, "0.880"),
    RecipeFigure(25, "class_weight", BA, "0.849"),
    RecipeFigure(25, "threshold", f"{BA} - class_weight", "+0.031 +- 0.011", ahead=5),  # noqa: E501
    RecipeFigure(25, "logit_adjusted", BA, "0.869"),
    RecipeFigure(25, "logit_adjusted", f"{BA} - threshold", "+0.011 +- 0.012", ahead=4, flip=True),  # noqa: E501
    RecipeFigure(25, "logit_adjusted", f"{BA} - class_weight", "+0.020 +- 0.016", ahead=4),  # noqa: E501
    RecipeFigure(25, "variance_transfer+weighted0.25", AUC, "0.958"),
    RecipeFigure(25, "variance_transfer+weighted0.25", f"{AUC} - class_weight", "+0.006 +- 0.005", ahead=5),  # noqa: E501
    RecipeFigure(25, "threshold", AUC, "0.957"),
    RecipeFigure(25, "variance_transfer+threshold", BA, "0.880"),
    RecipeFigure(25, "variance_transfer+threshold", AUC, "0.961"),
    RecipeFigure(25, "variance_transfer+threshold", f"{BA} - threshold", "-0.000 +- 0.008"),  # noqa: E501
    RecipeFigure(25, "variance_transfer+threshold", f"{BA} - class_weight", "", ahead=5),  # noqa: E501
    RecipeFigure(25, "variance_transfer+threshold", f"{AUC} - threshold", "+0.004 +- 0.002", ahead=5),  # noqa: E501
    RecipeFigure(25, "featuresmote", AUC, "0.957"),
    RecipeFigure(25, "featuresmote", BA, "0.82"),
    RecipeFigure(50, "threshold", BA, "0.758", part="D"),
    RecipeFigure(50, "logit_adjusted", BA, "0.739", part="D"),
    RecipeFigure(50, "class_weight", BA, "0.694", part="D"),
    RecipeFigure(50, "threshold", f"{BA} - class_weight", "+0.063 +- 0.048", ahead=5, part="D"),  # noqa: E501
    RecipeFigure(50, "logit_adjusted", f"{BA} - class_weight", "+0.045 +- 0.012", ahead=5, part="D"),  # noqa: E501
    RecipeFigure(50, "logit_adjusted", f"{BA} - threshold", "", ahead=2, part="D"),  # noqa: E501
    RecipeFigure(50, "threshold", BA, "0.898"),
    RecipeFigure(50, "threshold", AUC, "0.965"),
    RecipeFigure(50, "class_weight", BA, "0.891"),
    RecipeFigure(50, "class_weight", AUC, "0.962"),
    RecipeFigure(50, "logit_adjusted", BA, "0.892"),
    RecipeFigure(50, "threshold", f"{BA} - class_weight", "+0.007 +- 0.005", ahead=5),  # noqa: E501
    RecipeFigure(50, "logit_adjusted", f"{BA} - threshold", "+0.006 +- 0.005", ahead=5, flip=True),  # noqa: E501
    RecipeFigure(50, "variance_transfer+weighted0.25", AUC, "0.965"),
    RecipeFigure(50, "variance_transfer+weighted0.25", BA, "0.889"),
    RecipeFigure(50, "variance_transfer+weighted0.25", f"{AUC} - class_weight", "+0.003 +- 0.001", ahead=5),  # noqa: E501
    RecipeFigure(50, "variance_transfer+threshold", AUC, "0.968"),
    RecipeFigure(50, "variance_transfer+threshold", f"{AUC} - threshold", "", ahead=5),  # noqa: E501
    RecipeFigure(50, "variance_transfer+threshold", BA, "0.878"),
    RecipeFigure(50, "superpixel+weighted0.25", BA, "0.879"),
    RecipeFigure(50, "superpixel+weighted0.25", f"{AUC} - threshold", "", ahead=0),  # noqa: E501
    RecipeFigure(50, "featuresmote", AUC, "0.966"),
    RecipeFigure(50, "featuresmote", BA, "0.87"),
    RecipeFigure(250, "none", BA, "0.923"),
    RecipeFigure(250, "ros", BA, "0.922"),
    RecipeFigure(250, "dcgan", BA, "0.922"),
    RecipeFigure(250, "smote", BA, "0.914"),
    RecipeFigure(250, "class_weight", BA, "0.905"),
    RecipeFigure(250, "logit_adjusted", f"{BA} - none", "0.028", ahead=3, flip=True),  # noqa: E501
    RecipeFigure(100, "class_weight", BA, "0.906"),
    RecipeFigure(100, "dcgan", BA, "0.907"),
    RecipeFigure(100, "featuregan", BA, "0.909"),
    RecipeFigure(100, "ros", BA, "0.902"),
    RecipeFigure(100, "smote", BA, "0.903"),
)
# fmt: on
_CELL = re.compile(r"([+-]?\d\.\d+)(?: \+- (\d\.\d+))?(?:, ahead on (\d+) of (\d+))?$")


def page_figure(figure, cell):
    """What the page says for ``figure``, read from the ``cell`` of its
    table: the figure at the recipe's precision (None where the recipe
    quotes only the seeds), and the seeds on which the method is ahead
    (None where the cell has no pairs)."""
    mean, std, ahead, n = _CELL.match(cell).groups()
    if figure.flip:
        mean, ahead = -float(mean), ahead and int(n) - int(ahead)
    ahead = None if ahead is None else int(ahead)
    if not figure.quoted:
        return None, ahead
    head = figure.quoted.split(" ")[0]
    digits = len(head.split(".")[1])
    text = (
        f"{float(mean):+.{digits}f}" if head[0] in "+-" else f"{float(mean):.{digits}f}"
    )
    if " +- " in figure.quoted:
        text += f" +- {float(std):.{digits}f}"
    return text, ahead
