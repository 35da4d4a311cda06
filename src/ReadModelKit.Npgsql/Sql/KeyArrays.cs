using ReadModelKit.Npgsql.Mapping;

namespace ReadModelKit.Npgsql.Sql;

/// <summary>
/// Key tuples sent as one typed array per key column (<see cref="ColumnBuffer"/>), referenced in SQL by position
/// (<c>($2::int8[])[5]</c>) or unnested as a key list.
/// </summary>
internal sealed class KeyArrays
{
    private readonly IReadOnlyList<PgColumn> _columns;
    private readonly List<ColumnBuffer> _buffers;
    private string[]? _placeholders;

    /// <summary>Arrays for the given key columns.</summary>
    public KeyArrays(IReadOnlyList<PgColumn> keys)
    {
        _columns = keys;
        _buffers = keys.Select(ColumnBuffer.For).ToList();
    }

    /// <summary>Tuples added.</summary>
    public int Count { get; private set; }

    /// <summary>Adds a key tuple (one value per key column) and returns its index.</summary>
    public int Add(IReadOnlyList<object?> key)
    {
        if (_placeholders is not null)
        {
            throw new InvalidOperationException("Keys cannot be added after Bind.");
        }

        for (var i = 0; i < _buffers.Count; i++)
        {
            _buffers[i].Add(key[i]);
        }

        return Count++;
    }

    /// <summary>Adds the arrays as parameters; call once, after the last <see cref="Add"/>.</summary>
    public KeyArrays Bind(SqlParameters parameters)
    {
        _placeholders = _buffers.Select(b => parameters.Add(b.ToParameter())).ToArray();
        return this;
    }

    /// <summary>The SQL values of tuple <paramref name="index"/>, one per key column.</summary>
    public IReadOnlyList<string> Ref(int index)
    {
        var placeholders = _placeholders ?? throw new InvalidOperationException("Bind the key arrays first.");
        return _buffers.Select((b, i) => b.Element($"({placeholders[i]}::{b.ArrayCast})[{index + 1}]")).ToList();
    }

    /// <summary>The bound array parameters with their casts (<c>$2::int8[]</c>), one per key column, for a caller's own <c>unnest</c>.</summary>
    public IReadOnlyList<string> Arrays => (_placeholders ?? throw new InvalidOperationException("Bind the key arrays first."))
        .Select((p, i) => $"{p}::{_buffers[i].ArrayCast}").ToList();

    /// <summary>An unnested element of key column <paramref name="column"/> converted to the column type.</summary>
    public string Element(int column, string expression) => _buffers[column].Element(expression);

    /// <summary>A relation of every tuple: <c>SELECT … FROM unnest(…) AS alias(key columns)</c> with read-model column names and types.</summary>
    public string Unnest(string alias) =>
        $"SELECT {string.Join(", ", ColumnArrays.Elements(_columns, _buffers, alias, "k"))} FROM unnest({string.Join(", ", Arrays)}) AS {alias}({string.Join(", ", ColumnArrays.Names(_buffers.Count, "k"))})";
}
