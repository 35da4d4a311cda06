using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Sql;

/// <summary>
/// A validated PostgreSQL identifier (schema, table or column name) from configuration, always rendered quoted.
/// Only plain names are accepted: letters, digits, underscores, not starting with a digit, at most 63 bytes.
/// </summary>
public readonly record struct SqlIdentifier
{
    private SqlIdentifier(string name) => Name = name;

    /// <summary>The unquoted name.</summary>
    public string Name { get; }

    /// <summary>The quoted form to put into SQL (<c>"case_list"</c>).</summary>
    public string Quoted => "\"" + Name + "\"";

    /// <summary>Validates <paramref name="name"/> as an identifier.</summary>
    /// <param name="name">The name from configuration.</param>
    /// <param name="what">What the name is for, used in the error (for example "read-model table").</param>
    /// <exception cref="InvalidIdentifierException">The name is empty, too long or has characters other than letters, digits and underscores.</exception>
    public static SqlIdentifier From(string? name, string what)
    {
        if (!IsValid(name))
        {
            throw new InvalidIdentifierException(name, what);
        }

        return new SqlIdentifier(name!);
    }

    /// <summary>Whether <paramref name="name"/> would be accepted by <see cref="From"/>.</summary>
    /// <param name="name">The candidate name.</param>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 63 || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetter(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Quoted;
}
