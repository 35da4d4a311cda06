namespace ReadModelKit.Contracts;

/// <summary>Whether the read model holds rows of several tenants and which column carries the tenant.</summary>
/// <param name="TenantScoped">Whether rows belong to tenants and every query must filter by tenant.</param>
/// <param name="TenantField">The field that carries the tenant; it must be part of the ordering scope. Default <c>tenant_id</c>.</param>
public sealed record TenantScoping(bool TenantScoped, string TenantField = "tenant_id")
{
    /// <summary>Rows are not tenant scoped.</summary>
    public static TenantScoping None { get; } = new(false);

    /// <summary>Rows are tenant scoped by <c>tenant_id</c>.</summary>
    public static TenantScoping ByTenantId { get; } = new(true);
}
