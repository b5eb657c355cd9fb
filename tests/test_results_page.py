"""The results page: docs/benchmarks.md's generated block is what
benchmarks/results_page.py makes of the committed result lines, and the user
guide's recipe quotes the figures of its tables (issue 35)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import recipe_figures  # noqa: E402
import results_page  # noqa: E402


@pytest.fixture(scope="module")
def page():
    return results_page.results_page()


def recipe_text():
    text = (ROOT / "docs" / "user_guide.rst").read_text()
    start = text.index(".. _recipe:")
    end = text.index("\nData\n----", start)
    return " ".join(text[start:end].split())


def test_every_result_file_is_classified():
    # a new result file must be listed as current (with what it supersedes)
    # or as not current, with the reason, in results_page.SOURCES/NOT_CURRENT
    assert results_page.unclassified() == []


def test_only_test_split_rows_are_results():
    rows = results_page.current_rows()
    assert rows
    assert {r.get("split", "test") for r in rows} == {"test"}
    assert not any("_val" in s.file for s in results_page.SOURCES)


def test_the_page_holds_the_generated_block(page):
    text = (ROOT / "docs" / "benchmarks.md").read_text()
    assert text.count(results_page.BEGIN) == 1 and text.count(results_page.END) == 1
    start = text.index(results_page.BEGIN)
    end = text.index(results_page.END) + len(results_page.END) + 1
    assert text[start:end] == page[0], (
        "docs/benchmarks.md is not what the results give: run "
        "python benchmarks/results_page.py --page"
    )


def test_write_page_replaces_the_block_only(tmp_path, page):
    path = tmp_path / "page.md"
    path.write_text(f"# Title\n\n{results_page.BEGIN}\nold\n{results_page.END}\nTail\n")
    results_page.write_page(path)
    assert path.read_text() == f"# Title\n\n{page[0]}Tail\n"
    results_page.write_page(path)
    assert path.read_text() == f"# Title\n\n{page[0]}Tail\n"
    assert [p.name for p in tmp_path.iterdir()] == ["page.md"]
    path.write_text("# No markers\n")
    with pytest.raises(ValueError, match="needs one"):
        results_page.write_page(path)


@pytest.mark.parametrize(
    "figure",
    recipe_figures.RECIPE_FIGURES,
    ids=lambda f: f"{f.part}-{f.n}-{f.method}-{f.column}".replace(" ", ""),
)
def test_recipe_figures_come_from_the_tables(figure, page):
    figures = page[1]
    key = (figure.part, figure.n, figure.method, figure.column)
    assert key in figures, f"the page has no {key}"
    if figure.quoted:
        assert figure.quoted in recipe_text(), "the recipe no longer quotes it"
    text, ahead = recipe_figures.page_figure(figure, figures[key])
    if figure.now:
        # the recipe disagrees with the current rows: the page says `now`
        assert text != figure.quoted
        assert text == figure.now
    elif figure.quoted:
        assert text == figure.quoted
    if figure.ahead is not None:
        assert ahead == figure.ahead


def test_page_figure_reads_the_cell():
    # flip reads base minus method: "threshold tuning was ahead of the
    # logit-adjusted loss on four of five" from the loss's row
    flipped = recipe_figures.RecipeFigure(
        25, "m", "x - b", "+0.011 +- 0.012", ahead=4, flip=True
    )
    cell = "-0.011 +- 0.012, ahead on 1 of 5"
    assert recipe_figures.page_figure(flipped, cell) == ("+0.011 +- 0.012", 4)
    # at the recipe's precision
    rounded = recipe_figures.RecipeFigure(10, "m", "x", "0.82")
    assert recipe_figures.page_figure(rounded, "0.818 +- 0.023") == ("0.82", None)


def test_both_parts_ranks_each_part_and_orders_by_their_sum():
    def row(part, method, seed, ba):
        return {
            "part": part,
            "n_minority": 10,
            "method": method,
            "seed": seed,
            "balanced_accuracy": ba,
            "roc_auc": 0.9,
        }

    rows = [
        row("A", "a", 0, 0.9),
        row("A", "b", 0, 0.8),
        row("A", "c", 0, 0.7),
        row("D", "a", 0, 0.5),
        row("D", "b", 0, 0.7),
        row("D", "b", 1, 0.6),
        row("D", "c", 0, 0.6),
        row("A", "only_a", 0, 0.99),
    ]
    text = results_page.both_parts(rows, 10)
    lines = [line for line in text.splitlines() if line.startswith("| `")]
    # a: ranks 1 and 3; b: 2 and 1 (mean 0.65); c: 3 and 2 -> b, a, c; a
    # method of one part only is left out
    assert [line.split(" | ")[0] for line in lines] == ["| `b`", "| `a`", "| `c`"]
    assert lines[0] == "| `b` | 1 | 0.800 | 0.900 | 2 | 2 | 0.650 | 0.900 | 1 |"
    assert results_page.both_parts(rows[:3], 10) == ""
