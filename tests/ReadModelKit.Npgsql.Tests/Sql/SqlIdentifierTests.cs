using ReadModelKit.Exceptions;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Tests.Sql;

public sealed class SqlIdentifierTests
{
    [Theory]
    [InlineData("")]
    [InlineData("1case")]
    [InlineData("case list")]
    [InlineData("case\"; DROP TABLE x; --")]
    [InlineData("ｃａｓｅ")]
    public void Rejects_names_that_are_not_plain_identifiers(string name)
    {
        var exception = Assert.Throws<InvalidIdentifierException>(() => SqlIdentifier.From(name, "read-model table"));

        Assert.Equal($"The read-model table name '{name}' is not a valid identifier: use 1-63 ASCII letters, digits or underscores, not starting with a digit (names are quoted, never concatenated raw).", exception.Message);
    }

    [Fact]
    public void Any_accepted_name_is_quoted_and_contains_no_quote()
    {
        Prop.ForAll<string>(name =>
                !SqlIdentifier.IsValid(name) || (SqlIdentifier.From(name, "x").Quoted == "\"" + name + "\"" && !name.Contains('"', StringComparison.Ordinal)))
            .QuickCheckThrowOnFailure();
        Assert.Equal("\"Case_List_2\"", SqlIdentifier.From("Case_List_2", "table").Quoted);
        Assert.Throws<InvalidIdentifierException>(() => SqlIdentifier.From(new string('a', 64), "table"));
    }
}
