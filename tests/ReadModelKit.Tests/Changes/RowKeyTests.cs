using ReadModelKit.Changes;

namespace ReadModelKit.Tests.Changes;

public sealed class RowKeyTests
{
    [Fact]
    public void Keys_with_equal_parts_are_equal_and_hash_alike()
    {
        Prop.ForAll<int, string>((tenant, caseId) =>
            {
                var a = new RowKey(tenant, caseId ?? "");
                var b = new RowKey(tenant, caseId ?? "");
                return a.Equals(b) && a.GetHashCode() == b.GetHashCode() && !a.Equals(new RowKey(tenant, (caseId ?? "") + "x"));
            })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Null_or_missing_parts_are_rejected()
    {
        Assert.Equal("Row key values cannot be null: key columns are NOT NULL. (Parameter 'parts')", Assert.Throws<ArgumentException>(() => new RowKey("t1", null!)).Message);
        Assert.StartsWith("A row key needs at least one value.", Assert.Throws<ArgumentException>(() => new RowKey()).Message, StringComparison.Ordinal);
    }
}
