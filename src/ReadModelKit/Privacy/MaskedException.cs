namespace ReadModelKit.Privacy;

/// <summary>
/// Stands in for an error whose text quoted masked or prohibited personal data: it carries the original error's type, message and
/// stack trace as text, with those values replaced by digests. Logged and attached in place of the original exception.
/// </summary>
public sealed class MaskedException : Exception
{
    private readonly string _text;

    /// <summary>Creates the stand-in.</summary>
    /// <param name="originalType">The full type name of the original exception.</param>
    /// <param name="message">The original message, masked.</param>
    /// <param name="text">The original <see cref="Exception.ToString"/>, masked.</param>
    public MaskedException(string originalType, string message, string text)
        : base(message)
    {
        OriginalType = originalType;
        _text = text;
    }

    /// <summary>The full type name of the original exception.</summary>
    public string OriginalType { get; }

    /// <summary>The original exception's text (type, message, inner exceptions, stack trace) with personal data masked.</summary>
    public override string ToString() => $"{GetType().FullName} (masked {OriginalType}): {_text}";
}
