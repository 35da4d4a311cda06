using ReadModelKit.Contracts;
using ReadModelKit.Exceptions;

namespace ReadModelKit.Projections;

/// <summary>The projections registered in one host, by name. Every contract is validated when it is added, and names are unique.</summary>
public sealed class ProjectionCatalog
{
    private readonly Dictionary<string, ProjectionContract> _contracts = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>The registered contracts, in registration order of their names.</summary>
    public IReadOnlyList<ProjectionContract> Contracts
    {
        get
        {
            lock (_gate)
            {
                return [.. _contracts.Values];
            }
        }
    }

    /// <summary>Adds <paramref name="contract"/>. Adding an equal contract again does nothing.</summary>
    /// <param name="contract">The contract to add.</param>
    /// <returns>Whether the contract was new.</returns>
    /// <exception cref="ProjectionContractException">The contract is invalid, or another contract already uses its name.</exception>
    public bool Add(ProjectionContract contract)
    {
        ProjectionContractValidator.ThrowIfInvalid(contract);
        lock (_gate)
        {
            if (_contracts.TryGetValue(contract.Name, out var existing))
            {
                if (existing.Equals(contract))
                {
                    return false;
                }

                throw new ProjectionContractException(
                    contract.Name,
                    [$"Two different projections are named '{contract.Name}' in this host: projection names must be unique; rename one (or bump Version and retire the old one)."]);
            }

            _contracts.Add(contract.Name, contract);
            return true;
        }
    }

    /// <summary>The contract named <paramref name="name"/>.</summary>
    /// <param name="name">The projection name.</param>
    /// <exception cref="ReadModelKitException">No projection has that name.</exception>
    public ProjectionContract Get(string name)
    {
        lock (_gate)
        {
            return _contracts.TryGetValue(name, out var contract)
                ? contract
                : throw new ReadModelKitException($"No projection named '{name}' is registered. Registered: {string.Join(", ", _contracts.Keys)}. Register it with AddReadModelKit(kit => kit.AddProjection(...)).", name);
        }
    }
}
