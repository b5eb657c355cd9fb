"""What became of M2mSampler's draws, and its warning when most new images
are copies of real ones rather than translations."""

from dataclasses import dataclass

# M2mSampler warns when fewer than this share of a class's new images are
# translations: most of them are then copies of real images, and the sampler
# has acted mostly as random oversampling.
FEW_TRANSLATIONS = 0.5
# What raises the share of translations, by what fell short.
ADVICE = {
    "source": "lower source_beta (a source image of a class d images larger "
    "passes with probability 1 - source_beta ** d; source_beta=0 lets every "
    "source image through)",
    "threshold": "raise step_size or n_steps, lower acceptance_threshold, or "
    "give a classifier trained longer, so that more translations reach the "
    "threshold",
}


@dataclass
class Tally:
    """What became of the images drawn for one class."""

    drawn: int = 0
    kept: int = 0  # translations kept; the rest are repeated real images
    lucky: int = 0  # draws whose source image the source rule let through
    passed: int = 0  # translations that reached acceptance_threshold
    has_sources: bool = True  # False when no class is larger


def few_translations(tally):
    """The tallies (label to :class:`Tally`) of the classes whose new images
    are mostly copies of real ones."""
    return {
        label: t for label, t in tally.items() if t.kept < FEW_TRANSLATIONS * t.drawn
    }


def few_translations_message(sampler, few):
    """What M2mSampler did in place of translations, per class, and the
    settings that raise their share."""
    parts, short = [], set()
    for label, t in few.items():
        why = "no class is larger, so none gives source images"
        if t.has_sources:
            why = (
                f"source_beta={sampler.source_beta} let {t.lucky} of {t.drawn} "
                f"source images through, and {t.passed} of {t.drawn} translations "
                f"reached acceptance_threshold={sampler.acceptance_threshold}"
            )
            # What fell short; where neither did, each halved the other.
            passed = {"source": t.lucky, "threshold": t.passed}
            lacking = {k for k, n in passed.items() if n < FEW_TRANSLATIONS * t.drawn}
            short |= lacking or set(passed)
        parts.append(
            f"class {label!r}, {t.drawn - t.kept} of its {t.drawn} new images "
            f"are copies of real ones ({why})"
        )
    advice = "; ".join(text for key, text in ADVICE.items() if key in short)
    return (
        "M2mSampler kept few translations and repeated real images in their "
        f"place, as random oversampling does: for {'; for '.join(parts)}."
        + (f" To translate more, {advice}." if advice else "")
        + " The paper's step_size=0.1 and source_beta=0.999 translate few images "
        "of small classes and of small images (measured in the user guide's "
        f"M2mSampler section). It warns when fewer than {FEW_TRANSLATIONS:.0%} "
        "of a class's new images are translations; acceptance_rate_ holds "
        "each class's share."
    )
