namespace ReadModelKit.Contracts;

/// <summary>The rule for names that end up in SQL (projection names, schema names): lowercase, unquoted-safe, at most 63 bytes.</summary>
public static class SqlName
{
    /// <summary>The longest identifier PostgreSQL keeps without truncation.</summary>
    public const int MaxLength = 63;

    /// <summary>Whether <paramref name="name"/> is 1-63 characters of <c>a-z</c>, <c>0-9</c> or <c>_</c>, not starting with a digit.</summary>
    /// <param name="name">The candidate name.</param>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }
}
