using UnhostedStore.Pages.Account.History;

namespace UnhostedStore.Tests;

public class LineDiffTests
{
    private static string Render(LineDiffResult diff) =>
        string.Join("|", diff.Lines.Select(l => (l.Kind switch { DiffKind.Added => "+", DiffKind.Removed => "-", _ => " " }) + l.Text));

    [Fact]
    public void Split_lines_knows_every_line_break_and_a_final_one_starts_no_empty_line()
    {
        Assert.Equal(["a", "b", "c", "d"], LineDiff.SplitLines("a\nb\r\nc\rd"));
        Assert.Equal(["a", "b"], LineDiff.SplitLines("a\nb\n"));
        Assert.Equal(["a", string.Empty, "b"], LineDiff.SplitLines("a\n\nb"));
        Assert.Empty(LineDiff.SplitLines(string.Empty));
        Assert.Equal([string.Empty], LineDiff.SplitLines("\n"));
    }

    [Fact]
    public void Equal_texts_have_no_changes()
    {
        var diff = LineDiff.Compare("a\nb\nc", "a\nb\nc");
        Assert.False(diff.HasChanges);
        Assert.True(diff.Exact);
        Assert.Equal(3, diff.Lines.Count);
        Assert.All(diff.Lines, l => Assert.Equal(DiffKind.Same, l.Kind));
    }

    [Fact]
    public void A_changed_line_in_the_middle_is_one_removal_and_one_addition_with_line_numbers()
    {
        var diff = LineDiff.Compare("one\ntwo\nthree", "one\n2\nthree");
        Assert.Equal(" one|-two|+2| three", Render(diff));
        Assert.Equal(1, diff.Added);
        Assert.Equal(1, diff.Removed);
        var removed = diff.Lines.Single(l => l.Kind == DiffKind.Removed);
        Assert.Equal((2, (int?)null), (removed.OldNumber!.Value, removed.NewNumber));
        var added = diff.Lines.Single(l => l.Kind == DiffKind.Added);
        Assert.Equal(((int?)null, 2), (added.OldNumber, added.NewNumber!.Value));
        Assert.Equal((3, 3), (diff.Lines[^1].OldNumber!.Value, diff.Lines[^1].NewNumber!.Value));
    }

    [Fact]
    public void Insertions_and_deletions_at_either_end_and_from_or_to_nothing()
    {
        Assert.Equal("+x| a| b", Render(LineDiff.Compare("a\nb", "x\na\nb")));
        Assert.Equal(" a| b|+x", Render(LineDiff.Compare("a\nb", "a\nb\nx")));
        Assert.Equal("-a| b", Render(LineDiff.Compare("a\nb", "b")));
        Assert.Equal("+a|+b", Render(LineDiff.Compare(string.Empty, "a\nb")));
        Assert.Equal("-a|-b", Render(LineDiff.Compare("a\nb", string.Empty)));
        Assert.Empty(LineDiff.Compare(string.Empty, string.Empty).Lines);
    }

    [Fact]
    public void The_classic_example_needs_five_edits()
    {
        // Myers 1986, figure 1: ABCABBA -> CBABAC has an edit distance of 5.
        var diff = LineDiff.Compare("ABCABBA".Select(c => c.ToString()).ToList(), "CBABAC".Select(c => c.ToString()).ToList());
        Assert.True(diff.Exact);
        Assert.Equal(5, diff.Added + diff.Removed);
    }

    [Fact]
    public void Random_texts_are_rebuilt_from_the_diff_with_the_fewest_edits()
    {
        var random = new Random(20261205);
        for (var round = 0; round < 300; round++)
        {
            var a = Enumerable.Range(0, random.Next(0, 25)).Select(_ => ((char)('a' + random.Next(4))).ToString()).ToList();
            var b = Enumerable.Range(0, random.Next(0, 25)).Select(_ => ((char)('a' + random.Next(4))).ToString()).ToList();
            var diff = LineDiff.Compare(a, b);

            Assert.Equal(a, diff.Lines.Where(l => l.Kind != DiffKind.Added).Select(l => l.Text));
            Assert.Equal(b, diff.Lines.Where(l => l.Kind != DiffKind.Removed).Select(l => l.Text));
            Assert.Equal(Enumerable.Range(1, a.Count).Select(i => (int?)i), diff.Lines.Where(l => l.Kind != DiffKind.Added).Select(l => l.OldNumber));
            Assert.Equal(Enumerable.Range(1, b.Count).Select(i => (int?)i), diff.Lines.Where(l => l.Kind != DiffKind.Removed).Select(l => l.NewNumber));
            Assert.Equal(a.Count + b.Count - (2 * Lcs(a, b)), diff.Added + diff.Removed);
        }
    }

    [Fact]
    public void Texts_that_differ_beyond_the_edit_limit_are_all_removed_then_all_added_and_not_exact()
    {
        var a = Enumerable.Range(0, 50).Select(i => "old " + i).ToList();
        var b = Enumerable.Range(0, 50).Select(i => "new " + i).ToList();
        var diff = LineDiff.Compare(a, b, maxEdits: 20);
        Assert.False(diff.Exact);
        Assert.Equal(50, diff.Removed);
        Assert.Equal(50, diff.Added);
        Assert.All(diff.Lines.Take(50), l => Assert.Equal(DiffKind.Removed, l.Kind));

        Assert.True(LineDiff.Compare(a, b, maxEdits: 100).Exact);
    }

    [Fact]
    public void Collapse_keeps_context_around_changes_and_counts_the_lines_left_out()
    {
        var older = Enumerable.Range(1, 20).Select(i => "line " + i).ToList();
        var newer = older.ToList();
        newer[9] = "changed";
        var rows = LineDiff.Collapse(LineDiff.Compare(older, newer).Lines, context: 2);

        // 7 skipped, 2 context, -, +, 2 context, 8 skipped.
        Assert.Equal(8, rows.Count);
        Assert.Equal(7, rows[0].Skipped);
        Assert.Null(rows[0].Line);
        Assert.Equal(["line 8", "line 9", "line 10", "changed", "line 11", "line 12"], rows.Skip(1).Take(6).Select(r => r.Line!.Text));
        Assert.Equal(8, rows[^1].Skipped);
        Assert.Equal(20, rows.Sum(r => r.Line is null ? r.Skipped : r.Line.Kind == DiffKind.Added ? 0 : 1));
    }

    [Fact]
    public void Collapse_keeps_a_short_gap_between_changes_whole()
    {
        var rows = LineDiff.Collapse(LineDiff.Compare("a\nx\nb\nc\nd\ny", "a\nX\nb\nc\nd\nY").Lines, context: 1);
        Assert.All(rows, r => Assert.NotNull(r.Line));
        Assert.Equal(8, rows.Count);
    }

    private static int Lcs(List<string> a, List<string> b)
    {
        var t = new int[a.Count + 1, b.Count + 1];
        for (var i = 1; i <= a.Count; i++)
        {
            for (var j = 1; j <= b.Count; j++)
            {
                t[i, j] = a[i - 1] == b[j - 1] ? t[i - 1, j - 1] + 1 : Math.Max(t[i - 1, j], t[i, j - 1]);
            }
        }

        return t[a.Count, b.Count];
    }
}
