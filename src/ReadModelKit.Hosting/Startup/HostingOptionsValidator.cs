using Microsoft.Extensions.Options;
using ReadModelKit.Exceptions;
using ReadModelKit.Hosting.Runners;
using ReadModelKit.Projections;

namespace ReadModelKit.Hosting.Startup;

/// <summary>Validates the hosting options when the host starts: their own rules, and that every named projection is registered and outbox-fed.</summary>
internal sealed class HostingOptionsValidator(ProjectionCatalog catalog) : IValidateOptions<ReadModelKitHostingOptions>
{
    public ValidateOptionsResult Validate(string? name, ReadModelKitHostingOptions options)
    {
        var errors = options.Validate().ToList();
        if (errors.Count == 0)
        {
            try
            {
                HostedRunners.Select(catalog, options);
            }
            catch (ReadModelKitException ex)
            {
                errors.Add(ex.Message);
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
