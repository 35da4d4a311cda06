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

    private const string Letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
    private const string Digits = "0123456789";

    /// <summary>Valid names by construction, and each mutated by one kind of defect, so about half the cases are valid.</summary>
    private static readonly Gen<string> Names =
        from first in Gen.Elements(Letters.ToCharArray())
        from rest in Gen.ListOf(Gen.Elements((Letters + Digits).ToCharArray())).Select(l => new string([.. l]))
        from defect in Gen.Choose(0, 5)
        from bad in Gen.Elements(" \"';-.é\0$ｃ".ToCharArray())
        from at in Gen.Choose(0, 62)
        let valid = (first + rest)[..Math.Min(63, 1 + rest.Length)]
        select defect switch
        {
            1 => valid.Insert(Math.Min(at, valid.Length), bad.ToString()),
            2 => Digits[at % 10] + valid,
            3 => valid + new string('x', 64 - valid.Length),
            4 => "",
            _ => valid,
        };

    [Fact]
    public void A_name_is_accepted_exactly_when_it_matches_the_documented_rule_and_is_quoted_as_is()
    {
        // The oracle is the rule as documented: 1-63 ASCII letters, digits or underscores, not starting with a digit.
        var rule = new System.Text.RegularExpressions.Regex("^[A-Za-z_][A-Za-z0-9_]{0,62}$");
        Prop.ForAll(Names.ToArbitrary(), name =>
            {
                Assert.Equal(rule.IsMatch(name), SqlIdentifier.IsValid(name));
                if (rule.IsMatch(name))
                {
                    Assert.Equal("\"" + name + "\"", SqlIdentifier.From(name, "x").Quoted);
                }
                else
                {
                    Assert.Throws<InvalidIdentifierException>(() => SqlIdentifier.From(name, "x"));
                }
            })
            .QuickCheckThrowOnFailure();
        Assert.Equal("\"Case_List_2\"", SqlIdentifier.From("Case_List_2", "table").Quoted);
        Assert.Throws<InvalidIdentifierException>(() => SqlIdentifier.From(new string('a', 64), "table"));
    }
}
