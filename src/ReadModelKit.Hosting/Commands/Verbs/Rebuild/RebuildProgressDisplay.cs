using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using ReadModelKit.Npgsql.Rebuild;
using Spectre.Console;

namespace ReadModelKit.Hosting.Commands.Verbs.Rebuild;

/// <summary>
/// Shows a backfill's or a repair's progress: a live Spectre progress bar (rows done of the estimate, rate, time left) on an interactive
/// terminal; one plain line at most every <see cref="LineInterval"/> otherwise; nothing with <c>--json</c> (the result says it all).
/// </summary>
internal static class RebuildProgressDisplay
{
    public static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(1);

    /// <param name="context">The command's context.</param>
    /// <param name="parse">The parse result.</param>
    /// <param name="title">What is running, for example <c>case_list v2</c>.</param>
    /// <param name="unit">What is counted: <c>row(s)</c> or <c>key(s)</c>.</param>
    /// <param name="work">The work, reporting to the progress it is given (null: report nothing).</param>
    public static async Task<T> RunAsync<T>(ReadModelKitCommandContext context, ParseResult parse, string title, string unit, Func<IProgress<RebuildProgress>?, Task<T>> work)
    {
        if (context.WantsJson(parse))
        {
            return await work(null).ConfigureAwait(false);
        }

        if (!context.Console.Profile.Capabilities.Interactive)
        {
            var time = context.Services.GetService<TimeProvider>() ?? TimeProvider.System;
            DateTimeOffset? last = null;
            return await work(new Reporter(p =>
            {
                var now = time.GetUtcNow();
                if (last is null || now - last >= LineInterval)
                {
                    last = now;
                    context.Console.WriteLine(Line(title, unit, p));
                }
            })).ConfigureAwait(false);
        }

        T result = default!;
        await context.Console.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask(Markup.Escape(title), maxValue: 1);
                task.IsIndeterminate = true;
                result = await work(new Reporter(p =>
                {
                    if (p.EstimatedTotal is > 0 and var total)
                    {
                        task.IsIndeterminate = false;
                        task.MaxValue = Math.Max(total, p.RowsDone + 1);
                        task.Value = p.RowsDone;
                    }

                    task.Description = Markup.Escape(Line(title, unit, p));
                })).ConfigureAwait(false);
                task.IsIndeterminate = false;
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return result;
    }

    /// <summary><c>case_list v2: 1200 of ~5000 row(s) (24%), 800 row(s)/s, about 00:00:05 left</c>.</summary>
    public static string Line(string title, string unit, RebuildProgress progress)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{title}: {RebuildRunView.Rows(progress.RowsDone, progress.EstimatedTotal, unit)}, {progress.RowsPerSecond:0} {unit}/s");
        return progress.EstimatedRemaining is { } left && progress.EstimatedTotal > progress.RowsDone ? text + ", about " + TimeSpan.FromSeconds(Math.Ceiling(left.TotalSeconds)).ToString("c", CultureInfo.InvariantCulture) + " left" : text;
    }

    /// <summary>Reports on the caller's thread, at once (<see cref="Progress{T}"/> would post to the thread pool and reorder lines).</summary>
    private sealed class Reporter(Action<RebuildProgress> report) : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value) => report(value);
    }
}
