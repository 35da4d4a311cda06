using Npgsql;

namespace ReadModelKit.Npgsql.Sql;

/// <summary>Numbers positional parameters while a statement is being built (Apply, Drift and Rebuild statements alike).</summary>
internal sealed class SqlParameters
{
    /// <summary>The placeholder of the <paramref name="number"/>th parameter (<c>$3</c>), for statements built once and bound later by position.</summary>
    public static string Placeholder(int number) => "$" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The parameters, in placeholder order.</summary>
    public List<NpgsqlParameter> List { get; } = [];

    /// <summary>Adds a parameter and returns its placeholder (<c>$3</c>).</summary>
    public string Add(NpgsqlParameter parameter)
    {
        List.Add(parameter);
        return Placeholder(List.Count);
    }

    /// <summary>Adds a typed parameter and returns its placeholder.</summary>
    public string AddValue<T>(T value) => Add(new NpgsqlParameter<T> { TypedValue = value });

    /// <summary>Copies the parameters onto a command.</summary>
    public void CopyTo(NpgsqlParameterCollection target)
    {
        foreach (var parameter in List)
        {
            target.Add(parameter);
        }
    }
}
