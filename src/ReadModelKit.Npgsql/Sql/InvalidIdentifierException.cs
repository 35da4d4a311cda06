namespace ReadModelKit.Exceptions;

/// <summary>A schema, table or column name from configuration is not a plain SQL identifier.</summary>
public sealed class InvalidIdentifierException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="identifier">The rejected name.</param>
    /// <param name="what">What the name was for.</param>
    public InvalidIdentifierException(string? identifier, string what)
        : base($"The {what} name '{identifier}' is not a valid identifier: use 1-63 ASCII letters, digits or underscores, not starting with a digit (names are quoted, never concatenated raw).")
    {
        Identifier = identifier;
    }

    /// <summary>The rejected name.</summary>
    public string? Identifier { get; }
}
