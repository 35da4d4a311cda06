using ReadModelKit.Exceptions;
using ReadModelKit.Lifecycle;

namespace ReadModelKit.Tests.Lifecycle;

public sealed class ProjectionLifecycleTests
{
    private static readonly Gen<ProjectionState[]> Requests =
        Gen.ListOf(Gen.Elements(Enum.GetValues<ProjectionState>())).Select(l => l.ToArray());

    /// <summary>The oracle: the transition table as documented in docs/lifecycle.md (what users are promised), read from the file.</summary>
    private static readonly Lazy<Dictionary<ProjectionState, HashSet<ProjectionState>>> Documented = new(() =>
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "docs", "lifecycle.md")))
        {
            directory = directory.Parent;
        }

        var lines = File.ReadAllLines(Path.Combine(directory!.FullName, "docs", "lifecycle.md"));
        var table = new Dictionary<ProjectionState, HashSet<ProjectionState>>();
        foreach (var line in lines.Where(l => l.StartsWith("| ", StringComparison.Ordinal)))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (cells.Length == 2 && Enum.TryParse<ProjectionState>(cells[0].Split(' ')[0], out var from))
            {
                table[from] = cells[1].Split(',', StringSplitOptions.TrimEntries)
                    .Where(t => Enum.TryParse<ProjectionState>(t, out _))
                    .Select(Enum.Parse<ProjectionState>)
                    .ToHashSet();
            }
        }

        return table;
    });

    [Fact]
    public void The_documented_table_names_every_state()
    {
        Assert.Equal(Enum.GetValues<ProjectionState>().ToHashSet(), Documented.Value.Keys.ToHashSet());
        Assert.Empty(Documented.Value[ProjectionState.Retired]);
    }

    [Fact]
    public void Any_sequence_of_requests_is_accepted_exactly_where_the_documented_table_allows_it()
    {
        Prop.ForAll(Requests.ToArbitrary(), requests =>
            {
                var machine = new ProjectionStateMachine("p");
                foreach (var requested in requests)
                {
                    var before = machine.Current;
                    var documented = before == requested || Documented.Value[before].Contains(requested);
                    var accepted = machine.TryTransitionTo(requested);
                    Assert.Equal(documented, accepted);
                    Assert.Equal(accepted ? requested : before, machine.Current);
                }
            })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Retired_is_terminal_and_live_is_only_reached_by_catching_up()
    {
        Prop.ForAll(Requests.ToArbitrary(), requests =>
            {
                var machine = new ProjectionStateMachine("p");
                var retired = false;
                foreach (var requested in requests)
                {
                    var before = machine.Current;
                    if (machine.TryTransitionTo(requested) && requested == ProjectionState.Live)
                    {
                        Assert.Contains(before, new[] { ProjectionState.CatchingUp, ProjectionState.Stale, ProjectionState.Live });
                    }

                    retired |= machine.Current == ProjectionState.Retired;
                    Assert.True(!retired || machine.Current == ProjectionState.Retired);
                }
            })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Illegal_transition_throws_and_leaves_the_state_unchanged()
    {
        var machine = new ProjectionStateMachine("case_list", ProjectionState.Paused);

        var exception = Assert.Throws<InvalidProjectionTransitionException>(() => machine.TransitionTo(ProjectionState.Live));

        Assert.Equal(ProjectionState.Paused, machine.Current);
        Assert.Equal("Projection 'case_list' cannot move from Paused to Live. Allowed from Paused: CatchingUp, Rebuilding, Retired.", exception.Message);
    }

    [Fact]
    public void Every_state_is_reachable_from_the_initial_state_and_every_non_terminal_state_can_retire()
    {
        var reachable = Reach(ProjectionLifecycle.Initial);
        Assert.Equal(Enum.GetValues<ProjectionState>().ToHashSet(), reachable);
        foreach (var state in Enum.GetValues<ProjectionState>())
        {
            Assert.Contains(ProjectionState.Retired, Reach(state));
        }
    }

    private static HashSet<ProjectionState> Reach(ProjectionState from)
    {
        var seen = new HashSet<ProjectionState> { from };
        var queue = new Queue<ProjectionState>([from]);
        while (queue.TryDequeue(out var state))
        {
            foreach (var next in ProjectionLifecycle.AllowedTransitions(state).Where(seen.Add))
            {
                queue.Enqueue(next);
            }
        }

        return seen;
    }
}
