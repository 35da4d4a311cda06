using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Tests.Sql;

/// <summary>The statement scan of recompute queries: quotes, dollar quotes and comments hide semicolons; a real second statement is refused.</summary>
public sealed class RecomputeQueryTests
{
    [Theory]
    [InlineData("SELECT 1 AS id;", "SELECT 1 AS id ")]
    [InlineData("SELECT 1 AS id ; ;\n", "SELECT 1 AS id    \n")]
    [InlineData("SELECT ';' AS id", "SELECT ';' AS id")]
    [InlineData("SELECT 'it''s;' AS id;", "SELECT 'it''s;' AS id ")]
    [InlineData("SELECT E'\\';' AS id", "SELECT E'\\';' AS id")]
    [InlineData("SELECT \"a;b\" FROM t", "SELECT \"a;b\" FROM t")]
    [InlineData("SELECT $$;$$, $q$ $$; $q$ AS id", "SELECT $$;$$, $q$ $$; $q$ AS id")]
    [InlineData("SELECT 1 /* ; /* nested ; */ still ; */ AS id -- ; trailing", "SELECT 1 /* ; /* nested ; */ still ; */ AS id -- ; trailing")]
    [InlineData("SELECT a$1; -- x", "SELECT a$1  -- x")]
    public void Semicolons_inside_quotes_or_comments_are_kept_and_trailing_ones_dropped(string sql, string normalized)
    {
        Assert.Equal(normalized, RecomputeQuery.Normalize("p", sql));
        Assert.Equal("(\n" + normalized + "\n)", RecomputeQuery.Embed("p", sql));
    }

    [Theory]
    [InlineData("SELECT 1; SELECT 2", 9)]
    [InlineData("SELECT 1 /* ; */; DELETE FROM t", 17)]
    [InlineData("SELECT ';'; SELECT 2", 11)]
    [InlineData("SELECT 1 -- a\n; -- b\nDROP TABLE t", 15)]
    public void A_second_statement_is_refused_with_the_position_of_its_semicolon(string sql, int position)
    {
        var error = Assert.Throws<RecomputeSqlException>(() => RecomputeQuery.Normalize("p", sql));

        Assert.Equal("p", error.ProjectionName);
        Assert.Equal($"The RecomputeSql of projection 'p' holds more than one statement (the ';' at character {position} is followed by more SQL): it must be one query. Remove everything after the first statement.", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ;  ")]
    [InlineData("-- nothing here")]
    public void A_query_without_a_statement_is_refused(string sql)
    {
        var error = Assert.Throws<RecomputeSqlException>(() => RecomputeQuery.Normalize("p", sql));

        Assert.Equal("The RecomputeSql of projection 'p' holds no query: write a SELECT returning the key and value columns, or remove RecomputeSql.", error.Message);
    }
}
