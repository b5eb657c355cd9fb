"""Docstring text that several estimators share, written once.

Shared entries are numpydoc entries (``name : type, default=value`` and its
indented description) in the texts of the modules that own them: the GAN
family's parameters, the feature space's, the filter's. An estimator's
docstring names the entries it shares on a line of their own, in braces::

    Parameters
    ----------
    {sampling_strategy, latent_dim}

    mode : {"geometric", "superpixel", "both"}, default="both"
        ...

and :func:`fill_doc`, with the texts to draw from, puts the entries there.
Only such lines change, so other braces need no escaping. This plays the
part of imbalanced-learn's ``Substitution``.
"""

import re

# A line holding only "{name}" or "{name, name, ...}".
_PLACEHOLDER = re.compile(r"^[ \t]*\{([\w, ]+)\}[ \t]*$", re.MULTILINE)
# An entry starts at a line indented by four spaces with "name : ".
_ENTRY_START = re.compile(r"\n(?=    [\w*]+(?:, [\w*]+)* : )")


def entries(*texts):
    """``{name: entry}`` of the numpydoc entries in ``texts``."""
    found = {}
    for text in texts:
        for block in _ENTRY_START.split("\n" + text.strip("\n")):
            if block.strip():
                # "a, b : float" is the entry of a and of b.
                for name in block.split(" : ")[0].split(","):
                    found[name.strip()] = block.rstrip()
    return found


def fill_doc(*texts):
    """Class or function decorator: fill the ``{name, ...}`` lines of the
    docstring with the entries of ``texts`` of those names, a blank line
    between entries.

    An unknown name is an error at import, so a renamed entry cannot leave a
    docstring with a hole.
    """
    known = entries(*texts)

    def fill(match):
        names = [name.strip() for name in match.group(1).split(",")]
        missing = [name for name in names if name not in known]
        if missing:
            raise KeyError(f"no shared docstring entry for {missing}")
        # An entry of several names comes once.
        return "\n\n".join(dict.fromkeys(known[name] for name in names))

    def decorate(obj):
        obj.__doc__ = _PLACEHOLDER.sub(fill, obj.__doc__)
        return obj

    return decorate
