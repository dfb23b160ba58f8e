using Switchboard.Platform.Api;
using Switchboard.Platform.Calls;
using Switchboard.Platform.Messaging;
using Switchboard.Platform.Numbers;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Web.Dashboard;

/// <summary>What the configuration page shows (read through the API's services), and the outcome of the last form sent.</summary>
public sealed record ConfigView(
    IReadOnlyList<MessagingProfileResource> Profiles,
    long ProfileCount,
    IReadOnlyList<PhoneNumberResource> Numbers,
    long NumberCount,
    IReadOnlyList<CallControlApplicationResource> Applications,
    long ApplicationCount,
    GlobalWebhooks GlobalWebhooks)
{
    /// <summary>The most of each resource the page lists (the API's largest page).</summary>
    public const int Shown = 250;

    /// <summary>Which form the errors belong to.</summary>
    public string? FailedForm { get; init; }

    public IReadOnlyList<ApiError> Errors { get; init; } = [];

    /// <summary>What the last form did, from a fixed list (never text from the request).</summary>
    public string? Saved { get; init; }

    public static async Task<ConfigView> LoadAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var (profiles, profileCount) = await Service<MessagingProfiles>(services).ListAsync(1, Shown, cancellationToken: cancellationToken);
        var (numbers, numberCount) = await Service<PhoneNumbers>(services).ListAsync(1, Shown, cancellationToken: cancellationToken);
        var (applications, applicationCount) = await Service<CallControlApplications>(services).ListAsync(1, Shown, cancellationToken: cancellationToken);
        var global = await Service<GlobalWebhookSettings>(services).GetAsync(cancellationToken);
        return new ConfigView(profiles, profileCount, numbers, numberCount, applications, applicationCount, global);
    }

    public static readonly IReadOnlyDictionary<string, string> SavedMessages = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["profile-created"] = "Messaging profile created.",
        ["profile-updated"] = "Messaging profile saved.",
        ["profile-deleted"] = "Messaging profile deleted.",
        ["number-ordered"] = "Number ordered.",
        ["number-updated"] = "Number saved.",
        ["number-deleted"] = "Number deleted.",
        ["application-created"] = "Call Control application created.",
        ["application-updated"] = "Call Control application saved.",
        ["application-deleted"] = "Call Control application deleted.",
        ["global-saved"] = "Global webhook URLs saved.",
    };

    private static T Service<T>(IServiceProvider services) where T : notnull => (T)(services.GetService(typeof(T))
        ?? throw new InvalidOperationException($"{typeof(T).Name} is not registered: the dashboard needs the platform's services"));
}
