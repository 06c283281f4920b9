using Sift.Engine;
using Sift.Engine.LongDocuments;

namespace Sift.Tests.Engine.LongDocuments;

public sealed class WindowPlannerTests
{
    private static WindowOptions Overlap(int overlap, int maxWindows = WindowOptions.DefaultMaxWindows) => new() { Overlap = overlap, MaxWindows = maxWindows };

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(10)]
    public void Plan_DocumentThatFits_IsOneWindowOfTheWholeDocument(int tokens)
    {
        Assert.Equal([new WindowSpan(0, tokens)], WindowPlanner.Plan(tokens, 10, Overlap(3), 0));
    }

    [Fact]
    public void Plan_OneTokenOverTheWindow_AddsAShortLastWindowEndingAtN()
    {
        // W = 10, overlap 3, step 7: [0,10), then [7,11).
        Assert.Equal([new WindowSpan(0, 10), new WindowSpan(7, 11)], WindowPlanner.Plan(11, 10, Overlap(3), 0));
    }

    [Fact]
    public void Plan_LastWindowEndingExactlyAtN_IsFullAndNoEmptyWindowFollows()
    {
        // n = W + 2·step: windows [0,10), [7,17), [14,24), the last ending exactly at 24.
        Assert.Equal([new WindowSpan(0, 10), new WindowSpan(7, 17), new WindowSpan(14, 24)], WindowPlanner.Plan(24, 10, Overlap(3), 0));
    }

    [Fact]
    public void Plan_ZeroOverlap_TilesTheDocument()
    {
        Assert.Equal([new WindowSpan(0, 4), new WindowSpan(4, 8), new WindowSpan(8, 9)], WindowPlanner.Plan(9, 4, Overlap(0), 0));
    }

    [Fact]
    public void Plan_EveryLengthUpTo200_StartsAtMultiplesOfTheStepCoversEveryTokenAndHasNoEmptyWindow()
    {
        for (var window = 1; window <= 12; window++)
        {
            for (var overlap = 0; overlap < window; overlap++)
            {
                var step = window - overlap;
                for (var n = 0; n <= 200; n++)
                {
                    var spans = WindowPlanner.Plan(n, window, Overlap(overlap, maxWindows: 1000), 0);
                    Assert.Equal(0, spans[0].Start);
                    Assert.Equal(n, spans[^1].End);
                    for (var k = 0; k < spans.Length; k++)
                    {
                        Assert.Equal(k * step, spans[k].Start);
                        Assert.True(spans[k].Length > 0 || n == 0, $"n={n} W={window} overlap={overlap}: window {k} is empty");
                        Assert.True(spans[k].Length <= window);
                        // Every window but the last is full; the last is the first to reach n.
                        Assert.Equal(k < spans.Length - 1 ? window : Math.Min(window, n - k * step), spans[k].Length);
                    }
                    Assert.True(spans.Length == 1 || spans[^2].End < n, $"n={n} W={window} overlap={overlap}: a window after one that reached n");
                }
            }
        }
    }

    [Theory]
    [InlineData(10, 10)]
    [InlineData(11, 10)]
    public void Plan_OverlapAskedForNotSmallerThanTheWindow_IsRefusedNamingBoth_WhenTheDocumentNeedsWindows(int overlap, int window)
    {
        var error = Assert.Throws<SiftRequestException>(() => WindowPlanner.Plan(window + 1, window, Overlap(overlap), 3));
        Assert.Equal($"document 3 has {window + 1} tokens: window overlap {overlap} must be smaller than the window of {window} document tokens (the input limit minus what the prompt takes)", error.Message);
        Assert.Equal("window_overlap", error.Param);
    }

    [Theory]
    [InlineData(10, 10)]
    [InlineData(1280, 10)]
    public void Plan_DocumentThatFits_IsOneWindowWhateverTheOverlap(int overlap, int window)
    {
        Assert.Equal([new WindowSpan(0, window)], WindowPlanner.Plan(window, window, Overlap(overlap), 0));
        Assert.Equal([new WindowSpan(0, 5)], WindowPlanner.Plan(5, window, new WindowOptions { FallbackOverlap = overlap }, 0));
    }

    [Fact]
    public void Plan_FallbackOverlap_IsCappedAtHalfTheWindow_AnAskedOneIsNot()
    {
        // W = 10: the fallback 1280 becomes 5 (step 5); 3 stays 3 (step 7); an asked-for 9 stays 9 (step 1).
        Assert.Equal([new WindowSpan(0, 10), new WindowSpan(5, 15), new WindowSpan(10, 20), new WindowSpan(15, 22)],
            WindowPlanner.Plan(22, 10, new WindowOptions { FallbackOverlap = 1280 }, 0));
        Assert.Equal([new WindowSpan(0, 10), new WindowSpan(7, 17), new WindowSpan(14, 22)],
            WindowPlanner.Plan(22, 10, new WindowOptions { FallbackOverlap = 3 }, 0));
        Assert.Equal(13, WindowPlanner.Plan(22, 10, Overlap(9), 0).Length);
    }

    [Fact]
    public void Plan_MoreWindowsThanAllowed_IsRefusedNamingTheCountAndTheLimit()
    {
        // n = 25, W = 10, step 7: 1 + ceil(15 / 7) = 4 windows; 3 allowed.
        Assert.Equal(4, WindowPlanner.Plan(25, 10, Overlap(3, maxWindows: 4), 2).Length);
        var error = Assert.Throws<SiftRequestException>(() => WindowPlanner.Plan(25, 10, Overlap(3, maxWindows: 3), 2));
        Assert.Equal("document 2 has 25 tokens and needs 4 windows of 10 (overlap 3); the limit is 3 windows (--max-windows)", error.Message);
        Assert.Equal("too_many_windows", error.Code);
    }

    [Fact]
    public void Plan_NegativeOverlapOrNoWindows_IsRefused()
    {
        Assert.Equal("window_overlap", Assert.Throws<SiftRequestException>(() => WindowPlanner.Plan(5, 10, Overlap(-1), 0)).Param);
        // The most windows and tokens are the server's or the caller's settings, not a request's: a programming error.
        Assert.Throws<ArgumentOutOfRangeException>(() => WindowPlanner.Plan(5, 10, Overlap(1, maxWindows: 0), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => WindowPlanner.Plan(5, 10, new WindowOptions { MaxTokens = 0 }, 0));
        Assert.Equal("input_too_long", Assert.Throws<SiftRequestException>(() => WindowPlanner.Plan(5, 0, Overlap(0), 0)).Code);
    }

    [Fact]
    public void WindowMean_WeighsEachUnitVectorByItsTokens()
    {
        // (3,4) normalizes to (0.6, 0.8), weight 1; (0,2) to (0,1), weight 3: mean (0.15, 0.95).
        var mean = WindowMean.Combine([[3f, 4f], [0f, 2f]], [new WindowSpan(0, 1), new WindowSpan(0, 3)]);
        Assert.Equal(0.15f, mean[0], 1e-7f);
        Assert.Equal(0.95f, mean[1], 1e-7f);
    }

    [Fact]
    public void WindowMean_WithoutNormalization_WeighsTheRawStatesByTheirTokens()
    {
        // (3,4) weight 1 and (0,2) weight 3, unnormalized: ((3 + 0) / 4, (4 + 6) / 4) = (0.75, 2.5).
        var mean = WindowMean.Combine([[3f, 4f], [0f, 2f]], [new WindowSpan(0, 1), new WindowSpan(0, 3)], normalize: false);
        Assert.Equal(0.75f, mean[0], 1e-7f);
        Assert.Equal(2.5f, mean[1], 1e-7f);
    }
}
