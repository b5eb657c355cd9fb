"""Sphinx configuration: numpydoc API pages, the user guide, the examples
gallery, benchmarks.

``GANSAMPLER_DOCS_OFFLINE=1`` leaves out the links to other projects' docs
(intersphinx downloads their inventories), for builds without a network;
``-D plot_gallery=0`` builds the gallery without running the examples.
"""

import os

import gansampler

project = "gansampler"
release = gansampler.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
numpydoc_show_class_members = False
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
intersphinx_mapping = {
    "sklearn": ("https://scikit-learn.org/stable", None),
    "imblearn": ("https://imbalanced-learn.org/stable", None),
    "torch": ("https://pytorch.org/docs/stable", None),
}
if os.environ.get("GANSAMPLER_DOCS_OFFLINE") == "1":
    intersphinx_mapping = {}
    # Labels of other projects' docs (scikit-learn's inherited ``score``
    # cites ``accuracy_score``) resolve only through their inventories.
    suppress_warnings = ["ref.ref"]
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # The quickstart prints a table worth showing, so it runs too.
    "filename_pattern": r"/(plot_|quickstart)",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
}
