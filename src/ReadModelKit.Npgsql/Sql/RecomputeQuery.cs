using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Npgsql.Sql;

/// <summary>
/// A mapping's <c>RecomputeSql</c> made safe to embed as a subquery (<c>FROM (…) AS q</c>): it must be one statement, trailing
/// semicolons are dropped, and it is wrapped on lines of its own so a trailing <c>-- comment</c> cannot swallow the closing parenthesis.
/// The scan knows PostgreSQL's quoting (<c>'…'</c>, <c>E'…'</c>, <c>"…"</c>, <c>$tag$…$tag$</c>) and comments (<c>--</c>, nested
/// <c>/* */</c>), so a <c>;</c> inside a string or comment is not a statement end.
/// </summary>
internal static class RecomputeQuery
{
    /// <summary>What goes in front of the query when it is embedded; error positions in the embedding statement are shifted by its length.</summary>
    public const string Opening = "(\n";

    /// <summary>The query as a parenthesised subquery on lines of its own.</summary>
    /// <exception cref="RecomputeSqlException">The SQL holds more than one statement.</exception>
    public static string Embed(string projectionName, string sql) => Opening + Normalize(projectionName, sql) + "\n)";

    /// <summary>The query without trailing semicolons.</summary>
    /// <exception cref="RecomputeSqlException">The SQL is empty or holds more than one statement.</exception>
    public static string Normalize(string projectionName, string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var trailing = new List<int>();
        var significant = false;
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            var next = i + 1 < sql.Length ? sql[i + 1] : '\0';
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (c == '-' && next == '-')
            {
                var end = sql.IndexOf('\n', i);
                i = end < 0 ? sql.Length : end + 1;
                continue;
            }

            if (c == '/' && next == '*')
            {
                i = SkipBlockComment(sql, i);
                continue;
            }

            if (c == ';')
            {
                trailing.Add(i);
                i++;
                continue;
            }

            if (trailing.Count > 0 && significant)
            {
                throw new RecomputeSqlException(
                    $"The RecomputeSql of projection '{projectionName}' holds more than one statement (the ';' at character {trailing[0] + 1} is followed by more SQL): it must be one query. Remove everything after the first statement.",
                    projectionName);
            }

            significant = true;
            trailing.Clear();
            i = c switch
            {
                '\'' => SkipQuoted(sql, i, '\'', backslashEscapes: i > 0 && sql[i - 1] is 'E' or 'e' && (i < 2 || !IsIdentifierChar(sql[i - 2]))),
                '"' => SkipQuoted(sql, i, '"', backslashEscapes: false),
                '$' when DollarTag(sql, i) is { } tag => SkipDollarQuoted(sql, i, tag),
                _ => i + 1,
            };
        }

        if (!significant)
        {
            throw new RecomputeSqlException(
                $"The RecomputeSql of projection '{projectionName}' holds no query: write a SELECT returning the key and value columns, or remove RecomputeSql.",
                projectionName);
        }

        if (trailing.Count == 0)
        {
            return sql;
        }

        var chars = sql.ToCharArray();
        foreach (var position in trailing)
        {
            chars[position] = ' ';
        }

        return new string(chars);
    }

    private static int SkipBlockComment(string sql, int start)
    {
        var depth = 0;
        var i = start;
        while (i < sql.Length)
        {
            if (sql[i] == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                depth++;
                i += 2;
            }
            else if (sql[i] == '*' && i + 1 < sql.Length && sql[i + 1] == '/')
            {
                depth--;
                i += 2;
                if (depth == 0)
                {
                    return i;
                }
            }
            else
            {
                i++;
            }
        }

        return i;
    }

    private static int SkipQuoted(string sql, int start, char quote, bool backslashEscapes)
    {
        var i = start + 1;
        while (i < sql.Length)
        {
            if (backslashEscapes && sql[i] == '\\')
            {
                i += 2;
            }
            else if (sql[i] == quote)
            {
                if (i + 1 < sql.Length && sql[i + 1] == quote)
                {
                    i += 2;
                }
                else
                {
                    return i + 1;
                }
            }
            else
            {
                i++;
            }
        }

        return i;
    }

    /// <summary>The dollar-quote tag starting at <paramref name="start"/> (<c>$$</c> or <c>$name$</c>), or null (a <c>$1</c> parameter, or <c>$</c> inside an identifier).</summary>
    private static string? DollarTag(string sql, int start)
    {
        if (start > 0 && IsIdentifierChar(sql[start - 1]))
        {
            return null;
        }

        var i = start + 1;
        if (i < sql.Length && char.IsAsciiDigit(sql[i]))
        {
            return null;
        }

        while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '_'))
        {
            i++;
        }

        return i < sql.Length && sql[i] == '$' ? sql[start..(i + 1)] : null;
    }

    private static int SkipDollarQuoted(string sql, int start, string tag)
    {
        var end = sql.IndexOf(tag, start + tag.Length, StringComparison.Ordinal);
        return end < 0 ? sql.Length : end + tag.Length;
    }

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';
}
